using QueryLab.Bench.Results;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Network;

/// <summary>bench --latency end to end on tiny (smoke profile): the lab's connections through the relay, a sweep merged into one run folder.</summary>
[Collection(LabCollection.Name)]
public sealed class LatencyBenchTests(LabFixture lab)
{
    private const string Scenarios = "lookup-by-tracking-number,connection-per-request";

    private async Task<(string Reports, string Run, RunResults Results)> BenchAsync(string latency)
    {
        var reports = Directory.CreateTempSubdirectory("querylab-latency-").FullName;
        var r = await CliRunner.RunAsync(null, "bench", "--profile", "smoke", "--scenario", Scenarios, "--latency", latency, "--connection", lab.ConnectionString, "--reports", reports);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.DoesNotContain(lab.Password!, r.All, StringComparison.Ordinal);
        Assert.Contains("latency: the relay itself adds", r.Out, StringComparison.Ordinal);
        var run = Assert.Single(Directory.GetDirectories(reports), d => Path.GetFileName(d) != "latest");
        return (reports, run, ResultsJson.Read(run));
    }

    private static double Mean(RunResults r, string scenario, string variant) =>
        r.Scenarios.Single(s => s.Name == scenario).Variants.Single(v => v.Name == variant).Timing!.MeanNs;

    [Fact]
    public async Task One_round_trip_time_is_recorded_with_the_relay_cost_and_every_connection_pays_it()
    {
        var (_, run, results) = await BenchAsync("3ms");
        Assert.Equal(3, results.LatencyMs);
        Assert.InRange(results.Relay!.ConnectionRoundTrips!.Value, 3, 6); // SSLRequest, startup, the SASL steps
        Assert.Null(results.Sweep);
        Assert.False(Directory.Exists(Path.Combine(run, "latency")));

        // One statement is one round trip: at least 3 ms for every library, and for the variants that open their own connections.
        foreach (var s in results.Scenarios)
        {
            foreach (var v in s.Variants.Where(v => v.NotRun is null))
            {
                Assert.True(v.Timing!.MeanNs >= 3e6, $"{s.Name}/{v.Name}: {v.Timing.MeanNs} ns");
            }
        }

        // A new connection pays the handshake's, the startup's and authentication's round trips too.
        Assert.True(Mean(results, "connection-per-request", "npgsql-unpooled") >= 3 * 3e6, "unpooled pays several round trips");
        Assert.Contains("| network | through QueryLab's latency relay, half of the round trip each way: 3 ms round trip; the relay itself adds", await File.ReadAllTextAsync(Path.Combine(run, "report.md")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sweep_is_one_run_folder_with_each_round_trip_time_under_latency()
    {
        var (reports, run, results) = await BenchAsync("0,2ms");
        Assert.Equal(0, results.LatencyMs);
        Assert.Equal([0.0, 2.0], results.Sweep!.Select(p => p.LatencyMs));
        var nested = ResultsJson.Read(Path.Combine(run, "latency", "2ms"));
        Assert.Equal(2, nested.LatencyMs);
        Assert.True(Mean(nested, "lookup-by-tracking-number", "npgsql-prepared") >= 2e6);
        Assert.Equal(Path.GetFileName(run), (await File.ReadAllTextAsync(Path.Combine(reports, "latest", "RUN_ID"))).Trim());
        Assert.Empty(Directory.GetDirectories(reports, ".*")); // no staging folder left
        var md = await File.ReadAllTextAsync(Path.Combine(run, "report.md"));
        Assert.Contains("### connection-per-request against round-trip time", md, StringComparison.Ordinal);
        Assert.Contains("| variant | round trips | at 0 ms | × raw | at 2 ms | predicted | × raw |", md, StringComparison.Ordinal);

        // The relay counts each operation at the wire: a pooled lookup is its one statement; an unpooled request also opens
        // a connection (its handshake, the SSL request, startup and authentication), which the model adds.
        VariantResultRecord At(RunResults r, string scenario, string variant) => r.Scenarios.Single(s => s.Name == scenario).Variants.Single(v => v.Name == variant);
        var lookup = At(nested, "lookup-by-tracking-number", "npgsql-prepared");
        Assert.Equal((1.0, 0.0), (lookup.Wire!.RoundTripsPerOp, lookup.Wire.ConnectionsPerOp));
        var unpooled = At(nested, "connection-per-request", "npgsql-unpooled");
        Assert.Equal(1.0, unpooled.Wire!.ConnectionsPerOp);
        Assert.InRange(unpooled.Wire.RoundTripsPerOp, 5, 8); // handshake + SSL request, startup and SASL (3–6, as RelayCost counts them) + the query
        Assert.Equal(unpooled.Wire, results.Sweep!.Single(p => p.LatencyMs == 2).Variants.Single(v => v.Variant == "npgsql-unpooled").Wire);
        Assert.Contains($"(wire {unpooled.Wire.RoundTripsPerOp:0.#}, 1 connection(s))", md, StringComparison.Ordinal);

        // The model checked in pairs: slices of the lookup with the relay's delay held and at 2 ms, alternating. Its one round
        // trip added about 2 ms beside the same minute's time at 0 ms (the relay's tests hold it to ±25% on a busy machine;
        // here, in a bench, one round trip and not two: under 3.5 ms, since a busy CI host once gave 3.04 ms).
        var pairs = lookup.Wire.Model!;
        Assert.True(pairs.Pairs >= 4 && pairs.OperationsPerSlice >= 1, $"{pairs}");
        Assert.InRange(pairs.AddedNs, 1.5e6, 3.5e6);
        Assert.True(pairs.ZeroNs < 1.5e6, $"time at 0 ms in pairs: {pairs.ZeroNs} ns");
        Assert.Contains("at 2 ms (measured in pairs; one round trip through the relay came out at ", md, StringComparison.Ordinal);
        Assert.InRange(results.Sweep!.Single(p => p.LatencyMs == 2).RelayRoundTripMs!.Value, 1.5, 3.5);
        Assert.Null(results.Sweep!.Single(p => p.LatencyMs == 0).RelayRoundTripMs);
        Assert.Null(At(results, "lookup-by-tracking-number", "npgsql-prepared").Wire?.Model); // at 0 ms there is nothing to pair
    }

    [Fact]
    public async Task Verify_and_load_run_at_one_round_trip_time_and_refuse_a_sweep()
    {
        var verify = await CliRunner.RunAsync(null, "verify", "--scenario", "connection-per-request", "--latency", "2ms", "--connection", lab.ConnectionString);
        Assert.True(verify.ExitCode == 0, verify.All);
        Assert.Contains("through QueryLab's latency relay at 2 ms round trip", verify.Out, StringComparison.Ordinal);

        var sweep = await CliRunner.RunAsync(null, "verify", "--latency", "0,2ms", "--connection", lab.ConnectionString);
        Assert.True(sweep.ExitCode == 2, sweep.All);
        Assert.Contains("is a sweep; this verb takes one round-trip time", Assert.Single(sweep.Err.Trim().Split('\n')), StringComparison.Ordinal);

        var reports = Directory.CreateTempSubdirectory("querylab-latency-load-").FullName;
        var load = await CliRunner.RunAsync(
            null, "load", "--scenario", "lookup-by-tracking-number", "--variant", "npgsql-prepared", "--duration", "1s", "--warmup", "0", "--latency", "2ms", "--connection", lab.ConnectionString, "--reports", reports);
        Assert.True(load.ExitCode == 0, load.All);
        var run = Assert.Single(Directory.GetDirectories(reports), d => Path.GetFileName(d) != "latest");
        var results = QueryLab.Bench.Load.LoadJson.Read(run);
        Assert.Equal(2, results.LatencyMs);
        var md = await File.ReadAllTextAsync(Path.Combine(run, "load.md"));
        Assert.Contains("| network | through QueryLab's latency relay: 2 ms round trip added to every connection (half each way) |", md, StringComparison.Ordinal);
        Assert.Contains("## Pool sizing at 2 ms round trip", md, StringComparison.Ordinal);
        // Every request pays the round trip. The relay's timer aims its completions early by the lateness its wake-ups have
        // shown (so that they centre on their deadlines, which the accuracy tests hold to ±10%), so one request can come in
        // under it by that aim: 1.94 ms at 2 ms in a CI run. A missing delay is 0.1 ms.
        Assert.True(results.Steps.Single().Latency!.MinNs >= 0.9 * 2e6, $"fastest request {results.Steps.Single().Latency!.MinNs} ns");
    }

    [Fact]
    public async Task At_a_round_trip_a_pool_smaller_than_the_clients_is_found_to_limit_throughput()
    {
        // At 10 ms a lookup holds its connection ~10 ms, so a pool of 2 caps throughput near 2 ÷ 10 ms whatever the CPU does;
        // 6 clients then queue for the 2 connections. One client on its own is the unqueued reference. A second of warm-up
        // opens both connections first: without it one CI run's 6 clients got one connection's throughput (84 ops/s, not ~170). (At 3 ms a busy CI
        // host once kept the 6 clients under 80% of the cap: their own CPU, and the relay's, lengthened every request.)
        var reports = Directory.CreateTempSubdirectory("querylab-latency-pool-").FullName;
        var load = await CliRunner.RunAsync(
            null, "load", "--scenario", "lookup-by-tracking-number", "--variant", "npgsql-prepared", "--clients", "1,6", "--pool-size", "2",
            "--duration", "2s", "--warmup", "1s", "--latency", "10ms", "--connection", lab.ConnectionString, "--reports", reports);
        Assert.True(load.ExitCode == 0, load.All);
        var results = QueryLab.Bench.Load.LoadJson.Read(Assert.Single(Directory.GetDirectories(reports), d => Path.GetFileName(d) != "latest"));
        var f = Assert.Single(results.Findings, f => f.Code == "pool-limits-throughput");
        Assert.Equal((6, "npgsql-prepared"), (f.Clients, f.Variant));
        Assert.StartsWith("the pool limits throughput at 10 ms round trip: Maximum Pool Size 2 ÷ ", f.Message, StringComparison.Ordinal);
        Assert.Contains("needs 6 connections", f.Message, StringComparison.Ordinal);
        Assert.Contains("pool-limits-throughput", load.Out, StringComparison.Ordinal);
    }
}
