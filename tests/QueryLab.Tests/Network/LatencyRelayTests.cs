using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using QueryLab.Seed.Server;
using QueryLab.Tests.Infrastructure;
using Xunit.Abstractions;

namespace QueryLab.Tests.Network;

/// <summary>The latency relay against the real server: delay accuracy, byte order under load, closes and failures.</summary>
[Collection(LabCollection.Name)]
public sealed class LatencyRelayTests(LabFixture lab, ITestOutputHelper output)
{
    private NpgsqlConnectionStringBuilder Direct => new(lab.ConnectionString) { Pooling = false };

    /// <summary>Median SELECT 1 round trip on one open connection, in microseconds.</summary>
    private static async Task<double[]> RoundTripsAsync(NpgsqlConnection conn, int count)
    {
        await using var cmd = new NpgsqlCommand("SELECT 1", conn);
        var times = new double[count];
        for (var i = 0; i < count; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            await cmd.ExecuteScalarAsync();
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }

        return times;
    }

    private static double Median(IEnumerable<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[(s.Length / 2) - 1] + s[s.Length / 2]) / 2;
    }

    /// <summary>Round trips direct and through the relay, interleaved in short slices so the machine's drift cancels.</summary>
    internal static async Task<(double Direct, double Relayed)> MedianRoundTripsAsync(NpgsqlConnectionStringBuilder direct, LatencyRelay relay, int perSide)
    {
        await using var d = new NpgsqlConnection(direct.ConnectionString);
        await using var r = new NpgsqlConnection(relay.Through(direct).ConnectionString);
        await d.OpenAsync();
        await r.OpenAsync();
        await RoundTripsAsync(d, 20);
        await RoundTripsAsync(r, 20);
        var ds = new List<double>();
        var rs = new List<double>();
        for (var slice = 0; slice < perSide / 10; slice++)
        {
            ds.AddRange(await RoundTripsAsync(d, 10));
            rs.AddRange(await RoundTripsAsync(r, 10));
        }

        return (Median(ds), Median(rs));
    }

    [Theory]
    [InlineData(0.5, 400)]
    [InlineData(1.0, 300)]
    [InlineData(5.0, 100)]
    public async Task The_added_round_trip_is_the_target(double rttMs, int perSide)
    {
        var target = TimeSpan.FromMilliseconds(rttMs);
        await using var zero = LatencyRelay.Start(Direct, TimeSpan.Zero);
        await using var relay = LatencyRelay.Start(Direct, target);
        var (direct0, relayed0) = await MedianRoundTripsAsync(Direct, zero, perSide);
        var (direct, relayed) = await MedianRoundTripsAsync(Direct, relay, perSide);
        var hop = relayed0 - direct0;
        var added = relayed - direct;
        output.WriteLine($"RTT {rttMs} ms: direct {direct:F0} µs, relayed {relayed:F0} µs, added {added:F0} µs; relay at 0 ms adds {hop:F0} µs (direct {direct0:F0} µs)");

        if (rttMs < 1)
        {
            // Within 50 µs of the target, the relay's own hop (measured at 0 ms) apart.
            Assert.InRange(added - hop, target.TotalMicroseconds - 50, target.TotalMicroseconds + 50);
        }
        else
        {
            Assert.InRange(added, target.TotalMicroseconds * 0.9, target.TotalMicroseconds * 1.1);
        }
    }
}
