using BenchmarkDotNet.Attributes;
using QueryLab.Queries.Catalog;

namespace QueryLab.Bench.Timing;

/// <summary>The variants BenchmarkDotNet times in this run, prepared before it starts.</summary>
public static class BenchmarkCases
{
    private static readonly Dictionary<string, (IPreparedScenario Prepared, IVariant Variant)> Cases = new(StringComparer.Ordinal);

    private static readonly Dictionary<string, long> DelayTicks = new(StringComparer.Ordinal);

    public static IEnumerable<string> Names => Cases.Keys;

    public static string Key(string scenario, string variant) => $"{scenario}/{variant}";

    /// <summary>
    /// Cancelled when the run is interrupted: the operation being timed is cancelled with it (its statement on the server
    /// too), and every case after it fails at once, so BenchmarkDotNet, which cannot be cancelled, returns within moments.
    /// </summary>
    public static CancellationToken Cancellation { get; private set; }

    /// <summary>Vacuums before a case that follows a write (null: nothing is vacuumed, as in tests of the runner alone).</summary>
    public static LabVacuum? Vacuum { get; set; }

    public static void Set(IEnumerable<(IPreparedScenario Prepared, IVariant Variant)> cases, CancellationToken cancellation = default, IReadOnlyDictionary<string, double>? delaysNs = null)
    {
        Cancellation = cancellation;
        Cases.Clear();
        DelayTicks.Clear();
        foreach (var (key, ns) in delaysNs ?? new Dictionary<string, double>())
        {
            DelayTicks[key] = (long)Math.Round(ns * System.Diagnostics.Stopwatch.Frequency / 1e9);
        }

        foreach (var c in cases)
        {
            Cases[Key(c.Prepared.Scenario.Name, c.Variant.Name)] = c;
        }
    }

    public static (IPreparedScenario Prepared, IVariant Variant) Get(string key) => Cases[key];

    /// <summary>The delay injected into a case, in Stopwatch ticks (0 for none).</summary>
    public static long Delay(string key) => DelayTicks.GetValueOrDefault(key);

    public static void Clear()
    {
        Cases.Clear();
        DelayTicks.Clear();
        Cancellation = default;
        Vacuum = null;
    }

    /// <summary>
    /// Busy-waits the given Stopwatch ticks: an injected delay is CPU time of the client, like slower code, and is
    /// exact to well under a microsecond, where a sleep would be rounded to the scheduler's tick.
    /// </summary>
    public static void Spin(long ticks)
    {
        if (ticks <= 0)
        {
            return;
        }

        var until = System.Diagnostics.Stopwatch.GetTimestamp() + ticks;
        while (System.Diagnostics.Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(10);
        }
    }
}

/// <summary>
/// One BenchmarkDotNet benchmark for the whole catalog: the case (scenario/variant) is a parameter fed
/// from the catalog, so there is no second list of scenarios. Each operation takes the next parameter
/// value of the rotation; nothing is captured or collected while timing.
/// </summary>
public class CatalogBenchmark
{
    private IPreparedScenario? _prepared;
    private IVariant? _variant;
    private int _iteration;
    private long _delay;

    public static IEnumerable<string> CaseNames => BenchmarkCases.Names;

    [ParamsSource(nameof(CaseNames))]
    public string Case { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        BenchmarkCases.Cancellation.ThrowIfCancellationRequested();
        (_prepared, _variant) = BenchmarkCases.Get(Case);
        _delay = BenchmarkCases.Delay(Case);
        _iteration = 0;
        // Outside the measurement: every case starts without the dead rows an earlier write case left.
        BenchmarkCases.Vacuum?.IfDirtyAsync(BenchmarkCases.Cancellation).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        if (_prepared!.Scenario.Writes)
        {
            BenchmarkCases.Vacuum?.MarkDirty();
        }
    }

    [Benchmark(Description = "operation")]
    public Task<VariantResult> Operation()
    {
        BenchmarkCases.Spin(_delay); // 0 unless a calibration run injected a delay into this case
        return _prepared!.RunAsync(_variant!, _iteration++, collect: false, BenchmarkCases.Cancellation);
    }
}
