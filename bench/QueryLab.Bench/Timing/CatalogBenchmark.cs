using System.Diagnostics;
using BenchmarkDotNet.Attributes;

namespace QueryLab.Bench.Timing;

/// <summary>
/// One BenchmarkDotNet benchmark for the whole catalog: the case (scenario/variant) is a parameter fed from
/// <see cref="BenchmarkCases"/>, so there is no second list of scenarios. One invocation runs an async loop of
/// operations on the thread pool — as an application and <c>querylab load</c> run them — and BenchmarkDotNet blocks
/// on it once; <c>OperationsPerInvoke</c> divides the invocation's time by the operations in it. Each method below is
/// the same loop with another fixed count (BenchmarkDotNet reads the count from the attribute), and each case uses the
/// one whose invocation lasts about an iteration (<see cref="CasePlan.OperationsPerInvoke"/>).
/// </summary>
/// <remarks>
/// Why not a <c>Task</c>-returning benchmark: BenchmarkDotNet's in-process engine then blocks on every single operation,
/// and on a 2-vCPU machine whose other vCPU runs the server each block is a thread hand-off and a wake-up — measured
/// here as 20–150 µs added to operations of 50–300 µs, and more when the machine is busy (see the README, "bench").
/// </remarks>
public class CatalogBenchmark
{
    private CasePlan? _case;
    private long _setupAt;
    private int _setups;
    private int _cleanups;
    private int _next;

    public static IEnumerable<string> CaseNames => BenchmarkCases.Names;

    [ParamsSource(nameof(CaseNames))]
    public string Case { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        BenchmarkCases.Cancellation.ThrowIfCancellationRequested();
        // BenchmarkDotNet's in-process executor raises the process to High priority (as root on Linux it can: nice −10,
        // inherited by every thread started after it). Here the server is part of what is measured and shares the two
        // cores: a client that outranks it measures a machine no application runs on, so the priority goes back.
        NormalPriority();
        _case = BenchmarkCases.Get(Case);
        _setupAt = Stopwatch.GetTimestamp();
        _setups = 0;
        _cleanups = 0;
        // Outside the measurement: every case starts without the dead rows an earlier write case left.
        BenchmarkCases.Vacuum?.IfDirtyAsync(BenchmarkCases.Cancellation).GetAwaiter().GetResult();
    }

    /// <summary>
    /// Each iteration starts at a fixed place of the parameter rotation, spread evenly over it (<see cref="Rotation"/>), so
    /// the operations a round measures are the same in every run and cover every parameter value alike, whatever number of
    /// operations an invocation holds; the allocation pass that follows the measured iterations (the MemoryDiagnoser's) always starts at 0,
    /// so the bytes it counts come from the same operations in every round and every run. Before each measured iteration
    /// of a variant, a slice of its scenario's baseline runs (see <see cref="CasePlan.Partner"/>).
    /// </summary>
    [IterationSetup]
    public void StartIteration()
    {
        var c = _case!;
        var measured = _setups < c.MeasuredIterations;
        _next = measured ? Rotation.Start(_setups, c.MeasuredIterations, BenchmarkCases.Round, c.Prepared.ParameterCount) : 0;
        if (measured)
        {
            if (_setups == 0)
            {
                c.Steal.Start();
            }

            PartnerSlice(c, _setups);
        }

        _setups++;
    }

    /// <summary>
    /// After the last measured iteration, the closing slice of the baseline: every iteration has one on each side. With
    /// the fidelity check on, each measured iteration is followed by the same operations in a plain async loop.
    /// </summary>
    [IterationCleanup]
    public void EndIteration()
    {
        var c = _case!;
        var iteration = _cleanups++;
        if (iteration >= c.MeasuredIterations || BenchmarkCases.Cancellation.IsCancellationRequested)
        {
            return;
        }

        if (BenchmarkCases.LoopCheck)
        {
            c.LoopNs.Add(TimeLoop(c, Rotation.Start(iteration, c.MeasuredIterations, BenchmarkCases.Round, c.Prepared.ParameterCount)));
        }

        if (iteration == c.MeasuredIterations - 1)
        {
            PartnerSlice(c, c.MeasuredIterations);
            c.Steal.Stop();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _case!.Walls.Add(Stopwatch.GetElapsedTime(_setupAt));
        if (_case!.Prepared.Scenario.Writes)
        {
            BenchmarkCases.Vacuum?.MarkDirty();
        }
    }

    /// <summary>
    /// One slice of the baseline, timed by the same loop as the variant's invocations (BVBVB…: each measured iteration of
    /// the variant lies between two slices of the baseline, so a drift of the machine shows in both and cancels in the ratio).
    /// </summary>
    private static void PartnerSlice(CasePlan c, int slice)
    {
        if (c.Partner is { } b && !BenchmarkCases.Cancellation.IsCancellationRequested)
        {
            var round = BenchmarkCases.Round;
            var own = c.Rounds.Count; // this case's round: its measurements are added to Rounds once the round is over
            if (!c.PartnerNs.TryGetValue(own, out var slices))
            {
                c.PartnerNs[own] = slices = [];
            }

            // One untimed operation on either side of the switch: a slice (and the iteration after it) starts with its own
            // statement's plan, buffers and caches warm, as in a plain loop of it. Without it the first operation after a
            // switch paid for the other query's — measured here as bench 10–25% above the plain loop for variants of ~10 ms,
            // whose iterations hold only a few operations.
            Rewarm(b);
            slices.Add(TimeLoop(b, Rotation.Start(slice, c.MeasuredIterations + 1, round, b.Prepared.ParameterCount)));
            Rewarm(c);
        }
    }

    private static void Rewarm(CasePlan c) =>
        Task.Run(() => OperationLoop.RunAsync(c, 0, 1, BenchmarkCases.Cancellation)).GetAwaiter().GetResult();

    /// <summary>Times one invocation's worth of operations of a case in the plain loop: nanoseconds per operation.</summary>
    private static double TimeLoop(CasePlan c, int start)
    {
        var started = Stopwatch.GetTimestamp();
        Task.Run(() => OperationLoop.RunAsync(c, start, c.OperationsPerInvoke, BenchmarkCases.Cancellation)).GetAwaiter().GetResult();
        return Stopwatch.GetElapsedTime(started).TotalNanoseconds / c.OperationsPerInvoke;
    }

    [Benchmark(OperationsPerInvoke = 1)]
    public void Ops1() => Run(1);

    [Benchmark(OperationsPerInvoke = 2)]
    public void Ops2() => Run(2);

    [Benchmark(OperationsPerInvoke = 4)]
    public void Ops4() => Run(4);

    [Benchmark(OperationsPerInvoke = 8)]
    public void Ops8() => Run(8);

    [Benchmark(OperationsPerInvoke = 16)]
    public void Ops16() => Run(16);

    [Benchmark(OperationsPerInvoke = 32)]
    public void Ops32() => Run(32);

    [Benchmark(OperationsPerInvoke = 64)]
    public void Ops64() => Run(64);

    [Benchmark(OperationsPerInvoke = 128)]
    public void Ops128() => Run(128);

    [Benchmark(OperationsPerInvoke = 256)]
    public void Ops256() => Run(256);

    [Benchmark(OperationsPerInvoke = 512)]
    public void Ops512() => Run(512);

    [Benchmark(OperationsPerInvoke = 1024)]
    public void Ops1024() => Run(1024);

    [Benchmark(OperationsPerInvoke = 2048)]
    public void Ops2048() => Run(2048);

    [Benchmark(OperationsPerInvoke = 4096)]
    public void Ops4096() => Run(4096);

    private static void NormalPriority()
    {
        try
        {
            using var self = Process.GetCurrentProcess();
            if (self.PriorityClass != ProcessPriorityClass.Normal)
            {
                self.PriorityClass = ProcessPriorityClass.Normal;
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // not allowed to change it: it stays as BenchmarkDotNet left it
        }
    }

    /// <summary>The method of each count, by name: what <see cref="BenchRunner"/> selects a case's method by.</summary>
    public static string MethodFor(int operationsPerInvoke) => "Ops" + operationsPerInvoke;

    private void Run(int n)
    {
        var c = _case!;
        var start = _next;
        _next += n;
        // On the thread pool, like the application's own requests: BenchmarkDotNet's thread only waits for the loop.
        Task.Run(() => OperationLoop.RunAsync(c, start, n, BenchmarkCases.Cancellation)).GetAwaiter().GetResult();
    }
}

/// <summary>
/// Where in the parameter rotation an iteration (or a baseline slice) starts. Slot k of n in a round starts at
/// ⌊(k + φ) · P / n⌋ of the P parameter values, φ the round's offset (0, ½, ¼, ¾, …): the n slots of a round are spread
/// evenly over the rotation, and each round between the last's. Starting slot k at k × (operations per invocation), as
/// bench did before, covered the rotation unevenly when an invocation held fewer operations than there are values, and
/// differently in a run that sized its invocations differently: on daily-volume, whose 14 windows cost 15–41 ms apiece
/// (the recent ones hold twice the rows), 2 operations an invocation measured the costly windows twice as often as 4 did,
/// and × raw moved with it (32× against 35–44× over five runs).
/// </summary>
public static class Rotation
{
    public static int Start(int slot, int slots, int round, int parameterCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(round);
        if (parameterCount <= 1)
        {
            return 0;
        }

        return (int)Math.Floor((slot + Phase(round)) * parameterCount / slots) % parameterCount;
    }

    /// <summary>The van der Corput sequence in base 2: 0, ½, ¼, ¾, ⅛, …, so every round falls between the earlier ones.</summary>
    public static double Phase(int round)
    {
        var phase = 0.0;
        var weight = 0.5;
        for (var r = round; r > 0; r >>= 1, weight /= 2)
        {
            if ((r & 1) == 1)
            {
                phase += weight;
            }
        }

        return phase;
    }
}

/// <summary>The loop every timed operation runs in: bench's invocations, its warm-up and the plain-loop check.</summary>
public static class OperationLoop
{
    public static async Task RunAsync(CasePlan c, int start, int count, CancellationToken ct)
    {
        for (var i = 0; i < count; i++)
        {
            if (c.DelayTicks > 0)
            {
                Spin(c.DelayTicks); // 0 unless a calibration run injected a client-side delay into this case
            }

            await c.Prepared.RunAsync(c.Variant, start + i, collect: false, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Nanoseconds as Stopwatch ticks: how an injected client delay is kept.</summary>
    public static long Ticks(double ns) => (long)Math.Round(ns * Stopwatch.Frequency / 1e9);

    /// <summary>
    /// Busy-waits the given Stopwatch ticks: an injected client delay is CPU time of the client, like slower code, exact
    /// to well under a microsecond, where a sleep would be rounded to the scheduler's tick.
    /// </summary>
    public static void Spin(long ticks)
    {
        var until = Stopwatch.GetTimestamp() + ticks;
        while (Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(10);
        }
    }
}
