using System.Diagnostics;

namespace QueryLab.Bench.Timing;

/// <summary>One side of a paired measurement: runs a slice of a case's operations and says how long each took.</summary>
public interface ISliceRunner
{
    /// <summary>Runs operations <paramref name="start"/> … <paramref name="start"/>+<paramref name="count"/>−1 of the case; nanoseconds per operation.</summary>
    Task<double> SliceAsync(string key, int start, int count, CancellationToken ct);
}

/// <summary>A slice runner in this process, over cases already prepared (and warmed).</summary>
public sealed class LocalSliceRunner(IReadOnlyDictionary<string, CasePlan> cases) : ISliceRunner
{
    /// <summary>An operation this long wakes its own threads and caches in its first microseconds: its slices get no untimed wake-up.</summary>
    public static readonly TimeSpan LongOperation = TimeSpan.FromMilliseconds(25);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, double> _lastNs = new(StringComparer.Ordinal);

    public async Task<double> SliceAsync(string key, int start, int count, CancellationToken ct)
    {
        var c = cases[key];
        // A collection first, outside the slice, as BenchmarkDotNet does between iterations: a slice of ~40 ms then pays
        // for its own garbage, not for whatever the previous slices left in gen0.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var wake = WakeUpOperations(count, _lastNs.TryGetValue(key, out var last) ? last : null);
        if (wake > 0)
        {
            await Task.Run(() => OperationLoop.RunAsync(c, start, wake, ct), ct);
        }

        var started = Stopwatch.GetTimestamp();
        await Task.Run(() => OperationLoop.RunAsync(c, start, count, ct), ct);
        var ns = Stopwatch.GetElapsedTime(started).TotalNanoseconds / count;
        _lastNs[key] = ns;
        return ns;
    }

    /// <summary>
    /// The untimed operations before a slice. A side waits while the other runs its slice: its threads sleep and its
    /// caches go cold, so an eighth of the slice, at least one operation, wakes them and the slice measures the operation,
    /// not the wake-up. Not for a one-operation slice of an operation of <see cref="LongOperation"/> or more (as the case's
    /// last slice took): its wake-up is a fraction of a percent of it, and a whole operation of wake-up doubled the slice —
    /// half of a 650 ms EF Core query's 150 s in a full-catalog calibrate.
    /// </summary>
    public static int WakeUpOperations(int count, double? lastNsPerOperation) =>
        count == 1 && lastNsPerOperation >= LongOperation.TotalNanoseconds ? 0 : Math.Max(1, count / 8);
}

/// <summary>What a paired measurement found for one variant.</summary>
public enum DuetVerdict
{
    /// <summary>The interval lies within ± the threshold.</summary>
    Unchanged,

    /// <summary>B is slower by at least the threshold, significantly, and a second measurement agreed.</summary>
    Slower,

    /// <summary>B is faster by at least the threshold, significantly, and a second measurement agreed.</summary>
    Faster,

    /// <summary>Not decided: the interval is too wide, the change is below the threshold but not excluded, or the re-measurement disagreed.</summary>
    Unknown,
}

/// <summary>One side of a duet: what runs its slices, which case, and how many operations a slice holds.</summary>
public sealed record DuetSide(ISliceRunner Runner, string Key, int Operations);

/// <summary>One variant's paired measurement: B ÷ A with its interval, both sides' medians, and the verdict.</summary>
public sealed record DuetResult(string Key, PairedRatio.Estimate Ratio, double AMedianNs, double BMedianNs, DuetVerdict Verdict, PairedRatio.Estimate? Remeasured, string Why);

/// <summary>How a duet measures and decides.</summary>
/// <param name="Pairs">B slices per measurement (A gets one more: A B A B … A).</param>
/// <param name="SliceTime">How long one slice is planned to last.</param>
/// <param name="Threshold">The smallest relative change called slower or faster (0.05 = 5%).</param>
/// <param name="Confidence">The level of the interval (1 − α).</param>
/// <param name="MaxPairs">
/// A measurement that has not decided after <paramref name="Pairs"/> goes on, <paramref name="Pairs"/> more at a time,
/// up to this many (sequential: a noisy variant gets more slices, a clear one no more than it needs). 0: as many as Pairs.
/// </param>
public sealed record DuetSettings(int Pairs, TimeSpan SliceTime, double Threshold, double Confidence, int MaxPairs = 0)
{
    /// <summary>The most B slices one measurement takes.</summary>
    public int MostPairs => Math.Max(Pairs, MaxPairs);
}

/// <summary>
/// Duet (interleaved) measurement of two sides — two builds, or a variant with and without an injected slowdown, or a
/// variant and its baseline — on one machine at the same time: slices of ~50 ms alternate A B A B … A, each B slice is
/// divided by the geometric mean of the A slices on either side of it (so a linear drift of the machine cancels), and
/// the ratio is the Hodges–Lehmann estimate of those pair ratios with its exact signed-rank interval (Laaber et al.,
/// EMSE 2019; Bulej et al., ICPE 2020). A change flagged as slower or faster is measured a second time, with fresh
/// slices, before it is reported: only a change both measurements show is a verdict.
/// </summary>
public static class Duet
{
    /// <summary>The operations of one slice: a power of two that fits <paramref name="sliceTime"/> at <paramref name="estimateNs"/> per operation.</summary>
    public static int SliceOperations(double estimateNs, TimeSpan sliceTime)
    {
        var ops = 1;
        while (estimateNs > 0 && ops * 2 * estimateNs <= sliceTime.TotalNanoseconds && ops < 4096)
        {
            ops *= 2;
        }

        return ops;
    }

    /// <summary>Measures B against A and decides, re-measuring a flagged change.</summary>
    public static async Task<DuetResult> CompareAsync(DuetSide a, DuetSide b, DuetSettings settings, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(settings);
        var rounds = (settings.MostPairs + settings.Pairs - 1) / settings.Pairs;
        var first = await DecideAsync(a, b, settings, 0, rounds, ct);
        var verdict = Judge(first.Ratio, settings);
        if (verdict is DuetVerdict.Unchanged or DuetVerdict.Unknown)
        {
            return new DuetResult(a.Key, first.Ratio, first.AMedian, first.BMedian, verdict, null, Explain(first.Ratio, settings, verdict));
        }

        var second = await DecideAsync(a, b, settings, rounds, rounds, ct);
        var again = Judge(second.Ratio, settings);
        return again == verdict
            ? new DuetResult(a.Key, first.Ratio, first.AMedian, first.BMedian, verdict, second.Ratio, Explain(first.Ratio, settings, verdict) + $"; confirmed on re-measure ({Describe(second.Ratio)})")
            : new DuetResult(a.Key, first.Ratio, first.AMedian, first.BMedian, DuetVerdict.Unknown, second.Ratio, $"{Describe(first.Ratio)}, but the re-measure gave {Describe(second.Ratio)}: not confirmed");
    }

    /// <summary>
    /// One measurement that goes on while it has not decided: <see cref="DuetSettings.Pairs"/> pairs at a time, at most
    /// <paramref name="rounds"/> times; the ratio over all its pairs.
    /// </summary>
    private static async Task<(PairedRatio.Estimate Ratio, double AMedian, double BMedian)> DecideAsync(DuetSide a, DuetSide b, DuetSettings settings, int firstAttempt, int rounds, CancellationToken ct)
    {
        var ratios = new List<double>();
        var aTimes = new List<double>();
        var bTimes = new List<double>();
        PairedRatio.Estimate estimate = new(double.NaN, null, null, 0, settings.Confidence);
        for (var r = 0; r < rounds; r++)
        {
            var m = await SlicesAsync(a, b, settings, firstAttempt + r, ct);
            ratios.AddRange(m.Ratios);
            aTimes.AddRange(m.ATimes);
            bTimes.AddRange(m.BTimes);
            estimate = PairedRatio.OfRatios(ratios, settings.Confidence) ?? estimate;
            if (Judge(estimate, settings) != DuetVerdict.Unknown)
            {
                break;
            }
        }

        return (estimate, PairedRatio.RoundMedian(aTimes), PairedRatio.RoundMedian(bTimes));
    }

    /// <summary>One measurement: A B A B … A, <see cref="DuetSettings.Pairs"/> B slices; B ÷ A with its interval, and both medians.</summary>
    public static async Task<(PairedRatio.Estimate Ratio, double AMedian, double BMedian)> MeasureAsync(DuetSide a, DuetSide b, DuetSettings settings, int attempt, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var m = await SlicesAsync(a, b, settings, attempt, ct);
        var ratio = PairedRatio.OfRatios(m.Ratios, settings.Confidence) ?? new PairedRatio.Estimate(double.NaN, null, null, 0, settings.Confidence);
        return (ratio, PairedRatio.RoundMedian(m.ATimes), PairedRatio.RoundMedian(m.BTimes));
    }

    private static async Task<(List<double> Ratios, List<double> ATimes, List<double> BTimes)> SlicesAsync(DuetSide a, DuetSide b, DuetSettings settings, int attempt, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(settings);
        var pairs = settings.Pairs;
        var aTimes = new List<double>(pairs + 1);
        var bTimes = new List<double>(pairs);
        // Every slice of one measurement runs the same stretch of the parameter rotation (the next measurement the next
        // stretch), so A and B do the same work and the slices differ only in when they run. With the i-th stretch for slice
        // i, B_i was divided by A_i and A_(i+1), which ran the next stretch: where the parameters' costs differ (an N+1 over
        // carriers with more or fewer shipments in transit) that biased an A/A duet by itself: −15 … −21% three times over
        // for in-transit…/dapper-n-plus-1 in one full-catalog calibrate.
        var stretch = attempt;
        for (var i = 0; i < pairs; i++)
        {
            aTimes.Add(await a.Runner.SliceAsync(a.Key, stretch * a.Operations, a.Operations, ct));
            bTimes.Add(await b.Runner.SliceAsync(b.Key, stretch * b.Operations, b.Operations, ct));
        }

        aTimes.Add(await a.Runner.SliceAsync(a.Key, stretch * a.Operations, a.Operations, ct));
        var ratios = bTimes.Select((t, i) => t / Math.Sqrt(aTimes[i] * aTimes[i + 1])).ToList();
        return (ratios, aTimes, bTimes);
    }

    /// <summary>Slower: the estimate at least the threshold above 1 and the interval above 1; faster likewise below; unchanged: the interval within ± the threshold.</summary>
    public static DuetVerdict Judge(PairedRatio.Estimate e, DuetSettings settings)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(settings);
        if (e.Lower is not { } lo || e.Upper is not { } hi || double.IsNaN(e.Ratio))
        {
            return DuetVerdict.Unknown;
        }

        var t = settings.Threshold;
        if (e.Ratio >= 1 + t && lo > 1)
        {
            return DuetVerdict.Slower;
        }

        if (e.Ratio <= 1 / (1 + t) && hi < 1)
        {
            return DuetVerdict.Faster;
        }

        return lo >= 1 / (1 + t) && hi <= 1 + t ? DuetVerdict.Unchanged : DuetVerdict.Unknown;
    }

    public static string Describe(PairedRatio.Estimate e) =>
        e.Lower is { } lo && e.Upper is { } hi
            ? $"{Change(e.Ratio)} [{Change(lo)} … {Change(hi)}]"
            : Change(e.Ratio);

    private static string Explain(PairedRatio.Estimate e, DuetSettings s, DuetVerdict v) => v switch
    {
        DuetVerdict.Slower => $"{Describe(e)}: slower by at least {s.Threshold:P0}, the {s.Confidence:P0} interval above 0",
        DuetVerdict.Faster => $"{Describe(e)}: faster by at least {s.Threshold:P0}, the {s.Confidence:P0} interval below 0",
        DuetVerdict.Unchanged => $"{Describe(e)}: the {s.Confidence:P0} interval within ±{s.Threshold:P0}",
        _ => $"{Describe(e)}: not decided (the interval reaches past ±{s.Threshold:P0} without the change reaching it)",
    };

    private static string Change(double ratio) =>
        (ratio >= 1 ? "+" : "−") + Math.Abs((ratio - 1) * 100).ToString(Math.Abs(ratio - 1) < 0.1 ? "0.0" : "0", System.Globalization.CultureInfo.InvariantCulture) + "%";
}
