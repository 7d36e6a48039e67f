using System.Diagnostics;
using QueryLab.Bench.Load;
using QueryLab.Queries.Catalog;

namespace QueryLab.Bench.Rehearsal;

/// <summary>One request of the traffic: which scenario, when it started and ended (Stopwatch ticks), and how it failed, if it did.</summary>
public readonly record struct TrafficRequest(int Scenario, long Start, long End, Failure? Failure);

/// <summary>
/// The application's traffic during a rehearsal: N clients, client i running scenario i mod S (its baseline variant, raw
/// Npgsql's best form), each request with the next parameter value of its scenario's rotation, as <c>querylab load</c> runs
/// them (writes in a transaction that is rolled back; failures classified by <see cref="LoadFailures"/>). Unlike load,
/// every request keeps its start and end, so the rehearsal can say what the traffic suffered before, during and after
/// each statement. It runs until stopped.
/// </summary>
public sealed class Traffic
{
    private readonly IReadOnlyList<(IPreparedScenario Prepared, IVariant Variant)> _scenarios;
    private readonly List<TrafficRequest>[] _requests;
    private readonly long[] _next;
    private readonly int[] _finished;
    private readonly Task[] _clients;
    private volatile bool _stop;
    private long _completed;
    private long _failed;

    public Traffic(IReadOnlyList<(IPreparedScenario Prepared, IVariant Variant)> scenarios, int clients, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        _scenarios = scenarios;
        _requests = Enumerable.Range(0, clients).Select(_ => new List<TrafficRequest>(8192)).ToArray();
        _next = new long[scenarios.Count];
        _finished = new int[clients];
        _clients = Enumerable.Range(0, clients).Select(i => Task.Run(() => ClientAsync(i, ct), CancellationToken.None)).ToArray();
    }

    public long Completed => Interlocked.Read(ref _completed);

    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Every client has finished its first request (connections opened, statements prepared).</summary>
    public bool Warm => Enumerable.Range(0, _finished.Length).All(i => Volatile.Read(ref _finished[i]) == 1);

    /// <summary>Stops the clients (each finishes the request in hand) and returns every request, in start order.</summary>
    public async Task<IReadOnlyList<TrafficRequest>> StopAsync()
    {
        _stop = true;
        await Task.WhenAll(_clients);
        return _requests.SelectMany(r => r).OrderBy(r => r.Start).ToList();
    }

    private async Task ClientAsync(int client, CancellationToken ct)
    {
        var s = client % _scenarios.Count;
        var (prepared, variant) = _scenarios[s];
        var parameters = Math.Max(prepared.ParameterCount, 1);
        var mine = _requests[client];
        while (!_stop && !ct.IsCancellationRequested)
        {
            var iteration = (int)(Interlocked.Increment(ref _next[s]) % parameters);
            var t0 = Stopwatch.GetTimestamp();
            try
            {
                await prepared.RunAsync(variant, iteration, collect: false, ct);
                mine.Add(new TrafficRequest(s, t0, Stopwatch.GetTimestamp(), null));
                Interlocked.Increment(ref _completed);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                mine.Add(new TrafficRequest(s, t0, Stopwatch.GetTimestamp(), LoadFailures.Classify(ex)));
                Interlocked.Increment(ref _failed);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }

            Volatile.Write(ref _finished[client], 1);
        }
    }
}
