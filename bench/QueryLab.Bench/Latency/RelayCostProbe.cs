using System.Diagnostics;
using Npgsql;
using QueryLab.Bench.Results;
using QueryLab.Bench.Timing;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Latency;

/// <summary>
/// What the latency relay itself costs: <c>SELECT 1</c> round trips on one connection straight to the server and one
/// through a relay at 0 ms, in short alternating slices so the machine's drift cancels; medians of each side.
/// Like the harness floor, a plain loop beside the timing, not a timing of the catalog.
/// </summary>
public static class RelayCostProbe
{
    private const int Slice = 50;

    public static async Task<RelayCost> MeasureAsync(NpgsqlConnectionStringBuilder direct, LatencyRelay relay, int perSide, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(direct);
        ArgumentNullException.ThrowIfNull(relay);
        var unpooled = new NpgsqlConnectionStringBuilder(direct.ConnectionString) { Pooling = false };
        await using var d = new NpgsqlConnection(unpooled.ConnectionString);
        await using var r = new NpgsqlConnection(relay.Through(unpooled).ConnectionString);
        await d.OpenAsync(ct);
        await r.OpenAsync(ct);
        await RoundTripsAsync(d, 2 * Slice, ct);
        await RoundTripsAsync(r, 2 * Slice, ct);
        var ds = new List<double>();
        var rs = new List<double>();
        for (var i = 0; i < Math.Max(1, perSide / Slice); i++)
        {
            ds.AddRange(await RoundTripsAsync(d, Slice, ct));
            rs.AddRange(await RoundTripsAsync(r, Slice, ct));
        }

        return new RelayCost(PairedRatio.RoundMedian(ds), PairedRatio.RoundMedian(rs), relay.RoundTrip.TotalMilliseconds, ds.Count) { ConnectionRoundTrips = await ConnectionRoundTripsAsync(unpooled, relay, ct) };
    }

    /// <summary>
    /// What one round trip through the lab's relays adds at their round-trip time: <c>SELECT 1</c> on one pooled connection
    /// in slices of 10 with the delays held and not, alternating (6 pairs, the order swapped every other pair), the median
    /// of (slice at the RTT − slice held) per round trip, in ns. The relay's own hop is in both sides: this is its delay alone.
    /// </summary>
    public static async Task<double> RoundTripInPairsAsync(NpgsqlDataSource source, Action<bool> hold, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(hold);
        const int PerSlice = 10;
        await using var conn = await source.OpenConnectionAsync(ct);
        await RoundTripsAsync(conn, PerSlice, ct);
        var added = new List<double>();
        try
        {
            for (var p = 0; p < 6; p++)
            {
                var heldFirst = p % 2 == 0;
                hold(heldFirst);
                var first = (await RoundTripsAsync(conn, PerSlice, ct)).Sum();
                hold(!heldFirst);
                var second = (await RoundTripsAsync(conn, PerSlice, ct)).Sum();
                var (held, at) = heldFirst ? (first, second) : (second, first);
                added.Add((at - held) / PerSlice);
            }
        }
        finally
        {
            hold(false);
        }

        return PairedRatio.RoundMedian(added);
    }

    /// <summary>
    /// Round trips a new connection costs at the wire after the TCP handshake, as an unpooled variant pays them: the second
    /// open on one unpooled data source (the first also loads the server's types once).
    /// </summary>
    private static async Task<int> ConnectionRoundTripsAsync(NpgsqlConnectionStringBuilder unpooled, LatencyRelay relay, CancellationToken ct)
    {
        await using var source = NpgsqlDataSource.Create(relay.Through(unpooled).ConnectionString);
        await (await source.OpenConnectionAsync(ct)).DisposeAsync();
        var before = relay.Turns;
        await (await source.OpenConnectionAsync(ct)).DisposeAsync();
        return (int)(relay.Turns - before);
    }

    private static async Task<double[]> RoundTripsAsync(NpgsqlConnection conn, int count, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT 1", conn);
        var ns = new double[count];
        for (var i = 0; i < count; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            await cmd.ExecuteScalarAsync(ct);
            ns[i] = Stopwatch.GetElapsedTime(t0).TotalNanoseconds;
        }

        return ns;
    }
}
