using System.Globalization;

namespace QueryLab.Bench.Timing;

/// <summary>
/// The machine's CPU time as the kernel counts it (<c>/proc/stat</c>'s first line, in ticks of all CPUs together): how much
/// there was, and how much of it the hypervisor gave to other guests of the host while this one had work ("steal"). On a
/// shared virtual machine steal is what makes two identical runs disagree: measured here while bench ran, 7–41% in 5-second
/// windows minutes apart, and the operations' times 2–3× what they were in a quiet hour. Null where there is no /proc/stat.
/// </summary>
public readonly record struct CpuTimes(long Total, long Steal)
{
    private const string Path = "/proc/stat";

    public static CpuTimes? Read()
    {
        try
        {
            using var reader = new StreamReader(Path);
            return Parse(reader.ReadLine());
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// <c>cpu  user nice system idle iowait irq softirq steal guest guest_nice</c>: the total is the first eight (guest time is
    /// already inside user and nice), steal the eighth; a kernel too old to count steal gives null.
    /// </summary>
    public static CpuTimes? Parse(string? line)
    {
        if (line is null || !line.StartsWith("cpu ", StringComparison.Ordinal))
        {
            return null;
        }

        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 9)
        {
            return null;
        }

        long total = 0;
        long ticks = 0;
        for (var i = 1; i <= 8; i++)
        {
            if (!long.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out ticks))
            {
                return null;
            }

            total += ticks;
        }

        return new CpuTimes(total, ticks); // the eighth: steal
    }

    public static CpuTimes operator -(CpuTimes a, CpuTimes b) => new(a.Total - b.Total, a.Steal - b.Steal);

    public static CpuTimes operator +(CpuTimes a, CpuTimes b) => new(a.Total + b.Total, a.Steal + b.Steal);

    /// <summary>Steal as a percentage of the CPU time; null when no time was counted.</summary>
    public double? StealPercent => Total > 0 ? 100.0 * Steal / Total : null;
}

/// <summary>Adds up the CPU time of the windows it is started and stopped around (a variant's measured iterations, round by round).</summary>
public sealed class StealMeter
{
    private CpuTimes? _started;

    public CpuTimes Counted { get; private set; }

    public void Start() => _started = CpuTimes.Read();

    public void Stop()
    {
        if (_started is { } a && CpuTimes.Read() is { } b)
        {
            Counted += b - a;
        }

        _started = null;
    }

    /// <summary>The steal over all of the windows; null when nothing was counted (no /proc/stat).</summary>
    public double? Percent => Counted.StealPercent;

    /// <summary>The steal over several meters' windows together.</summary>
    public static double? Over(IEnumerable<StealMeter> meters) =>
        meters.Aggregate(default(CpuTimes), (sum, m) => sum + m.Counted).StealPercent;
}

/// <summary>How bench, calibrate and ab say what the host took: one wording, the terminal's and report.md's.</summary>
public static class HostSteal
{
    /// <summary>Steal above which a run's times are said to depend on the host (and ⚠ is shown).</summary>
    public const double NoisyPercent = 10;

    public static bool IsNoisy(double? percent) => percent >= NoisyPercent;

    /// <summary>"the host took 23% of this machine's CPU time while … (steal; per variant 7–41%)", and what that means when it is much.</summary>
    public static string Line(double percent, IEnumerable<double?>? perVariant = null, string during = "while the variants were timed")
    {
        var each = perVariant?.OfType<double>().ToList() ?? [];
        var range = each.Count > 1 ? $"; per variant {Percent(each.Min())}–{Percent(each.Max())}" : "";
        var text = $"the host took {Percent(percent)} of this machine's CPU time {during} (steal, /proc/stat{range})";
        return IsNoisy(percent)
            ? $"⚠ {text}: the times depend on the host's other guests, so read × raw with its interval and time a release on a quieter runner; counters and plans do not depend on it"
            : text;
    }

    public static string Percent(double percent) =>
        percent.ToString(percent < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + "%";
}
