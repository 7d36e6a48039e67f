using QueryLab.Bench.Latency;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Results;
using QueryLab.Bench.Timing;

namespace QueryLab.Bench.Pipeline;

/// <summary>
/// <c>bench/run --latency</c>: the same bench pass once per round-trip time, each through a latency relay, merged into one
/// run folder. The first round-trip time given is the run's own (its results.json, its report, what compare sees); the
/// others are measured first, with no profiling pass (round trips and plans do not change with the network), no allocation
/// pass and no harness floor (nor do they), and their
/// run folders move into latency/&lt;rtt&gt;/ of it. One way of timing: every pass is a <see cref="BenchSession"/>.
/// </summary>
public static class LatencySweep
{
    /// <summary>SELECT 1 round trips a side for the relay's own cost.</summary>
    public const int CostSamples = 400;

    public delegate BenchSession Pass(LabPipeline lab, string reportsDir, TimingOptions options, Func<RunResults, string, RunResults>? finishing);

    public static async Task<BenchSession.Outcome> RunAsync(LabPipeline lab, LabContext ctx, LatencyOptions latency, string reportsDir, TimingOptions options, Pass pass, IReadOnlyList<Queries.Catalog.IScenario> scenarios, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lab);
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(latency);
        ArgumentNullException.ThrowIfNull(pass);
        RelayCost cost;
        await using (var zero = Seed.Server.LatencyRelay.Start(lab.Server.Connection, TimeSpan.Zero))
        {
            cost = await RelayCostProbe.MeasureAsync(lab.Server.Connection, zero, CostSamples, ct);
        }

        ctx.Out.WriteLine($"latency: the relay itself adds {(cost.AddedNs < 0 ? "−" : "")}{Reports.Units.Time(Math.Abs(cost.AddedNs))} to a SELECT 1 round trip at 0 ms ({Reports.Units.Time(cost.RelayedNs)} through it, {Reports.Units.Time(cost.DirectNs)} direct; medians of {cost.Samples}); a new connection costs {cost.ConnectionRoundTrips} round trips at the wire after the TCP handshake's one");
        var staging = Path.Combine(reportsDir, $".latency-{Guid.NewGuid():N}");
        var others = new List<(TimeSpan Rtt, BenchSession.Outcome Outcome)>();
        try
        {
            foreach (var rtt in latency.RoundTrips.Skip(1))
            {
                ctx.Out.WriteLine($"latency: measuring at {LatencyOptions.Label(rtt)} round trip");
                await using var relayed = lab.ThroughRelay(rtt);
                others.Add((rtt, await pass(relayed, staging, options with { Profile = false, OtherSweepPoint = true }, null).RunAsync(scenarios, ct)));
            }

            var first = latency.RoundTrips[0];
            ctx.Out.WriteLine($"latency: measuring at {LatencyOptions.Label(first)} round trip{(latency.IsSweep ? " (the run's own)" : "")}");
            await using var own = lab.ThroughRelay(first);
            return await pass(own, reportsDir, options, (r, workDir) => Merge(r, workDir, cost, others)).RunAsync(scenarios, ct);
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
        }
    }

    /// <summary>The run's own results with the relay's cost and, for a sweep, every point; the other passes' folders moved under latency/.</summary>
    private static RunResults Merge(RunResults own, string workDir, RelayCost cost, IReadOnlyList<(TimeSpan Rtt, BenchSession.Outcome Outcome)> others)
    {
        if (others.Count == 0)
        {
            return own with { Relay = cost };
        }

        var points = new List<SweepPoint> { Point(own, own.RunId) };
        foreach (var (rtt, o) in others)
        {
            var folder = Path.Combine("latency", FolderName(rtt));
            Directory.CreateDirectory(Path.Combine(workDir, "latency"));
            Directory.Move(o.RunFolder, Path.Combine(workDir, folder));
            points.Add(Point(o.Results, folder.Replace('\\', '/')));
        }

        return own with { Relay = cost, Sweep = points.OrderBy(p => p.LatencyMs).ToList() };
    }

    /// <summary>"0.5ms": a round-trip time as a folder name.</summary>
    public static string FolderName(TimeSpan rtt) => LatencyOptions.Label(rtt).Replace(" ", "", StringComparison.Ordinal);

    private static SweepPoint Point(RunResults r, string runId) =>
        new(r.RoundTripMs, runId, r.Scenarios.SelectMany(s => s.Variants.Select(v => new SweepVariant(
            s.Name, v.Name, v.IsBaseline, v.Timing is { Error: null } t ? t.MeanNs : null, v.Timing is { Error: null } m ? m.MedianNs : null,
            v.RatioToBaseline, v.Ratio, v.Profile?.RoundTrips) { Wire = v.Wire })).ToList()) { RelayRoundTripMs = r.RelayRoundTripMs };
}
