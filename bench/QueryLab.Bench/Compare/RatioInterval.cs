using Perfolizer.Mathematics.Common;
using Perfolizer.Mathematics.SignificanceTesting.MannWhitney;
using Pragmastat;
using Pragmastat.Algorithms;
using Pragmastat.Estimators;

namespace QueryLab.Bench.Compare;

/// <summary>
/// How much slower or faster, with its uncertainty: the Hodges–Lehmann ratio — the median of every
/// candidate ÷ baseline pair of measurements (Pragmastat's <see cref="RatioEstimator"/>) — and the
/// distribution-free confidence interval that goes with the Mann–Whitney test (Moses): the k-th smallest and
/// k-th largest pairwise ratio, k from the U distribution's lower α/2 quantile (Perfolizer's exact
/// Löffler CDF up to 65 measurements in all, its Edgeworth approximation above, as its MannWhitneyTest
/// chooses). Ranks do not change under a logarithm, so the interval is built on log-ratios with
/// Pragmastat's exact <see cref="FastShift"/> order statistics. No random numbers: the same runs always
/// give the same interval.
/// </summary>
public static class RatioInterval
{
    public sealed record Estimate(double Ratio, double? Lower, double? Upper);

    public static Estimate Of(IReadOnlyList<double> baseline, IReadOnlyList<double> candidate, double confidence)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        var ratio = RatioEstimator.Instance.Estimate(new Sample(candidate), new Sample(baseline)).NominalValue;
        var k = CriticalU(candidate.Count, baseline.Count, (1 - confidence) / 2);
        if (k is null)
        {
            return new Estimate(ratio, null, null); // too few measurements for an interval at this level
        }

        var total = (long)candidate.Count * baseline.Count;
        var logC = candidate.Select(x => Math.Log(x)).ToArray();
        var logB = baseline.Select(x => Math.Log(x)).ToArray();
        // Order statistics k+1 and total−k (1-based) of the pairwise log-ratios; p puts type-7's h exactly on them.
        var p = new[] { Rank(k.Value + 1, total), Rank(total - k.Value, total) };
        var bounds = FastShift.Estimate(logC, logB, p);
        return new Estimate(ratio, Math.Exp(bounds[0]), Math.Exp(bounds[1]));
    }

    /// <summary>The largest u with P(U ≤ u) ≤ <paramref name="tail"/> under no change; null when even U = 0 is likelier.</summary>
    public static long? CriticalU(int n, int m, double tail)
    {
        var cdf = Cdf(n, m);
        // Perfolizer's Cdf(n, m, u) is P(U < u), so P(U ≤ u) is Cdf(n, m, u + 1).
        if (cdf.Cdf(n, m, 1) > tail)
        {
            return null;
        }

        int lo = 0, hi = n * m / 2; // P(U ≤ lo) ≤ tail; the answer is below the middle for any tail < 1/2
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (cdf.Cdf(n, m, mid + 1) <= tail)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }

    /// <summary>The smallest two-sided p-value n and m measurements can give: both samples entirely apart.</summary>
    public static double SmallestTwoSidedP(int n, int m) => Math.Min(1, 2 * Cdf(n, m).Cdf(n, m, 1));

    /// <summary>The CDF MannWhitneyTest's automatic strategy uses for these sizes.</summary>
    public static IMannWhitneyCdf Cdf(int n, int m) =>
        n + m <= BinomialCoefficientHelper.MaxAcceptableN ? MannWhitneyLoefflerExactCdf.Instance : MannWhitneyEdgeworthApproxCdf.Instance;

    private static double Rank(long rank, long total) => total <= 1 ? 0.5 : (double)(rank - 1) / (total - 1);
}
