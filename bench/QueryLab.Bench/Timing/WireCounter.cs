using QueryLab.Queries.Catalog;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Timing;

/// <summary>What one operation of a variant cost at the wire through the latency relay: round trips, connections opened among them.</summary>
public sealed record WireCount(double RoundTripsPerOp, double ConnectionsPerOp, int Operations)
{
    /// <summary>The round-trip model's check in pairs (<see cref="ModelPairsProbe"/>); null when not asked for.</summary>
    public Results.ModelPairs? Model { get; init; }
}

/// <summary>
/// Counts, with <c>--latency</c>, the round trips each variant's operation makes at the wire, as the relay sees them: every
/// turn of the conversation (the server answering what the client sent) and every connection opened (its TCP handshake,
/// one round trip before the first byte gets through). The profiling pass counts the round trips of statements; this
/// also counts what opening a connection costs (startup, authentication, the parameter exchange) for a variant that
/// opens one per operation (unpooled, a new data source, a pooler without Npgsql's pool), which the round-trip model
/// needs: predicted time = time at 0 ms + round trips at the wire × RTT. The operations run one after another, after one
/// that is not counted (a pool's first connection, types loaded once), with nothing else of this process on the relays.
/// </summary>
public static class WireCounter
{
    /// <summary>At most this many operations a variant (fewer for slow ones, as the allocation pass plans them).</summary>
    private const int MaxOperations = 16;

    /// <param name="holdDelays">Where given, also check the round-trip model in pairs (<see cref="ModelPairsProbe"/>), holding the lab's relays' delays with it: at a round-trip time above 0.</param>
    public static async Task<Dictionary<string, WireCount>> MeasureAsync(IReadOnlyList<CasePlan> cases, IReadOnlyDictionary<string, double> estimatesNs, Action<bool>? holdDelays, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentNullException.ThrowIfNull(estimatesNs);
        var counts = new Dictionary<string, WireCount>(StringComparer.Ordinal);
        foreach (var c in cases)
        {
            ct.ThrowIfCancellationRequested();
            var n = Math.Min(MaxOperations, AllocationCounter.Operations(c.Prepared, estimatesNs.GetValueOrDefault(c.Key)));
            await c.Prepared.RunAsync(c.Variant, 0, collect: false, ct).ConfigureAwait(false);
            var (turns, connections) = LatencyRelay.ProcessWire;
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            for (var i = 0; i < n; i++)
            {
                await c.Prepared.RunAsync(c.Variant, i, collect: false, ct).ConfigureAwait(false);
            }

            var perOpNs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalNanoseconds / n;

            var (turnsAfter, connectionsAfter) = LatencyRelay.ProcessWire;
            var opened = connectionsAfter - connections;
            var model = holdDelays is not null ? await ModelPairsProbe.MeasureAsync(c, perOpNs, n + 1, holdDelays, ct).ConfigureAwait(false) : null;
            counts[c.Key] = new WireCount((double)(turnsAfter - turns + opened) / n, (double)opened / n, n) { Model = model };
        }

        return counts;
    }
}
