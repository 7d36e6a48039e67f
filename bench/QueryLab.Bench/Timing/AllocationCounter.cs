using QueryLab.Queries.Catalog;

namespace QueryLab.Bench.Timing;

/// <summary>Allocated bytes per operation: the median of several passes over the same operations, and their spread.</summary>
public sealed record AllocationCount(long BytesPerOp, long MinBytesPerOp, long MaxBytesPerOp, int Operations, int Passes);

/// <summary>
/// Counts what each variant allocates, as a deterministic counter: every pass runs the same operations (the first
/// <c>n</c> of the parameter rotation, <c>n</c> fixed by the scenario's parameter count, not by the clock) after a full
/// collection, and reads the process's precise total of allocated bytes around them. Several passes and their median
/// keep out what another thread of the process allocated meanwhile. BenchmarkDotNet's MemoryDiagnoser figure (in its
/// own exports) counts a single pass whose operations depend on the time planned per invocation, and differed by
/// 10–40% between the rounds of one run here; this one by less than 1%.
/// </summary>
public static class AllocationCounter
{
    public const int Passes = 5;

    /// <summary>At most this many operations a pass (fewer for slow operations: see <see cref="PassBudget"/>).</summary>
    private const int MaxOperations = 512;

    /// <summary>
    /// At least this many a pass, in whole rotations of the parameters: a scenario with one parameter value ran one
    /// operation a pass, whose count moved by up to 26% between runs with whatever one operation allocates once (a
    /// buffer grown, an await that suspended or not).
    /// </summary>
    private const int MinOperations = 32;

    /// <summary>The longest one pass is planned to last (only slow operations, tens of milliseconds each, get fewer than <see cref="MinOperations"/>).</summary>
    private static readonly TimeSpan PassBudget = TimeSpan.FromMilliseconds(400);

    public static async Task<Dictionary<string, AllocationCount>> MeasureAsync(IReadOnlyList<CasePlan> cases, IReadOnlyDictionary<string, double> estimatesNs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(cases);
        var counts = new Dictionary<string, AllocationCount>(StringComparer.Ordinal);
        foreach (var c in cases)
        {
            var n = Operations(c.Prepared, estimatesNs.GetValueOrDefault(c.Key));
            var perOp = new List<long>(Passes);
            for (var pass = 0; pass < Passes; pass++)
            {
                ct.ThrowIfCancellationRequested();
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
                var before = GC.GetTotalAllocatedBytes(precise: true);
                await Task.Run(() => RunAsync(c, n, ct), ct);
                perOp.Add((GC.GetTotalAllocatedBytes(precise: true) - before) / n);
            }

            perOp.Sort();
            counts[c.Key] = new AllocationCount(perOp[Passes / 2], perOp[0], perOp[^1], n, Passes);
        }

        return counts;
    }

    /// <summary>
    /// How many operations a pass runs: every parameter value once where there are at most <see cref="MaxOperations"/>,
    /// whole rotations of them up to at least <see cref="MinOperations"/> where there are fewer, and fewer when that
    /// would outlast <see cref="PassBudget"/>.
    /// </summary>
    public static int Operations(IPreparedScenario prepared, double estimateNs)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        var values = Math.Max(1, prepared.ParameterCount);
        var n = values >= MinOperations ? Math.Min(values, MaxOperations) : values * ((MinOperations + values - 1) / values);
        while (n > 1 && estimateNs > 0 && n * estimateNs > PassBudget.TotalNanoseconds)
        {
            n /= 2;
        }

        return n;
    }

    private static async Task RunAsync(CasePlan c, int n, CancellationToken ct)
    {
        for (var i = 0; i < n; i++)
        {
            await c.Prepared.RunAsync(c.Variant, i, collect: false, ct).ConfigureAwait(false);
        }
    }
}
