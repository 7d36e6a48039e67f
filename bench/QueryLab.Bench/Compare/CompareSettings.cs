using System.Globalization;
using QueryLab.Seed;

namespace QueryLab.Bench.Compare;

/// <summary>
/// What decides a change: the smallest relative time change worth reporting, the smallest relative change
/// of buffers, the executor's counters (rows processed, temp blocks, WAL bytes) and allocations, and the significance level of the time test (after Benjamini–Hochberg).
/// Parsed and checked once, then passed on as one value.
/// </summary>
public sealed record CompareSettings(double TimeThreshold, double CounterThreshold, double Alpha)
{
    public static readonly CompareSettings Default = new(0.10, 0.20, 0.01);

    public static CompareSettings Parse(string? timeThreshold, string? counterThreshold, string? alpha) => new(
        timeThreshold is null ? Default.TimeThreshold : Percent("--threshold-time", timeThreshold),
        counterThreshold is null ? Default.CounterThreshold : Percent("--threshold-counters", counterThreshold),
        alpha is null ? Default.Alpha : ParseAlpha(alpha));

    /// <summary>"10%" → 0.10. A bare number is refused: "0.1" and "10" would each be a guess.</summary>
    public static double Percent(string option, string text)
    {
        var t = text.Trim();
        if (t.EndsWith('%')
            && double.TryParse(t[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            && v > 0 && v < 1000 && double.IsFinite(v))
        {
            return v / 100;
        }

        throw LabException.BadInput($"{option} '{text}' is not a percentage; write it like 10% or 2.5% (more than 0%, less than 1000%)");
    }

    private static double ParseAlpha(string text)
    {
        if (double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var a) && a > 0 && a <= 0.2)
        {
            return a;
        }

        throw LabException.BadInput($"--alpha '{text}' is not a significance level; give a number above 0 and at most 0.2, like 0.01 or 0.05");
    }

    /// <summary>"10%", "2.5%": how the thresholds are printed.</summary>
    public static string Pct(double fraction) => (fraction * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";
}
