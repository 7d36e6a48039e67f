using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace QueryLab.Seed.Server;

/// <summary>
/// A TCP relay on 127.0.0.1 in front of a server that adds a network round-trip time: each direction is delayed by
/// half of <see cref="RoundTrip"/>. Bytes pass through untouched (TLS and every protocol message), in order, with no
/// bandwidth limit: a chunk read at t is written at t + RTT/2 whatever came before it. A new connection also pays the
/// TCP handshake's round trip: what the client sends in its first RTT is forwarded as if sent at accept + RTT.
/// A half-close is passed on (after the same delay); a side that resets or fails closes the other one at once, so a
/// client of a server that goes away sees the lost connection as it would without the relay.
/// The relay lives in this process: disposing it (or the process ending) leaves no listener behind.
/// </summary>
public sealed class LatencyRelay : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly string _upstreamHost;
    private readonly int _upstreamPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<RelayedConnection, byte> _connections = new();
    private readonly Task _accepting;
    private int _disposed;

    private LatencyRelay(Socket listener, string upstreamHost, int upstreamPort, TimeSpan roundTrip, bool timed)
    {
        _listener = listener;
        _upstreamHost = upstreamHost;
        _upstreamPort = upstreamPort;
        RoundTrip = roundTrip;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        _accepting = roundTrip <= TimeSpan.Zero && !timed ? AcceptOnThread() : Task.Run(AcceptLoopAsync);
    }

    /// <summary>The longest round-trip time a relay adds: anything longer is a mistake, not a network.</summary>
    public static readonly TimeSpan MaxRoundTrip = TimeSpan.FromSeconds(1);

    public int Port { get; }

    public TimeSpan RoundTrip { get; }

    /// <summary>Connections accepted so far (for tests and progress).</summary>
    public int Accepted => _accepted;

    /// <summary>Connections relayed now.</summary>
    public int Open => _connections.Count;

    private int _accepted;

    /// <summary>
    /// Round trips seen at the wire, over every connection: each time the server answers after the client spoke (a turn
    /// of the conversation), the TCP handshake not included. What a new connection costs: <see cref="Turns"/> across an open.
    /// </summary>
    public long Turns => Interlocked.Read(ref _turns);

    private long _turns;

    internal void CountTurn()
    {
        Interlocked.Increment(ref _turns);
        Interlocked.Increment(ref _processTurns);
    }

    private static long _processTurns;
    private static long _processAccepted;

    /// <summary>
    /// <see cref="Turns"/> plus <see cref="Accepted"/> of every relay this process has run: what one operation sent through
    /// relays costs at the wire, connections opened (one TCP handshake each) and turns of the conversation, however many
    /// relays it crossed (the lab's, a pooler's).
    /// </summary>
    public static (long Turns, long Connections) ProcessWire => (Interlocked.Read(ref _processTurns), Interlocked.Read(ref _processAccepted));

    private int _delaysHeld;

    /// <summary>
    /// While true, this relay passes each chunk on as soon as it arrives, through the same reader, queue and writer as
    /// with its delay (so its own hop stays), a new connection's handshake included. The round-trip model's check flips
    /// it between slices of a variant's operations: time at 0 ms and at the round-trip time, measured in pairs a few
    /// operations apart, where two passes minutes apart differ by the machine's drift.
    /// </summary>
    public bool DelaysHeld
    {
        get => Volatile.Read(ref _delaysHeld) == 1;
        set => Volatile.Write(ref _delaysHeld, value ? 1 : 0);
    }

    /// <summary>
    /// Starts a relay to <paramref name="upstreamHost"/>:<paramref name="upstreamPort"/>. It listens on
    /// <paramref name="port"/> when that is free (0: any free port); when the port is taken, on another free one,
    /// as the embedded server retries its port. At 0 ms a thread per connection passes bytes on as they come
    /// (<see cref="RelayedConnection.RunPolled"/>); <paramref name="timed"/> makes even a 0 ms relay use the reader, queue
    /// and timed writer of every other round-trip time, to measure that machinery's own hop.
    /// </summary>
    public static LatencyRelay Start(string upstreamHost, int upstreamPort, TimeSpan roundTrip, int port = 0, bool timed = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(upstreamHost);
        if (roundTrip < TimeSpan.Zero || roundTrip > MaxRoundTrip)
        {
            throw new ArgumentOutOfRangeException(nameof(roundTrip), roundTrip, "a round-trip time from 0 to 1 s");
        }

        for (var attempt = 1; ; attempt++)
        {
            var candidate = attempt == 1 && port != 0 ? port : LoopbackPort.Free();
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                listener.Bind(new IPEndPoint(IPAddress.Loopback, candidate));
                listener.Listen(512);
                return new LatencyRelay(listener, upstreamHost, upstreamPort, roundTrip, timed);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt < 4)
            {
                // Taken between the probe and the bind (or the port asked for is in use): try another.
                listener.Dispose();
            }
            catch
            {
                listener.Dispose();
                throw;
            }
        }
    }

    /// <summary>A relay in front of the server <paramref name="server"/> names.</summary>
    public static LatencyRelay Start(NpgsqlConnectionStringBuilder server, TimeSpan roundTrip, bool timed = false)
    {
        ArgumentNullException.ThrowIfNull(server);
        return Start(server.Host ?? "localhost", server.Port, roundTrip, timed: timed);
    }

    /// <summary>The same connection, through the relay: host and port changed, everything else (credentials, TLS) kept.</summary>
    public NpgsqlConnectionStringBuilder Through(NpgsqlConnectionStringBuilder server)
    {
        ArgumentNullException.ThrowIfNull(server);
        var b = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Host = "127.0.0.1", Port = Port };
        if (b.SslMode is SslMode.VerifyFull)
        {
            // The certificate names the server, not 127.0.0.1: verify the chain, not the host name.
            b.SslMode = SslMode.VerifyCA;
        }

        return b;
    }

    /// <summary>The 0 ms relay accepts on a thread of its own, so no socket of it ever sees an async call.</summary>
    private Task AcceptOnThread()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    Socket client;
                    try
                    {
                        client = _listener.Accept();
                    }
                    catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
                    {
                        return;
                    }

                    Interlocked.Increment(ref _accepted);
                    Interlocked.Increment(ref _processAccepted);
                    client.NoDelay = true;
                    ServeOnThreads(client);
                }
            }
            finally
            {
                done.SetResult();
            }
        })
        { IsBackground = true, Name = "querylab relay accept" };
        thread.Start();
        return done.Task;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            Interlocked.Increment(ref _processAccepted);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        var acceptedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        client.NoDelay = true;
        var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await upstream.ConnectAsync(_upstreamHost, _upstreamPort, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // As a client of an unreachable server would see: the connection is refused (reset).
            RelayedConnection.Reset(client);
            upstream.Dispose();
            return;
        }

        var conn = new RelayedConnection(client, upstream, RoundTrip, acceptedAt, this, _stop.Token);
        _connections.TryAdd(conn, 0);
        try
        {
            await conn.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(conn, out _);
        }
    }

    /// <summary>
    /// The 0 ms relay: nothing to wait for, so a thread of its own per connection moves the bytes as they come
    /// (<see cref="RelayedConnection.RunPolled"/>). The sockets never see an async call: an async receive wakes the socket
    /// engine's thread, which hands the completion to a pool thread, two wake-ups per chunk and four per round trip,
    /// which on two vCPUs (one of them running the server) doubled a 50 µs SELECT 1.
    /// </summary>
    private void ServeOnThreads(Socket client)
    {
        var thread = new Thread(() =>
        {
            var upstream = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                upstream.Connect(_upstreamHost, _upstreamPort);
            }
            catch (Exception)
            {
                RelayedConnection.Reset(client);
                upstream.Dispose();
                return;
            }

            var conn = new RelayedConnection(client, upstream, RoundTrip, 0, this, _stop.Token);
            _connections.TryAdd(conn, 0);
            try
            {
                conn.RunPolled();
            }
            finally
            {
                _connections.TryRemove(conn, out _);
            }
        })
        { IsBackground = true, Name = "querylab relay" };
        thread.Start();
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        foreach (var c in _connections.Keys)
        {
            c.Abort();
        }

        _stop.Dispose();
    }
}
