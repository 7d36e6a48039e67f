using QueryLab.Bench.Compare;
using QueryLab.Bench.Results;
using QueryLab.Bench.Timing;
using QueryLab.Queries.Catalog;
using QueryLab.Seed;

namespace QueryLab.Tests.Compare;

/// <summary>
/// The round as the unit of replication (querylab ab): a change carried by one round is not a regression,
/// a change in every round is; the merge keeps the rounds apart; each round takes its share of the iterations;
/// and the calibration delays of --inject-delay are parsed against the catalog.
/// </summary>
[Trait("Category", "Serverless")]
public class RoundTests
{
    private static readonly CompareSettings Settings = CompareSettings.Default;

    /// <summary>Three rounds of five measurements around the given medians, with a little deterministic spread.</summary>
    private static TimingRecord Rounds(params double[] medians)
    {
        var all = medians.SelectMany((m, r) => new[] { 0.97, 0.99, 1.0, 1.01, 1.03 }.Select((f, i) => m * f * (1 + (0.001 * ((r * 5) + i))))).ToList();
        return RoundMerge.MergeTiming(medians.Select((_, r) => (TimingRecord?)new TimingRecord(0, 0, 0, 0, null, all.Skip(r * 5).Take(5).ToList(), null)).ToList())!;
    }

    private static MetricChange Judge(TimingRecord baseline, TimingRecord candidate)
    {
        static VariantResultRecord V(TimingRecord t) => new() { Name = "dapper", Library = "Dapper", Technique = "t", IsBaseline = false, Timing = t };
        return TimeComparer.Compare([new VariantPair("pending-page", V(baseline), V(candidate))], Settings).Single();
    }

    [Fact]
    public void A_change_that_one_round_does_not_show_is_unknown_not_a_regression()
    {
        // Pooled, the candidate is 40% slower and the test is significant — but round 2 did not move at all:
        // load on the machine during two rounds looks like this.
        var change = Judge(Rounds(100_000, 100_000, 100_000), Rounds(140_000, 100_500, 140_000));

        Assert.Equal(Outcome.Unknown, change.Outcome);
        Assert.Contains("not in every round", change.Note, StringComparison.Ordinal);
        Assert.True(change.Time!.AdjustedPValue <= Settings.Alpha);
        Assert.Equal(3, change.Time.RoundChanges!.Count);
        Assert.InRange(change.Time.RoundChanges[1], -0.02, 0.02);
    }

    [Fact]
    public void A_burst_in_one_round_moves_neither_the_estimate_nor_the_verdict()
    {
        // The Hodges–Lehmann ratio is the median of every candidate ÷ baseline pair: one round of three cannot carry it.
        var change = Judge(Rounds(100_000, 100_000, 100_000), Rounds(100_500, 180_000, 99_500));

        Assert.Equal(Outcome.Unchanged, change.Outcome);
        Assert.InRange(change.Time!.RoundChanges![1], 0.75, 0.85);
    }

    [Fact]
    public void A_slowdown_in_every_round_is_a_regression_with_the_round_changes_shown()
    {
        var change = Judge(Rounds(100_000, 104_000, 97_000), Rounds(121_000, 125_000, 118_000));

        Assert.Equal(Outcome.Regression, change.Outcome);
        Assert.All(change.Time!.RoundChanges!, r => Assert.InRange(r, 0.15, 0.25));
        Assert.Contains("rounds +", change.Note, StringComparison.Ordinal);
    }

    [Fact]
    public void An_improvement_in_every_round_is_an_improvement()
    {
        Assert.Equal(Outcome.Improvement, Judge(Rounds(100_000, 100_000, 100_000), Rounds(70_000, 72_000, 69_000)).Outcome);
    }

    [Fact]
    public void Single_runs_have_no_rounds_and_are_judged_on_their_iterations_alone()
    {
        var b = new TimingRecord(0, 0, 0, 0, null, Enumerable.Range(0, 15).Select(i => 100_000.0 + (i * 100)).ToList(), null);
        var c = b with { MeasurementsNs = b.MeasurementsNs.Select(x => x * 1.3).ToList() };

        var change = Judge(b, c);

        Assert.Null(change.Time!.RoundChanges);
        Assert.Equal(Outcome.Regression, change.Outcome);
        Assert.Single(b.Rounds());
    }

    [Fact]
    public void Rounds_of_another_count_are_compared_every_one_with_every_one_and_single_runs_not_at_all()
    {
        Assert.Equal(6, TimeComparer.RoundChanges(Rounds(1, 2, 3), Rounds(1, 2))!.Count);
        Assert.Equal(3, TimeComparer.RoundChanges(Rounds(1, 2, 3), Rounds(1))!.Count);
        Assert.Equal(2, TimeComparer.RoundChanges(Rounds(1, 2), Rounds(1, 2))!.Count); // paired
        Assert.Null(TimeComparer.RoundChanges(Rounds(1), Rounds(1)));
    }

    [Fact]
    public void Against_a_baseline_of_several_runs_a_candidate_inside_their_spread_is_not_a_regression()
    {
        // Three baseline runs of one build: 100, 118 and 96 µs. A candidate run at 112 µs is 12% slower than the
        // pooled baseline, significantly so — but no slower than one of the baseline's own runs.
        var baseline = Rounds(100_000, 118_000, 96_000);

        var inside = Judge(baseline, Rounds(112_000));
        var beyond = Judge(baseline, Rounds(140_000));

        Assert.NotEqual(Outcome.Regression, inside.Outcome);
        Assert.Equal(3, inside.Time!.RoundChanges!.Count);
        Assert.Equal(Outcome.Regression, beyond.Outcome);
        Assert.All(beyond.Time!.RoundChanges!, r => Assert.True(r >= 0.10));
    }

    [Fact]
    public void The_merge_keeps_each_rounds_share_and_splits_back_into_the_same_rounds()
    {
        var merged = RoundMerge.MergeTiming([
            new TimingRecord(1, 1, 1, 0, null, [1, 2, 3], null),
            null,
            new TimingRecord(1, 1, 1, 0, null, [4, 5], null),
        ])!;

        Assert.Equal([3, 2], merged.RoundSizes);
        Assert.Equal([[1.0, 2, 3], [4.0, 5]], merged.Rounds().Select(r => r.ToArray()).ToArray());

        // a merge of merged runs keeps every round
        var again = RoundMerge.MergeTiming([merged, new TimingRecord(1, 1, 1, 0, null, [6], null)])!;
        Assert.Equal([3, 2, 1], again.RoundSizes);
    }

    [Theory]
    [InlineData(3, 6)]
    [InlineData(2, 8)]
    [InlineData(5, 4)]
    [InlineData(10, 3)]
    public void Each_round_of_the_ci_profile_takes_its_share_of_the_16_iterations(int rounds, int expected)
    {
        Assert.Equal(expected, Bench.Cli.AbCommand.IterationsPerRound(BenchProfile.Ci, rounds, requested: null));
    }

    [Fact]
    public void The_smoke_profile_keeps_its_single_run_and_a_requested_count_wins()
    {
        Assert.Equal(12, Bench.Cli.AbCommand.IterationsPerRound(BenchProfile.Release, 3, null)); // 3 rounds of 12 = 36 in all
        Assert.Null(Bench.Cli.AbCommand.IterationsPerRound(BenchProfile.Smoke, 3, null));
        Assert.Equal(7, Bench.Cli.AbCommand.IterationsPerRound(BenchProfile.Ci, 3, 7));
        Assert.Equal(ExitCode.BadInput, Assert.Throws<LabException>(() => Bench.Cli.AbCommand.IterationsPerRound(BenchProfile.Ci, 3, 1)).Code);
    }

    [Fact]
    public void Injected_delays_are_parsed_against_the_catalog()
    {
        var catalog = ScenarioCatalog.All;

        var delays = TimingOptions.ParseDelays(["pending-page/dapper=25us", "lookup-by-tracking-number/*=1.5ms", "daily-volume/dapper-live=10%"], catalog);

        Assert.Equal(new InjectedDelay(25_000, null), delays["pending-page/dapper"]);
        Assert.Equal(1_500_000, delays["lookup-by-tracking-number/npgsql-prepared"].NsFor(400_000));
        Assert.Equal(40_000, delays["daily-volume/dapper-live"].NsFor(400_000)!.Value, 6); // 10% of a 400 µs median
        Assert.Null(delays["daily-volume/dapper-live"].NsFor(0)); // a fraction needs a median
        var reference = TimingOptions.ParseDelays(["pending-page/dapper=0us", "pending-page/npgsql-prepared=0%"], catalog);
        Assert.All(reference.Values, d => Assert.Equal(0, d.NsFor(0))); // the injection's path with no delay
        Assert.Equal(catalog.Single(s => s.Name == "lookup-by-tracking-number").Variants.Count + 2, delays.Count);
    }

    [Theory]
    [InlineData("pending-page/dapper", "is not scenario/variant=delay")]
    [InlineData("pending-page/dapper=25", "is not scenario/variant=delay")]
    [InlineData("pending-page/dapper=5s", "is not scenario/variant=delay")]
    [InlineData("pending-page/dapper=1001%", "between 0% (the reference")]
    [InlineData("no-such/dapper=5us", "no scenario 'no-such'")]
    [InlineData("pending-page/no-such=5us", "has no variant 'no-such'")]
    [InlineData("pending-page/dapper=1001ms", "between 0 (the reference")]
    public void Bad_delays_are_exit_2_naming_the_problem(string spec, string expected)
    {
        var ex = Assert.Throws<LabException>(() => TimingOptions.ParseDelays([spec], ScenarioCatalog.All));

        Assert.Equal(ExitCode.BadInput, ex.Code);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
