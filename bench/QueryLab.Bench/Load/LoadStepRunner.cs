using System.Diagnostics;
using System.Globalization;
using QueryLab.Queries.Catalog;

namespace QueryLab.Bench.Load;

/// <summary>What one step measured: the tallies of every client, merged.</summary>
public sealed record StepMeasurement(long Sent, long Completed, long Failed, double ElapsedMs, long[] LatencyTicks, IReadOnlyList<FailureCount> Failures, bool Interrupted)
{
    public double Throughput => ElapsedMs > 0 ? Completed / (ElapsedMs / 1_000) : 0;
}

/// <summary>
/// One step of a load run: N clients run one variant of a prepared scenario concurrently, like <c>pgbench -c N</c>.
/// Each client loops — take the next parameter value of the scenario's rotation (one counter shared by all clients),
/// run one operation, record its latency in Stopwatch ticks or classify its failure — first for the warm-up (not
/// counted; it lasts at least until every client has finished one request), then for the duration. A request is <em>sent</em> when it starts inside the measured window, and every
/// sent request is waited for and counted once, completed or failed: sent = completed + failed, always. Requests
/// in flight when the duration ends finish normally (they are not cancelled, which would turn them into failures);
/// Ctrl+C cancels them, and they count as failed, kind interrupted.
/// </summary>
public sealed class LoadStepRunner
{
    private const int WarmingUp = 0;
    private const int Measuring = 1;
    private const int Stopping = 2;

    private readonly IPreparedScenario _prepared;
    private readonly IVariant _variant;
    private readonly ClientTally[] _tallies;
    private int _phase = WarmingUp;
    private long _next = -1;

    public LoadStepRunner(IPreparedScenario prepared, IVariant variant, int clients)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        _prepared = prepared;
        _variant = variant;
        _tallies = Enumerable.Range(0, clients).Select(_ => new ClientTally()).ToArray();
    }

    /// <summary>
    /// Warms up, measures for <paramref name="duration"/> (a progress line a second on <paramref name="progress"/>),
    /// stops the clients and merges their tallies. Ctrl+C (<paramref name="ct"/>) ends the step early, marked interrupted.
    /// </summary>
    public async Task<StepMeasurement> RunAsync(TimeSpan warmup, TimeSpan duration, TextWriter progress, string label, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(progress);
        long start = 0;
        if (warmup <= TimeSpan.Zero)
        {
            // No warm-up: the clients' very first requests are measured.
            start = Stopwatch.GetTimestamp();
            _phase = Measuring;
        }

        var clients = _tallies.Select(t => Task.Run(() => ClientAsync(t, ct), CancellationToken.None)).ToArray();
        var interrupted = false;
        try
        {
            if (warmup > TimeSpan.Zero)
            {
                progress.WriteLine($"  {label}: warming up for {LoadSession.Seconds(warmup)}");
                await Task.Delay(warmup, ct);

                // The first request of a client is the cold one (connections opened, EF Core's model built, JIT):
                // the warm-up lasts until every client has finished one, however long --warmup was.
                if (_tallies.Any(t => Volatile.Read(ref t.Finished) == 0))
                {
                    progress.WriteLine($"  {label}: warming up until every client has finished its first request");
                    while (_tallies.Any(t => Volatile.Read(ref t.Finished) == 0))
                    {
                        await Task.Delay(10, ct);
                    }
                }

                start = Stopwatch.GetTimestamp();
                Volatile.Write(ref _phase, Measuring);
            }

            var lastDone = 0L;
            var lastAt = start;
            while (duration - Stopwatch.GetElapsedTime(start) is var left && left > TimeSpan.FromMilliseconds(20))
            {
                // A timer may fire a little early: a last sliver shorter than 20 ms is not waited for (nor printed).
                await Task.Delay(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), ct);
                var now = Stopwatch.GetTimestamp();
                var done = _tallies.Sum(t => Volatile.Read(ref t.Completed));
                var failed = _tallies.Sum(t => Volatile.Read(ref t.Failed));
                var rate = (done - lastDone) / Math.Max(Stopwatch.GetElapsedTime(lastAt, now).TotalSeconds, 1e-9);
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {label}: {LoadSession.Seconds(Stopwatch.GetElapsedTime(start, now))} {done:N0} completed, {rate:N0} ops/s now, {failed:N0} failed"));
                (lastDone, lastAt) = (done, now);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            interrupted = true;
        }
        finally
        {
            Volatile.Write(ref _phase, Stopping);
            await Task.WhenAll(clients);
        }

        var elapsedMs = start == 0 ? 0 : Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return Merge(elapsedMs, interrupted);
    }

    private async Task ClientAsync(ClientTally tally, CancellationToken ct)
    {
        var parameters = Math.Max(_prepared.ParameterCount, 1);
        while (!ct.IsCancellationRequested)
        {
            var phase = Volatile.Read(ref _phase);
            if (phase == Stopping)
            {
                return;
            }

            var measured = phase == Measuring;
            var iteration = (int)(Interlocked.Increment(ref _next) % parameters);
            if (measured)
            {
                Volatile.Write(ref tally.Sent, tally.Sent + 1);
            }

            var t0 = Stopwatch.GetTimestamp();
            try
            {
                await _prepared.RunAsync(_variant, iteration, collect: false, ct);
                if (measured)
                {
                    tally.Latencies.Add(Stopwatch.GetTimestamp() - t0);
                    Volatile.Write(ref tally.Completed, tally.Completed + 1);
                }
            }
            catch (Exception ex)
            {
                if (measured)
                {
                    tally.Fail(ct.IsCancellationRequested ? new Failure(FailureKind.Interrupted, null, "cancelled by Ctrl+C or SIGTERM") : LoadFailures.Classify(ex));
                }
            }

            Volatile.Write(ref tally.Finished, 1);
        }
    }

    private StepMeasurement Merge(double elapsedMs, bool interrupted)
    {
        var latencies = new long[_tallies.Sum(t => t.Latencies.Count)];
        var at = 0;
        foreach (var t in _tallies)
        {
            t.Latencies.CopyTo(latencies, at);
            at += t.Latencies.Count;
        }

        var failures = _tallies
            .SelectMany(t => t.Failures.Values)
            .GroupBy(f => f.Failure.Key)
            .Select(g => new FailureCount(g.First().Failure.Kind, g.First().Failure.SqlState, g.Sum(x => x.Count), g.First().Failure.What))
            .OrderByDescending(f => f.Count)
            .ToList();
        return new StepMeasurement(
            _tallies.Sum(t => t.Sent),
            _tallies.Sum(t => t.Completed),
            _tallies.Sum(t => t.Failed),
            elapsedMs,
            latencies,
            failures,
            interrupted);
    }

    /// <summary>One client's counts, written by that client alone (read for progress with Volatile.Read).</summary>
    private sealed class ClientTally
    {
        public long Sent;
        public long Completed;
        public long Failed;

        /// <summary>1 once the client's first request (measured or not) has finished.</summary>
        public int Finished;

        public List<long> Latencies { get; } = new(4096);

        public Dictionary<string, (Failure Failure, long Count)> Failures { get; } = new(StringComparer.Ordinal);

        public void Fail(Failure f)
        {
            Failures[f.Key] = Failures.TryGetValue(f.Key, out var x) ? (x.Failure, x.Count + 1) : (f, 1);
            Volatile.Write(ref Failed, Failed + 1);
        }
    }
}
