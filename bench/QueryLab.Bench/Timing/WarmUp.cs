using QueryLab.Queries.Catalog;

namespace QueryLab.Bench.Timing;

/// <summary>The warm-up every measuring run starts with; it also says how long each case's operation takes.</summary>
public static class WarmUp
{
    /// <summary>
    /// Warms the process until .NET's tiered compilation has finished with what the cases run: a first pass runs each case
    /// for about 150 ms, then passes of about 50 ms each follow, a pause after each for the background compiler, until a
    /// whole pass compiles (almost) no method any more — <see cref="System.Runtime.JitInfo.GetCompiledMethodCount"/> — or
    /// <see cref="WarmUpCap"/> has passed. BenchmarkDotNet's own warm-up (a few iterations per case) ends long before
    /// that: without this, EF Core's variants were measured 2–3× slower in a run's first minute than in its second (the
    /// tier-0 code still running), and a case's time depended on what had run before it and on how busy the machine was.
    /// </summary>
    /// <remarks>
    /// A case whose statement the server stops at the statement limit (a parameter value verification did not try) leaves
    /// the warm-up with the parameters it stopped at in <paramref name="stopped"/>, and gets no estimate. A case whose
    /// operation takes longer than a pass's budget runs once in every pass after the first (its first pass runs it twice).
    /// </remarks>
    /// <param name="quick">One pass and no more (ab's smoke profile, which decides nothing): the estimates are of tier-0 code.</param>
    public static async Task<Dictionary<string, double>> RunAsync(IReadOnlyList<(IPreparedScenario Prepared, IVariant Variant)> cases, TextWriter o, CancellationToken ct, IDictionary<string, string>? stopped = null, bool quick = false)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var operations = 0;
        var estimates = new Dictionary<string, double>(StringComparer.Ordinal);
        var passes = 0;
        long compiled = 0;
        var before = System.Runtime.JitInfo.GetCompiledMethodCount();
        long previous = long.MaxValue;
        var steadyRate = false;
        do
        {
            var budget = TimeSpan.FromMilliseconds(passes == 0 ? 150 : 50);
            foreach (var (p, v) in cases)
            {
                var key = BenchmarkCases.Key(p.Scenario.Name, v.Name);
                if (stopped?.ContainsKey(key) == true)
                {
                    continue;
                }

                var least = passes > 0 && estimates.TryGetValue(key, out var ns) && ns > budget.TotalNanoseconds ? 1 : 2;
                var started = watch.Elapsed;
                var i = 0;
                try
                {
                    for (; i < least || (watch.Elapsed - started < budget && i < 500); i++)
                    {
                        await p.RunAsync(v, i, collect: false, ct);
                        operations++;
                    }
                }
                catch (Exception ex) when (stopped is not null && !ct.IsCancellationRequested && Seed.Server.StatementLimit.IsExceeded(ex))
                {
                    stopped[key] = p.DescribeParameters(i);
                    estimates.Remove(key);
                    continue;
                }

                // The last pass, on optimised code, says how long an operation takes: what the invocations are sized by.
                estimates[key] = (watch.Elapsed - started).TotalNanoseconds / i;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
            passes++;
            var now = System.Runtime.JitInfo.GetCompiledMethodCount();
            (previous, compiled, before) = (compiled, now - before, now);
            // A variant that builds code as it runs (a LINQ query EF Core cannot cache, a new data source per operation)
            // compiles about as much in every pass: the JIT is then as done as it will be.
            // (A backlog of tier-up work also compiles steadily, pass after pass, but by the thousand, not by the few.)
            steadyRate = passes >= 4 && compiled >= previous * 0.8 && compiled <= 10 * cases.Count;
        }
        while (!quick && (passes < 2 || compiled > SteadyCompilations) && !steadyRate && watch.Elapsed < WarmUpCap);

        var steady = quick
            ? "one pass only (--quick): the JIT was not waited for"
            : compiled <= SteadyCompilations
            ? "the JIT had finished"
            : steadyRate
                ? $"the JIT went on compiling about {compiled} method(s) a pass, the code some variants build as they run"
                : $"the JIT still compiled {compiled} method(s) in the last pass: times may drift while it finishes";
        o.WriteLine($"bench: warmed up with {operations:N0} operations over {cases.Count} variant(s) in {watch.Elapsed.TotalSeconds:0.0} s ({passes} passes; {steady})");
        return estimates;
    }

    /// <summary>How many methods a warm-up pass may still compile and count as steady (a rare path of a parameter value).</summary>
    private const int SteadyCompilations = 3;

    /// <summary>The longest the warm-up goes on waiting for the JIT.</summary>
    private static readonly TimeSpan WarmUpCap = TimeSpan.FromSeconds(60);
}
