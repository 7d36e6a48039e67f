using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Channels;

namespace QueryLab.Seed.Server;

/// <summary>
/// One client connection through a <see cref="LatencyRelay"/> and its upstream connection: per direction a reader
/// that stamps each chunk with its arrival time and a writer that sends it no earlier than arrival + RTT/2, in order.
/// </summary>
internal sealed partial class RelayedConnection
{
    private const int ChunkSize = 64 * 1024;

    // Backpressure only when a reader is this many chunks ahead of a peer that does not read: never a delay otherwise.
    private const int QueuedChunks = 256;

    private readonly Socket _client;
    private readonly Socket _upstream;
    private readonly TimeSpan _halfTrip;
    private readonly long _handshakeDone;
    private readonly CancellationTokenSource _abort;
    private readonly LatencyRelay _relay;
    private int _aborted;
    private int _lastSpoke; // 0 nobody yet, 1 the client, 2 the server

    public RelayedConnection(Socket client, Socket upstream, TimeSpan roundTrip, long acceptedAt, LatencyRelay relay, CancellationToken stop)
    {
        _relay = relay;
        _client = client;
        _upstream = upstream;
        _halfTrip = roundTrip / 2;
        _handshakeDone = PreciseDelay.Add(acceptedAt, roundTrip);
        _abort = CancellationTokenSource.CreateLinkedTokenSource(stop);
    }

    private readonly record struct Chunk(byte[]? Buffer, int Length, long Due, bool Failed)
    {
        public bool IsEnd => Buffer is null;
    }

    public async Task RunAsync()
    {
        try
        {
            // Client to server: nothing leaves before the handshake's round trip is over.
            var up = PipeAsync(_client, _upstream, notBefore: _handshakeDone);
            var down = PipeAsync(_upstream, _client, notBefore: 0);
            await Task.WhenAll(up, down).ConfigureAwait(false);
        }
        finally
        {
            _client.Dispose();
            _upstream.Dispose();
            _abort.Dispose();
        }
    }

    /// <summary>Closes both sides at once with a reset: the relay stops, or one side failed.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) == 1)
        {
            return;
        }

        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already finished.
        }

        Reset(_client);
        Reset(_upstream);
    }

    /// <summary>Closes a socket so the peer sees a reset (not an orderly end of stream).</summary>
    public static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }

        socket.Dispose();
    }

    private async Task PipeAsync(Socket from, Socket to, long notBefore)
    {
        var queue = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(QueuedChunks) { SingleReader = true, SingleWriter = true });
        var reading = ReadAsync(from, queue.Writer, notBefore);
        var writing = WriteAsync(to, queue.Reader);
        await Task.WhenAll(reading, writing).ConfigureAwait(false);
    }

    /// <summary>Counts a round trip when the server speaks after the client did.</summary>
    /// <returns>True when the other side spoke last: a turn of the conversation.</returns>
    private bool Spoke(Socket from)
    {
        var speaker = from == _client ? 1 : 2;
        var before = Interlocked.Exchange(ref _lastSpoke, speaker);
        if (before == 1 && speaker == 2)
        {
            _relay.CountTurn(); // the server answers what the client said: a round trip
        }

        return before != speaker;
    }

    /// <summary>When a chunk read now goes on: half the round trip later (not before the handshake's), or at once while delays are held.</summary>
    private long Due(long notBefore)
    {
        var now = Stopwatch.GetTimestamp();
        return _relay.DelaysHeld ? now : PreciseDelay.Add(Math.Max(now, notBefore), _halfTrip);
    }

    private async Task ReadAsync(Socket from, ChannelWriter<Chunk> queue, long notBefore)
    {
        var ct = _abort.Token;
        var failed = false;
        try
        {
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
                int n;
                try
                {
                    n = await from.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }

                if (n == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }

                _ = Spoke(from);
                await queue.WriteAsync(new Chunk(buffer, n, Due(notBefore), false), ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or ChannelClosedException)
        {
            failed = true;
        }

        // The end of the stream travels with the same delay as the data before it.
        var end = new Chunk(null, 0, Due(notBefore), failed);
        if (!queue.TryWrite(end))
        {
            try
            {
                await queue.WriteAsync(end, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
            {
                // Aborted: the writer is gone too.
            }
        }
    }

    private async Task WriteAsync(Socket to, ChannelReader<Chunk> queue)
    {
        var ct = _abort.Token;
        try
        {
            await foreach (var chunk in queue.ReadAllAsync(ct).ConfigureAwait(false))
            {
                await PreciseDelay.UntilAsync(chunk.Due, ct).ConfigureAwait(false);
                if (chunk.IsEnd)
                {
                    if (chunk.Failed)
                    {
                        Abort();
                    }
                    else
                    {
                        to.Shutdown(SocketShutdown.Send); // the half-close, passed on
                    }

                    return;
                }

                try
                {
                    var rest = chunk.Buffer.AsMemory(0, chunk.Length);
                    while (rest.Length > 0)
                    {
                        var n = await to.SendAsync(rest, SocketFlags.None, ct).ConfigureAwait(false);
                        rest = rest[n..];
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(chunk.Buffer!);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Abort();
        }
        finally
        {
            // Buffers still queued after an abort go back to the pool.
            while (queue.TryRead(out var left))
            {
                if (left.Buffer is { } b)
                {
                    ArrayPool<byte>.Shared.Return(b);
                }
            }
        }
    }
}
