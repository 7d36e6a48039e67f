using QueryLab.Bench.Results;

namespace QueryLab.Bench.Compare;

/// <summary>
/// Several runs of one build as one run with a round per run: the rounds of each side of <c>querylab ab</c>, and a
/// baseline saved from several runs (<c>querylab baseline save --from … --from …</c>). Pure, so tests can check it.
/// </summary>
public static class RoundMerge
{
    /// <summary>
    /// One run from the rounds of one side, in round order: each variant's measurements are the rounds'
    /// measurements concatenated, and its mean, median, p95 and standard error are computed again from them.
    /// Each variant keeps the size of every round's share (<see cref="TimingRecord.RoundSizes"/>), so the time test can
    /// pair the rounds of the two sides. Everything else (counters, plans, verification, allocations, environment) is the last round's.
    /// A variant timed in no round keeps the last round's record; a timing error of any round is kept.
    /// </summary>
    public static RunResults Merge(IReadOnlyList<RunResults> rounds, string runId, string command)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        if (rounds.Count == 0)
        {
            throw new ArgumentException("no rounds to merge", nameof(rounds));
        }

        var last = rounds[^1];
        var scenarios = last.Scenarios.Select(s =>
        {
            var variants = s.Variants.Select(v => v with { Timing = MergeTiming(rounds.Select(r => Find(r, s.Name, v.Name)?.Timing).ToList()) ?? v.Timing }).ToList();
            var baseline = variants.FirstOrDefault(v => v.IsBaseline)?.Timing;
            return s with
            {
                Variants = variants.Select(v => v with
                {
                    RatioToBaseline = v.Timing is { } t && baseline is not null && baseline.MeanNs > 0 && !double.IsNaN(t.MeanNs) ? t.MeanNs / baseline.MeanNs : null,
                }).ToList(),
            };
        }).ToList();

        return last with
        {
            RunId = runId,
            StartedAt = rounds.Min(r => r.StartedAt),
            FinishedAt = rounds.Max(r => r.FinishedAt ?? r.StartedAt),
            Command = command,
            Scenarios = scenarios,
        };
    }

    /// <summary>The timings of one variant over the rounds (null where a round did not time it) as one timing.</summary>
    public static TimingRecord? MergeTiming(IReadOnlyList<TimingRecord?> timings)
    {
        ArgumentNullException.ThrowIfNull(timings);
        var timed = timings.OfType<TimingRecord>().ToList();
        if (timed.Count == 0)
        {
            return null;
        }

        var all = timed.SelectMany(t => t.MeasurementsNs).ToList();
        var sizes = timed.SelectMany(t => t.Rounds().Select(r => r.Count)).ToList();
        var error = timed.Select(t => t.Error).FirstOrDefault(e => e is not null);
        var lastTimed = timed[^1];
        if (all.Count == 0)
        {
            return lastTimed with { Error = error };
        }

        var sorted = all.Order().ToArray();
        var mean = all.Average();
        var sd = all.Count > 1 ? Math.Sqrt(all.Sum(x => (x - mean) * (x - mean)) / (all.Count - 1)) : 0;
        return new TimingRecord(mean, Quantile(sorted, 0.5), Quantile(sorted, 0.95), sd / Math.Sqrt(all.Count), lastTimed.AllocatedBytesPerOp, all, error)
        {
            RoundSizes = sizes,
            Allocation = lastTimed.Allocation,
        };
    }

    private static VariantResultRecord? Find(RunResults r, string scenario, string variant) =>
        r.Scenarios.FirstOrDefault(s => s.Name == scenario)?.Variants.FirstOrDefault(v => v.Name == variant);

    /// <summary>Linear interpolation between closest ranks (the R-7 / Excel definition).</summary>
    private static double Quantile(double[] sorted, double p)
    {
        var h = (sorted.Length - 1) * p;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + ((h - lo) * (sorted[hi] - sorted[lo]));
    }
}
