using Perfolizer.Mathematics.SignificanceTesting.Base;
using Perfolizer.Mathematics.SignificanceTesting.MannWhitney;
using Perfolizer.Metrology;
using Pragmastat;
using QueryLab.Bench.Compare;

namespace QueryLab.Tests.Compare;

/// <summary>The statistics against published values: U critical values, the BH step-up, the interval's coverage.</summary>
[Trait("Category", "Serverless")]
public class StatisticsTests
{
    [Theory]
    [InlineData(15, 15, 0.025, 64)] // two-sided α = 0.05: the textbook table's 64
    [InlineData(15, 15, 0.005, 51)] // two-sided α = 0.01: exact P(U ≤ 51) = 0.00494, P(U ≤ 52) > 0.005
    [InlineData(10, 10, 0.025, 23)]
    [InlineData(5, 5, 0.025, 2)]
    public void The_U_critical_values_match_the_published_table(int n, int m, double tail, long expected)
    {
        Assert.Equal(expected, RatioInterval.CriticalU(n, m, tail));
    }

    [Fact]
    public void The_smallest_p_decides_how_many_measurements_alpha_needs()
    {
        Assert.Equal(2.0 / 70, RatioInterval.SmallestTwoSidedP(4, 4), 12); // 2 / C(8, 4)
        Assert.Equal(2.0 / 252, RatioInterval.SmallestTwoSidedP(5, 5), 12);
        Assert.Null(RatioInterval.CriticalU(4, 4, 0.005)); // no 99% interval from 4 + 4
    }

    [Fact]
    public void Benjamini_Hochberg_steps_up_from_the_largest_p()
    {
        // m = 5: p·m/rank = 0.005, 0.025, 0.05, 0.05, 0.2 → running minimum from the top.
        var q = BenjaminiHochberg.Adjust([0.04, 0.001, 0.2, 0.03, 0.01]);

        Assert.Equal([0.05, 0.005, 0.2, 0.05, 0.025], q.Select(x => Math.Round(x, 10)).ToArray());
        Assert.Empty(BenjaminiHochberg.Adjust([]));
    }

    [Fact]
    public void The_ratio_interval_brackets_a_known_slowdown_and_excludes_one_exactly_when_the_test_rejects()
    {
        var rng = new Random(3);
        var baseline = CompareRuns.Measurements(rng, 100_000, 15, 0.03);
        var candidate = CompareRuns.Measurements(rng, 120_000, 15, 0.03);
        var e = RatioInterval.Of(baseline, candidate, 0.99);

        Assert.InRange(e.Ratio, 1.15, 1.25);
        Assert.True(e.Lower < 1.2 && 1.2 < e.Upper, $"{e.Lower} … {e.Upper}");
        var p = MannWhitneyTest.Instance.Perform(new Sample(candidate), new Sample(baseline), AlternativeHypothesis.TwoSides, Threshold.Zero).PValue.Value;
        Assert.True(p < 0.01 && e.Lower > 1);

        var same = RatioInterval.Of(baseline, baseline, 0.99);
        Assert.Equal(1, same.Ratio, 12);
        Assert.True(same.Lower < 1 && 1 < same.Upper);
    }
}
