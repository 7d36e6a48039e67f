using System.Diagnostics;

namespace QueryLab.Seed.Server;

/// <summary>
/// Waiting until a <see cref="Stopwatch"/> timestamp with sub-millisecond accuracy. On Linux, Task.Delay wakes
/// milliseconds late on a busy machine (measured here: 2–3 ms late at the median, 16 ms at worst) and a blocking
/// sleep ~0.1 ms late, so one thread keeps every pending deadline: it sleeps while the next is further away than
/// <see cref="SpinTail"/> plus a millisecond, and spins (yielding the core to any other ready thread) for the rest.
/// A due wait is completed on that thread, so what follows it (a relay's write) runs at the deadline.
/// </summary>
public static class PreciseDelay
{
    /// <summary>How long before a deadline the sleep hands over to the spin: longer than a sleep's usual lateness.</summary>
    public static readonly TimeSpan SpinTail = TimeSpan.FromMicroseconds(300);

    private static readonly long SpinTailTicks = Ticks(SpinTail);
    private static readonly long Millisecond = Ticks(TimeSpan.FromMilliseconds(1));
    // A nap ends late by the kernel's timer slack (50 µs for a normal thread; the timer thread asks for 1 µs) and the
    // wake-up: it stops this far before the deadline and spins the rest. At 80 µs a 0.5 ms RTT came out ~85 µs long.
    private static readonly long NapSlackTicks = Ticks(TimeSpan.FromMicroseconds(120));
    private static readonly PriorityQueue<TaskCompletionSource, long> Pending = new();
    private static readonly AutoResetEvent Added = new(false);
    private static readonly Lock Gate = new();
    private static Thread? _timer;

    /// <summary>A timestamp <paramref name="after"/> later than <paramref name="from"/>.</summary>
    public static long Add(long from, TimeSpan after) => from + Ticks(after);

    private static long Ticks(TimeSpan t) => (long)(t.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Completes at <paramref name="deadline"/> (a <see cref="Stopwatch.GetTimestamp"/> value) or just after; at once when it has passed.</summary>
    public static ValueTask UntilAsync(long deadline, CancellationToken ct)
    {
        if (Stopwatch.GetTimestamp() >= deadline)
        {
            return ValueTask.CompletedTask;
        }

        var done = new TaskCompletionSource();
        lock (Gate)
        {
            Pending.Enqueue(done, deadline);
            if (_timer is null)
            {
                _timer = new Thread(Run) { IsBackground = true, Name = "querylab precise delay" };
                _timer.Start();
            }
        }

        Added.Set();
        return ct.CanBeCanceled ? new ValueTask(WithCancellation(done, ct)) : new ValueTask(done.Task);
    }

    private static async Task WithCancellation(TaskCompletionSource done, CancellationToken ct)
    {
        await using var reg = ct.UnsafeRegister(static (s, t) => ((TaskCompletionSource)s!).TrySetCanceled(t), done).ConfigureAwait(false);
        await done.Task.ConfigureAwait(false);
    }

    private static void Run()
    {
        if (OperatingSystem.IsLinux())
        {
            _ = SetTimerSlack(PrSetTimerSlack, 1_000); // nanoseconds: this thread's naps end when asked, not up to 50 µs later
        }

        while (true)
        {
            TaskCompletionSource? due = null;
            long dueAt = 0;
            long wait;
            lock (Gate)
            {
                if (!Pending.TryPeek(out var next, out var deadline))
                {
                    wait = long.MaxValue;
                }
                else
                {
                    // Aimed a little early by how late the wake-ups have been coming (Learn): on average on time.
                    wait = deadline - Interlocked.Read(ref _earlyTicks) - Stopwatch.GetTimestamp();
                    if (wait <= 0)
                    {
                        dueAt = deadline;
                        due = Pending.Dequeue();
                    }
                    else if (next.Task.IsCompleted)
                    {
                        Pending.Dequeue(); // canceled: drop it
                        continue;
                    }
                }
            }

            if (due is not null)
            {
                Learn(Stopwatch.GetTimestamp() - dueAt);
                due.TrySetResult(); // continuations run here, at the deadline
            }
            else if (wait == long.MaxValue)
            {
                Added.WaitOne();
            }
            else if (wait > SpinTailTicks + Millisecond)
            {
                // Sleep in whole milliseconds up to the spin tail; an earlier deadline added meanwhile wakes it.
                Added.WaitOne((int)((wait - SpinTailTicks) / Millisecond));
            }
            else if (wait > NapSlackTicks && !OperatingSystem.IsWindows())
            {
                // Under a millisecond: a nanosleep wakes ~60 µs late and leaves the core to the server and the client,
                // where spinning the whole tail took one of this machine's two cores from them. At most 200 µs at a time,
                // so a deadline added meanwhile (another connection's) is looked at soon enough.
                _ = Nap((uint)Math.Min(200, (wait - NapSlackTicks) * 1_000_000 / Stopwatch.Frequency));
            }
            else
            {
                Thread.Yield();
            }
        }
    }

    /// <summary>How early the timer aims before a deadline: what its wake-ups have been late by, learnt as it goes.</summary>
    private static long _earlyTicks;

    private static readonly long MaxEarlyTicks = Ticks(TimeSpan.FromMicroseconds(150));

    /// <summary>
    /// An integral controller on the timer's own lateness: each completion late by <paramref name="lateTicks"/> moves the
    /// aim an eighth of that earlier (or later, when it came early), so the completions centre on their deadlines. On this
    /// 2-vCPU VM a nap or a yield handed the core back 50–100 µs late under load, and a 1 ms round trip came out 1.14 ms.
    /// </summary>
    private static void Learn(long lateTicks)
    {
        var early = Interlocked.Read(ref _earlyTicks) + (lateTicks / 8);
        Interlocked.Exchange(ref _earlyTicks, Math.Clamp(early, 0, MaxEarlyTicks));
    }

    private const int PrSetTimerSlack = 29;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "prctl")]
    private static extern int SetTimerSlack(int option, ulong nanoseconds);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "usleep")]
    private static extern int Nap(uint microseconds);
}
