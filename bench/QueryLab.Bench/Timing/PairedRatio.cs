namespace QueryLab.Bench.Timing;

/// <summary>
/// "× raw" from paired slices: each round measures a variant and its scenario's baseline seconds apart, so the
/// machine's drift shows in both and cancels in their ratio. The estimate is the Hodges–Lehmann estimator of the
/// per-round log-ratios (the median of their Walsh averages, i.e. of every pairwise mean), and the interval is the
/// exact Wilcoxon signed-rank one that goes with it: distribution-free, and with no random numbers, so the same
/// rounds always give the same figures.
/// </summary>
public static class PairedRatio
{
    /// <summary>A ratio with its interval (null bounds: too few rounds for an interval at this level).</summary>
    public sealed record Estimate(double Ratio, double? Lower, double? Upper, int Pairs, double Confidence);

    /// <summary>The default confidence of the intervals bench reports.</summary>
    public const double DefaultConfidence = 0.95;

    /// <summary>The ratio of <paramref name="variant"/> to <paramref name="baseline"/>, round by round (same length, paired by index).</summary>
    public static Estimate? Of(IReadOnlyList<double> variant, IReadOnlyList<double> baseline, double confidence = DefaultConfidence)
    {
        ArgumentNullException.ThrowIfNull(variant);
        ArgumentNullException.ThrowIfNull(baseline);
        var logs = variant.Zip(baseline)
            .Where(p => p.First > 0 && p.Second > 0 && double.IsFinite(p.First) && double.IsFinite(p.Second))
            .Select(p => Math.Log(p.First / p.Second))
            .ToArray();
        return logs.Length == 0 ? null : OfLogs(logs, confidence);
    }

    /// <summary>The estimate and interval of ratios measured pair by pair; null when there are none.</summary>
    public static Estimate? OfRatios(IReadOnlyList<double> ratios, double confidence = DefaultConfidence)
    {
        ArgumentNullException.ThrowIfNull(ratios);
        var logs = ratios.Where(r => r > 0 && double.IsFinite(r)).Select(r => Math.Log(r)).ToArray();
        return logs.Length == 0 ? null : OfLogs(logs, confidence);
    }

    /// <summary>The estimate and interval of paired log-ratios.</summary>
    public static Estimate OfLogs(IReadOnlyList<double> logs, double confidence)
    {
        ArgumentNullException.ThrowIfNull(logs);
        var n = logs.Count;
        var walsh = new double[n * (n + 1) / 2];
        var at = 0;
        for (var i = 0; i < n; i++)
        {
            for (var j = i; j < n; j++)
            {
                walsh[at++] = (logs[i] + logs[j]) / 2;
            }
        }

        Array.Sort(walsh);
        var center = Median(walsh);
        var k = CriticalW(n, (1 - confidence) / 2);
        if (k is null)
        {
            return new Estimate(Math.Exp(center), null, null, n, confidence);
        }

        // Order statistics k+1 and N−k (1-based) of the Walsh averages bound the interval.
        return new Estimate(Math.Exp(center), Math.Exp(walsh[k.Value]), Math.Exp(walsh[walsh.Length - 1 - k.Value]), n, confidence);
    }

    /// <summary>
    /// The largest w with P(W⁺ ≤ w) ≤ <paramref name="tail"/> for n pairs under no change (exact, by counting the 2ⁿ
    /// sign assignments with a recurrence), or null when even W⁺ = 0 is likelier than the tail: too few pairs.
    /// </summary>
    public static int? CriticalW(int n, double tail)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var max = n * (n + 1) / 2;
        var counts = new double[max + 1];
        counts[0] = 1;
        for (var i = 1; i <= n; i++)
        {
            for (var w = max; w >= i; w--)
            {
                counts[w] += counts[w - i];
            }
        }

        var total = Math.Pow(2, n);
        var cumulative = 0.0;
        int? critical = null;
        for (var w = 0; w <= max; w++)
        {
            cumulative += counts[w];
            if (cumulative / total > tail)
            {
                break;
            }

            critical = w;
        }

        return critical;
    }

    /// <summary>The median of the values of each round (a round may hold several iterations).</summary>
    public static double RoundMedian(IReadOnlyList<double> values) => values.Count == 0 ? double.NaN : Median(values.Order().ToArray());

    private static double Median(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}
