using System.Diagnostics;
using System.Net.Sockets;

namespace QueryLab.Seed.Server;

/// <summary>
/// The 0 ms relay as one thread per connection over non-blocking sockets: read whichever side has bytes and send them
/// on. For <see cref="HotWindow"/> after a turn of the conversation (the client spoke after the server, or the server
/// answered) it polls again at once instead of sleeping, so a short statement's answer, or the benchmark's next
/// statement, finds the relay awake: no thread is woken on the round trip's path, which a relay that sleeps in receive
/// pays twice per round trip (measured here: 17–36 µs on a 30–50 µs SELECT 1). A long answer streaming in does not
/// keep it polling (chunks of the same speaker are not a turn), so a heavy query does not share its cores with a
/// spinning relay; and one connection at a time polls (the others sleep in poll(2) until a side is ready), so many
/// clients (load) cannot turn the relay into a spinning crowd on two cores.
/// </summary>
internal sealed partial class RelayedConnection
{
    /// <summary>How long after a turn of the conversation the relay keeps polling before it sleeps: a short statement's time.</summary>
    internal static readonly TimeSpan HotWindow = TimeSpan.FromMicroseconds(100);

    private static readonly long HotTicks = (long)(HotWindow.TotalSeconds * Stopwatch.Frequency);

    // The one connection allowed to poll without sleeping (0: none).
    private static RelayedConnection? _hot;

    private sealed class Direction(Socket from, Socket to, byte[] buffer)
    {
        public Socket From { get; } = from;

        public Socket To { get; } = to;

        public byte[] Buffer { get; } = buffer;

        public int Offset { get; set; }

        public int Length { get; set; }

        public bool Ended { get; set; }
    }

    public void RunPolled()
    {
        var up = new Direction(_client, _upstream, new byte[ChunkSize]);
        var down = new Direction(_upstream, _client, new byte[ChunkSize]);
        var reads = new List<Socket>(2);
        var writes = new List<Socket>(2);
        try
        {
            _client.Blocking = false;
            _upstream.Blocking = false;
            var turned = Stopwatch.GetTimestamp();
            while (Volatile.Read(ref _aborted) == 0 && !(up.Ended && down.Ended && up.Length == 0 && down.Length == 0))
            {
                var moved = Step(up, ref turned) | Step(down, ref turned);
                if (moved)
                {
                    continue;
                }

                if (Stopwatch.GetTimestamp() - turned < HotTicks && Interlocked.CompareExchange(ref _hot, this, null) is var holder && (holder is null || ReferenceEquals(holder, this)))
                {
                    Thread.Yield(); // a server or client thread ready on this core runs first
                    continue;
                }

                Interlocked.CompareExchange(ref _hot, null, this);
                reads.Clear();
                writes.Clear();
                Watch(up, reads, writes);
                Watch(down, reads, writes);
                // Sleeps until a side is readable (or writable, with bytes waiting); wakes at least every 50 ms to see an abort.
                Socket.Select(reads.Count > 0 ? reads : null, writes.Count > 0 ? writes : null, null, 50_000);
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            Abort();
        }
        finally
        {
            Interlocked.CompareExchange(ref _hot, null, this);
            _client.Dispose();
            _upstream.Dispose();
            _abort.Dispose();
        }
    }

    private static void Watch(Direction d, List<Socket> reads, List<Socket> writes)
    {
        if (d.Length > 0)
        {
            writes.Add(d.To);
        }
        else if (!d.Ended)
        {
            reads.Add(d.From);
        }
    }

    /// <summary>Moves what one direction can: sends what is waiting, else reads what has come. True when bytes moved.</summary>
    private bool Step(Direction d, ref long turned)
    {
        if (d.Length > 0)
        {
            var n = d.To.Send(d.Buffer, d.Offset, d.Length, SocketFlags.None, out var error);
            if (error is SocketError.WouldBlock)
            {
                return false;
            }

            if (error is not SocketError.Success)
            {
                throw new SocketException((int)error);
            }

            d.Offset += n;
            d.Length -= n;
            return n > 0;
        }

        if (d.Ended)
        {
            return false;
        }

        var read = d.From.Receive(d.Buffer, 0, d.Buffer.Length, SocketFlags.None, out var rerror);
        if (rerror is SocketError.WouldBlock)
        {
            return false;
        }

        if (rerror is not SocketError.Success)
        {
            throw new SocketException((int)rerror);
        }

        if (read == 0)
        {
            d.Ended = true;
            d.To.Shutdown(SocketShutdown.Send); // the half-close, passed on
            return true;
        }

        if (Spoke(d.From))
        {
            turned = Stopwatch.GetTimestamp();
        }

        d.Offset = 0;
        d.Length = read;

        // Sent at once: most chunks go out in the same pass that read them.
        var sent = d.To.Send(d.Buffer, 0, read, SocketFlags.None, out var serror);
        if (serror is SocketError.Success)
        {
            d.Offset = sent;
            d.Length = read - sent;
        }
        else if (serror is not SocketError.WouldBlock)
        {
            throw new SocketException((int)serror);
        }

        return true;
    }
}
