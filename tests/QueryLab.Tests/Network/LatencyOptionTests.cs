using QueryLab.Bench.Latency;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;
using QueryLab.Tests.Compare;
using QueryLab.Tests.Infrastructure;
using static QueryLab.Tests.Compare.CompareRuns;

namespace QueryLab.Tests.Network;

/// <summary>--latency as parsed, compare's refusal of runs at another latency, and report.md's sweep: no server needed.</summary>
[Trait("Category", "Serverless")]
public sealed class LatencyOptionTests
{
    [Theory]
    [InlineData("0.5ms", new[] { 0.5 })]
    [InlineData("2ms", new[] { 2.0 })]
    [InlineData("500us", new[] { 0.5 })]
    [InlineData("0,0.5ms,1ms,5ms", new[] { 0, 0.5, 1, 5 })]
    [InlineData("1s", new[] { 1000.0 })]
    public void Round_trip_times_are_parsed_in_the_order_given(string value, double[] ms) =>
        Assert.Equal(ms, LatencyOptions.Parse(value)!.RoundTrips.Select(t => t.TotalMilliseconds));

    [Theory]
    [InlineData("-1ms", "negative")]
    [InlineData("fast", "not a round-trip time")]
    [InlineData("1.5", "")]
    [InlineData("1001ms", "over 1 s")]
    [InlineData("2s", "over 1 s")]
    [InlineData("1ms,,2ms", "not a round-trip time")]
    public async Task Bad_latencies_are_exit_2_with_one_line_before_any_server(string value, string reason)
    {
        if (reason.Length == 0)
        {
            Assert.Equal(1.5, LatencyOptions.Parse(value)!.RoundTrips[0].TotalMilliseconds); // a bare number is milliseconds
            return;
        }

        // A server that does not exist: the option is refused before anything connects.
        var env = new Dictionary<string, string?> { ["QUERYLAB_CONNECTION"] = "Host=127.0.0.1;Port=1;Username=x;Password=y;Database=z" };
        var r = await CliRunner.RunAsync(env, "bench", "--latency", value, "--profile", "smoke");
        Assert.True(r.ExitCode == 2, r.All);
        var line = Assert.Single(r.Err.Trim().Split('\n'));
        Assert.Contains(reason, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compare_refuses_runs_of_another_latency_and_reads_older_runs_as_zero()
    {
        using (var same = TempRuns.Of(Run(), Run() with { LatencyMs = 0 }))
        {
            var r = await same.CompareAsync();
            Assert.True(r.ExitCode == 0, r.All);
        }

        using var t = TempRuns.Of(Run(), Run() with { LatencyMs = 1 });
        var refused = await t.CompareAsync();
        Assert.True(refused.ExitCode == 2, refused.All);
        var line = Assert.Single(refused.Err.Trim().Split('\n'));
        Assert.Contains("latency 0 ms vs 1 ms round trip", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_sweep_shows_each_variant_at_each_round_trip_with_its_chart_and_the_relay_cost()
    {
        var own = Run();
        SweepPoint Point(RunResults r, double ms, string id, double factor) =>
            new(ms, id, r.Scenarios.SelectMany(s => s.Variants.Select(v => new SweepVariant(s.Name, v.Name, v.IsBaseline, v.Timing!.MeanNs * factor, v.Timing.MedianNs * factor, v.RatioToBaseline, null, 1))).ToList());
        var run = own with
        {
            LatencyMs = 0,
            Relay = new RelayCost(30_000, 52_000, 0, 400),
            Sweep = [Point(own, 0, own.RunId, 1), Point(own, 1, "latency/1ms", 10)],
        };
        var md = MarkdownReport.Render(run);
        Assert.Contains("| network | through QueryLab's latency relay, half of the round trip each way: a sweep at 0 ms, 1 ms round trip (this run's own: 0 ms); the relay itself adds 22.0 µs", md, StringComparison.Ordinal);
        Assert.Contains("## Round-trip time", md, StringComparison.Ordinal);
        Assert.Contains("[1 ms](latency/1ms/report.md)", md, StringComparison.Ordinal);
        Assert.Contains("### lookup-by-tracking-number against round-trip time", md, StringComparison.Ordinal);
        Assert.Contains("| variant | round trips | at 0 ms | × raw | at 1 ms | predicted | × raw |", md, StringComparison.Ordinal);
        Assert.Matches("title \"lookup-by-tracking-number: mean (µs|ms) per operation by RTT\"", md);
        Assert.Contains("@ 1 ms · ", md, StringComparison.Ordinal);

        // The round-trip model: time at 0 + round trips × RTT; measured ten times the 0-ms time is far above it, and says so.
        var dapper = own.Scenarios.Single(s => s.Name == "lookup-by-tracking-number").Variants.Single(v => v.Name == "dapper");
        var predicted = dapper.Timing!.MeanNs + (dapper.Profile!.RoundTrips * 1e6);
        var row = md.Split('\n').First(l => l.StartsWith("| dapper |", StringComparison.Ordinal) && l.Contains("raw", StringComparison.Ordinal) is false && l.Contains(Units.Time(predicted), StringComparison.Ordinal));
        Assert.Contains($"{Units.Time(predicted)} (", row, StringComparison.Ordinal);

        var plain = MarkdownReport.Render(Run());
        Assert.DoesNotContain("| network |", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("## Round-trip time", plain, StringComparison.Ordinal);
    }

    [Fact]
    public void The_round_trip_model_counts_the_wire_and_names_the_variants_it_misses()
    {
        // At 1 ms every variant is measured at time at 0 + its round trips × 1 ms, except dapper, which also opens a
        // connection per operation: 4 more round trips at the wire than its statements. With the wire's count the model
        // holds for it; ef-tracked is 30% above whatever the model says.
        var own = Run();
        var wire = new WireRecord(5, 1, 16);
        SweepVariant At1(ScenarioResult s, VariantResultRecord v)
        {
            var trips = s.Name == "lookup-by-tracking-number" && v.Name == "dapper" ? 5 : v.Profile!.RoundTrips;
            var mean = (v.Timing!.MeanNs + (trips * 1e6)) * (s.Name == "lookup-by-tracking-number" && v.Name == "ef-tracked" ? 1.3 : 1);
            return new SweepVariant(s.Name, v.Name, v.IsBaseline, mean, mean, null, null, null) { Wire = v.Name == "dapper" && s.Name == "lookup-by-tracking-number" ? wire : null };
        }

        var (run, _, _, total) = Sweep01(own, At1);

        var line = Assert.Single(MarkdownReport.ModelCheck(run));
        Assert.StartsWith($"at 1 ms: {total - 1} of {total} variants within ±15% of predicted; outside: lookup-by-tracking-number/ef-tracked +30%", line, StringComparison.Ordinal);

        var md = MarkdownReport.Render(run with { Scenarios = [.. own.Scenarios.Select(s => s with { Variants = [.. s.Variants.Select(v => s.Name == "lookup-by-tracking-number" && v.Name == "dapper" ? v with { Wire = wire } : v)] })] });
        var dapper = md.Split('\n').First(l => l.StartsWith("| dapper |", StringComparison.Ordinal) && l.Contains("(wire 5, 1 connection(s))", StringComparison.Ordinal));
        Assert.DoesNotContain("⚠", dapper, StringComparison.Ordinal);
        Assert.Contains("⚠", md.Split('\n').First(l => l.StartsWith("| ef-tracked |", StringComparison.Ordinal) && l.Contains("(+30%)", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public void The_model_checked_in_pairs_judges_what_the_round_trips_added_not_the_passes_drift()
    {
        // The 1 ms pass ran minutes after the 0 ms one and every mean came out 40% high (the machine's drift). In pairs,
        // each variant's round trips added what the model says, except ef-tracked's, which added twice as much.
        var own = Run();
        SweepVariant At1(ScenarioResult s, VariantResultRecord v)
        {
            var trips = v.Profile!.RoundTrips;
            var mean = (v.Timing!.MeanNs + (trips * 1e6)) * 1.4;
            var added = trips * 1e6 * (s.Name == "lookup-by-tracking-number" && v.Name == "ef-tracked" ? 2 : 1.02);
            var pairs = new ModelPairs(v.Timing.MeanNs, added, 6, 8);
            return new SweepVariant(s.Name, v.Name, v.IsBaseline, mean, mean, null, null, null) { Wire = new WireRecord(trips, 0, 16) { Model = pairs } };
        }

        var (run, zero, one, total) = Sweep01(own, At1);

        var line = Assert.Single(MarkdownReport.ModelCheck(run));
        Assert.StartsWith($"at 1 ms (measured in pairs): {total - 1} of {total} variants within ±15% of predicted; outside: lookup-by-tracking-number/ef-tracked +", line, StringComparison.Ordinal);

        var md = MarkdownReport.Render(run);
        var ef = md.Split('\n').First(l => l.StartsWith("| ef-tracked |", StringComparison.Ordinal) && l.Contains('→', StringComparison.Ordinal));
        var rt = own.Scenarios.Single(s => s.Name == "lookup-by-tracking-number").Variants.Single(v => v.Name == "ef-tracked").Profile!.RoundTrips;
        Assert.Contains($"+{Units.Time(rt * 1e6)} → +{Units.Time(rt * 2e6)} (+", ef, StringComparison.Ordinal);
        Assert.Contains("⚠", ef, StringComparison.Ordinal);
        Assert.DoesNotContain("⚠", md.Split('\n').First(l => l.StartsWith("| dapper |", StringComparison.Ordinal) && l.Contains('→', StringComparison.Ordinal)), StringComparison.Ordinal);

        // Where the relay's own round trip came out at 2 ms, ef-tracked's doubled round trips are the instrument's, and the line says so.
        var slowRelay = run with { Sweep = [zero, one with { RelayRoundTripMs = 2.0 }] };
        var why = Assert.Single(MarkdownReport.ModelCheck(slowRelay));
        Assert.StartsWith($"at 1 ms (measured in pairs; one round trip through the relay came out at 2 ms): {total - 1} of {total}", why, StringComparison.Ordinal);
        Assert.Contains($"lookup-by-tracking-number/ef-tracked +", why, StringComparison.Ordinal);
        Assert.Contains($" × the relay's own 2 ms round trip)", why, StringComparison.Ordinal);
    }

    /// <summary>A sweep of <paramref name="own"/> at 0 ms (its own means) and at 1 ms (<paramref name="at1"/> per variant).</summary>
    private static (RunResults Run, SweepPoint Zero, SweepPoint One, int Total) Sweep01(RunResults own, Func<ScenarioResult, VariantResultRecord, SweepVariant> at1)
    {
        var zero = new SweepPoint(0, own.RunId, own.Scenarios.SelectMany(s => s.Variants.Select(v => new SweepVariant(s.Name, v.Name, v.IsBaseline, v.Timing!.MeanNs, v.Timing.MedianNs, null, null, null))).ToList());
        var one = new SweepPoint(1, "latency/1ms", own.Scenarios.SelectMany(s => s.Variants.Select(v => at1(s, v))).ToList());
        return (own with { LatencyMs = 0, Sweep = [zero, one] }, zero, one, own.Scenarios.Sum(s => s.Variants.Count));
    }
}
