using QueryLab.Bench.Ab;
using QueryLab.Bench.Compare;
using QueryLab.Bench.Results;
using QueryLab.Tests.Infrastructure;
using static QueryLab.Tests.Compare.CompareRuns;

namespace QueryLab.Tests;

/// <summary>
/// `querylab ab` without building or benchmarking anything: the interleaved order, the merge of the
/// rounds, and the arguments it refuses before it touches git worktrees or a server.
/// </summary>
[Trait("Category", "Serverless")]
public class AbTests
{
    [Fact]
    public void Rounds_alternate_which_side_goes_first()
    {
        var order = AbPlan.Order(3).Select(s => s.Name).ToList();

        Assert.Equal(["base-1", "head-1", "head-2", "base-2", "base-3", "head-3"], order);
    }

    [Fact]
    public void Fresh_workers_warm_only_the_flagged_scenarios_and_keep_their_delays_and_references()
    {
        string[] args = ["--scenario", "lookup-*,pending-page", "--inject-delay", "pending-page/dapper=10%", "--inject-delay", "lookup-by-tracking-number/dapper=5%", "--inject-reference", "pending-page/ef-no-tracking", "--inject-at", "server"];

        Assert.Equal(
            ["--scenario", "pending-page", "--inject-delay", "pending-page/dapper=10%", "--inject-reference", "pending-page/ef-no-tracking", "--inject-at", "server"],
            AbDuet.Narrowed(args, ["pending-page"]));
        Assert.Equal(["--scenario", "a,b"], AbDuet.Narrowed([], ["a", "b"]));
        // What the first head worker injected goes to the fresh one as that delay, not as a share of its own warm-up median.
        Assert.Equal(
            ["--scenario", "pending-page", "--inject-delay", "pending-page/dapper=27245ns", "--inject-reference", "pending-page/ef-no-tracking", "--inject-at", "server"],
            AbDuet.Narrowed(args, ["pending-page"], new Dictionary<string, double> { ["pending-page/dapper"] = 27_245.4, ["lookup-by-tracking-number/dapper"] = 9_000 }));
    }

    [Fact]
    public void One_round_is_base_then_head_and_zero_rounds_is_refused()
    {
        Assert.Equal([new AbStep(1, AbSide.Base), new AbStep(1, AbSide.Head)], AbPlan.Order(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => AbPlan.Order(0));
    }

    [Fact]
    public void Merging_concatenates_the_measurements_in_round_order_and_recomputes_the_figures()
    {
        var r1 = Timed(Run(runId: "r1"), [100, 110, 120], allocated: 10);
        var r2 = Timed(Run(runId: "r2"), [130, 140], allocated: 20);
        var r3 = Timed(Run(runId: "r3"), [150], allocated: 30);

        var merged = RoundMerge.Merge([r1, r2, r3], "merged", "querylab ab --base-ref main");
        var t = Dapper(merged).Timing!;

        Assert.Equal([100, 110, 120, 130, 140, 150], t.MeasurementsNs);
        Assert.Equal(125, t.MeanNs, 9);
        Assert.Equal(125, t.MedianNs, 9);
        Assert.Equal(147.5, t.P95Ns, 9);
        Assert.Equal(Math.Sqrt(350) / Math.Sqrt(6), t.StdErrNs, 9);
        Assert.Equal(30, t.AllocatedBytesPerOp); // counters are the last round's
        Assert.Equal("merged", merged.RunId);
        Assert.Equal("querylab ab --base-ref main", merged.Command);
        Assert.Same(Dapper(r3).Profile, Dapper(merged).Profile);
        var baseline = merged.Scenarios.Single(s => s.Name == "pending-page").Variants.Single(v => v.IsBaseline).Timing!;
        Assert.Equal(45, baseline.MeasurementsNs.Count); // 15 per round, three rounds
        Assert.Equal(t.MeanNs / baseline.MeanNs, Dapper(merged).RatioToBaseline!.Value, 9);
    }

    [Fact]
    public void A_round_that_did_not_time_a_variant_adds_nothing_and_an_error_is_kept()
    {
        var merged = RoundMerge.MergeTiming([
            new TimingRecord(1, 1, 1, 0, null, [1, 2], null),
            null,
            new TimingRecord(3, 3, 3, 0, 64, [3], "timed out"),
        ]);

        Assert.NotNull(merged);
        Assert.Equal([1, 2, 3], merged.MeasurementsNs);
        Assert.Equal("timed out", merged.Error);
        Assert.Equal(64, merged.AllocatedBytesPerOp);
        Assert.Null(RoundMerge.MergeTiming([null, null]));
    }

    [Fact]
    public async Task An_unknown_base_ref_is_exit_2_with_a_clear_message()
    {
        var r = await CliRunner.RunAsync(null, "ab", "--base-ref", "no-such-branch-querylab-ab", "--profile", "smoke");

        Assert.True(r.ExitCode == 2, r.All);
        Assert.Contains("unknown git ref 'no-such-branch-querylab-ab'", r.Err);
        Assert.Contains("git fetch", r.Err);
        Assert.DoesNotContain("worktree", r.Out); // refused before anything was created
    }

    [Fact]
    public async Task Bad_rounds_and_a_missing_base_ref_are_exit_2()
    {
        var rounds = await CliRunner.RunAsync(null, "ab", "--base-ref", "HEAD", "--rounds", "0");
        var missing = await CliRunner.RunAsync(null, "ab");

        Assert.True(rounds.ExitCode == 2, rounds.All);
        Assert.Contains("--rounds must be at least 1", rounds.Err);
        Assert.True(missing.ExitCode == 2, missing.All);
        Assert.Contains("--base-ref", missing.Err);
    }

    private static VariantResultRecord Dapper(RunResults r) =>
        r.Scenarios.Single(s => s.Name == "pending-page").Variants.Single(v => v.Name == "dapper");

    private static RunResults Timed(RunResults r, double[] measurements, long allocated) =>
        With(r, "pending-page", "dapper", v => v with
        {
            Timing = new TimingRecord(0, 0, 0, 0, allocated, measurements, null),
            Profile = v.Profile! with { },
        });
}
