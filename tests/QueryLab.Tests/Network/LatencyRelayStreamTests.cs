using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Npgsql;
using QueryLab.Seed.Server;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Network;

/// <summary>What the relay passes through: bytes in order under load, closes in both directions, failures, its port.</summary>
[Collection(LabCollection.Name)]
public sealed class LatencyRelayStreamTests(LabFixture lab, Xunit.Abstractions.ITestOutputHelper output)
{
    private NpgsqlConnectionStringBuilder Direct => new(lab.ConnectionString) { Pooling = false };

    private static string Md5(string s) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(s)));

    [Theory]
    [InlineData(0.0)] // threads that block in receive and send at once
    [InlineData(1.0)] // a reader and a timed writer per direction
    public async Task Bytes_keep_their_order_on_many_connections_streaming_both_ways(double rttMs)
    {
        await using var relay = LatencyRelay.Start(Direct, TimeSpan.FromMilliseconds(rttMs));
        var through = relay.Through(Direct).ConnectionString;
        var clients = Enumerable.Range(0, 16).Select(c => Task.Run(async () =>
        {
            await using var conn = new NpgsqlConnection(through);
            await conn.OpenAsync();

            // Down: 20,000 rows, each checked in sequence (a reordered or altered chunk breaks the protocol or the sequence).
            await using (var cmd = new NpgsqlCommand("SELECT i, md5(i::text) FROM generate_series(1, 20000) i ORDER BY i", conn))
            await using (var reader = await cmd.ExecuteReaderAsync())
            {
                var expected = 1;
                while (await reader.ReadAsync())
                {
                    Assert.Equal(expected, reader.GetInt32(0));
                    Assert.Equal(Md5(expected.ToString(System.Globalization.CultureInfo.InvariantCulture)), reader.GetString(1));
                    expected++;
                }

                Assert.Equal(20001, expected);
            }

            // Up: a 2 MB parameter, hashed by the server.
            var big = string.Concat(Enumerable.Range(0, 200_000).Select(i => ((i * 7) + c).ToString("D9", System.Globalization.CultureInfo.InvariantCulture) + ";"));
            await using var echo = new NpgsqlCommand("SELECT md5($1)", conn);
            echo.Parameters.AddWithValue(big);
            Assert.Equal(Md5(big), (string)(await echo.ExecuteScalarAsync())!);
        })).ToArray();
        await Task.WhenAll(clients);
        Assert.Equal(16, relay.Accepted);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(2.0)]
    public async Task A_client_that_closes_ends_its_server_connection(double rttMs)
    {
        await using var relay = LatencyRelay.Start(Direct, TimeSpan.FromMilliseconds(rttMs));
        var app = "querylab-relay-close-" + Guid.NewGuid().ToString("N")[..8];
        await using (var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(relay.Through(Direct).ConnectionString) { ApplicationName = app }.ConnectionString))
        {
            await conn.OpenAsync();
            Assert.Equal(1, relay.Open);
        }

        await using var direct = new NpgsqlConnection(Direct.ConnectionString);
        await direct.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", direct);
        count.Parameters.AddWithValue(app);
        for (var i = 0; i < 100 && ((long)(await count.ExecuteScalarAsync())! > 0 || relay.Open > 0); i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);
        Assert.Equal(0, relay.Open);
    }

    [Fact]
    public async Task A_server_that_ends_the_session_is_reported_through_the_relay_as_without_it()
    {
        await using var relay = LatencyRelay.Start(Direct, TimeSpan.FromMilliseconds(1));
        await using var conn = new NpgsqlConnection(relay.Through(Direct).ConnectionString);
        await conn.OpenAsync();
        await using (var admin = new NpgsqlConnection(Direct.ConnectionString))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand($"SELECT pg_terminate_backend({conn.ProcessID})", admin);
            await kill.ExecuteScalarAsync();
        }

        await using var cmd = new NpgsqlCommand("SELECT 1", conn);
        var ex = await Assert.ThrowsAnyAsync<NpgsqlException>(() => cmd.ExecuteScalarAsync());
        Assert.Equal(PostgresErrorCodes.AdminShutdown, Assert.IsType<PostgresException>(ex).SqlState);
        for (var i = 0; i < 100 && relay.Open > 0; i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, relay.Open);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(2.0)]
    public async Task A_half_close_is_passed_on_in_both_directions(double rttMs)
    {
        // An SSLRequest, then the client's half-close: the server answers one byte and, seeing the end of the
        // stream where the startup packet would be, closes; without the half-close passed on it would wait a minute.
        await using var relay = LatencyRelay.Start(Direct, TimeSpan.FromMilliseconds(rttMs));
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, relay.Port);
        await socket.SendAsync(new byte[] { 0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f });
        socket.Shutdown(SocketShutdown.Send);
        var buffer = new byte[16];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        Assert.Equal(1, n);
        Assert.Contains((char)buffer[0], "SN");
        Assert.Equal(0, await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token));
    }

    [Fact]
    public async Task A_network_that_goes_away_mid_stream_is_the_usual_lost_connection()
    {
        // The upstream "server" is a second relay in front of the real one; disposing it cuts every connection mid-stream.
        Exception Cut(string connectionString, Func<Task> cut) => Assert.ThrowsAny<NpgsqlException>(() =>
        {
            using var conn = new NpgsqlConnection(connectionString);
            conn.Open();
            using var cmd = new NpgsqlCommand("SELECT i, repeat('x', 100) FROM generate_series(1, 10000000) i", conn);
            using var reader = cmd.ExecuteReader();
            for (var i = 0; reader.Read(); i++)
            {
                if (i == 1000)
                {
                    cut().GetAwaiter().GetResult();
                }
            }
        });

        var network = LatencyRelay.Start(Direct, TimeSpan.Zero);
        var direct = Cut(network.Through(Direct).ConnectionString, () => network.DisposeAsync().AsTask());

        var inner = LatencyRelay.Start(Direct, TimeSpan.Zero);
        await using var relay = LatencyRelay.Start(inner.Through(Direct), TimeSpan.FromMilliseconds(1));
        var relayed = Cut(relay.Through(inner.Through(Direct)).ConnectionString, () => inner.DisposeAsync().AsTask());

        Assert.Equal(direct.GetType(), relayed.GetType());
        Assert.True(((NpgsqlException)relayed).IsTransient);
        Assert.Contains("lost the connection", ConnectionErrors.Translate(relayed, Direct).Message, StringComparison.Ordinal);
        Assert.Contains("lost the connection", ConnectionErrors.Translate(direct, Direct).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_taken_port_is_retried_and_a_disposed_relay_leaves_no_listener()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var d = Direct;
        var relay = LatencyRelay.Start(d.Host!, d.Port, TimeSpan.FromMilliseconds(0.5), port);
        Assert.NotEqual(port, relay.Port);
        await using (var conn = new NpgsqlConnection(relay.Through(d).ConnectionString))
        {
            await conn.OpenAsync();
            await relay.DisposeAsync();
            Assert.True(LoopbackPort.IsFree(relay.Port));
            await using var cmd = new NpgsqlCommand("SELECT 1", conn);
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => cmd.ExecuteScalarAsync());
        }
    }

    [Fact]
    public async Task The_relay_counts_the_round_trips_of_a_new_connection_and_of_a_statement()
    {
        await using var relay = LatencyRelay.Start(Direct, TimeSpan.Zero);
        await using var conn = new NpgsqlConnection(relay.Through(Direct).ConnectionString);
        await conn.OpenAsync();
        var open = relay.Turns;
        await using (var cmd = new NpgsqlCommand("SELECT 1", conn))
        {
            await cmd.ExecuteScalarAsync();
        }

        output.WriteLine($"a new connection (SslMode {Direct.SslMode}, SCRAM): {open} round trip(s) at the wire after the TCP handshake");
        Assert.InRange(open, 3, 6); // SSLRequest, startup → SASL, SASL continue, SASL final (+ TLS when offered; + Npgsql loading the types, the first open of a connection string)
        Assert.Equal(open + 1, relay.Turns); // one statement, one round trip
    }
}
