using QueryLab.Queries.Catalog;

namespace QueryLab.Bench.Timing;

/// <summary>
/// One case of a run: a variant of a prepared scenario, how many operations one invocation runs, and what each round
/// measured of it.
/// </summary>
public sealed class CasePlan(IPreparedScenario prepared, IVariant variant, int operationsPerInvoke, int measuredIterations, long delayTicks)
{
    public IPreparedScenario Prepared { get; } = prepared;

    public IVariant Variant { get; } = variant;

    public string Key { get; } = BenchmarkCases.Key(prepared.Scenario.Name, variant.Name);

    /// <summary>Operations per invocation (a power of two, 1–4096): an invocation lasts about one iteration.</summary>
    public int OperationsPerInvoke { get; } = operationsPerInvoke;

    /// <summary>Measured iterations in each round (the allocation pass after them not counted).</summary>
    public int MeasuredIterations { get; } = measuredIterations;

    /// <summary>A client-side delay injected before every operation, in Stopwatch ticks (0 for none).</summary>
    public long DelayTicks { get; } = delayTicks;

    /// <summary>The measured iterations of each round, in nanoseconds per operation (empty for a round that failed).</summary>
    public List<IReadOnlyList<double>> Rounds { get; } = [];

    /// <summary>Allocated bytes per operation of each round's allocation pass (the same operations every time).</summary>
    public List<long> AllocatedPerRound { get; } = [];

    /// <summary>The plain loop's batch after each measured iteration (the fidelity check), nanoseconds per operation, in order.</summary>
    public List<double> LoopNs { get; } = [];

    /// <summary>
    /// The scenario's baseline, whose slices are timed before and after each measured iteration of this variant (null for
    /// the baseline itself, and when the run pairs nothing).
    /// </summary>
    public CasePlan? Partner { get; set; }

    /// <summary>How long each round took this case, from BenchmarkDotNet's global setup to its cleanup: what an extra round costs.</summary>
    public List<TimeSpan> Walls { get; } = [];

    /// <summary>The rounds this case got beyond the profile's, to narrow its × raw interval (<see cref="BenchProfile.TightenTo"/>).</summary>
    public int ExtraRounds { get; set; }

    /// <summary>The CPU time of the host while this variant and its baseline's slices around it were timed, steal included.</summary>
    public StealMeter Steal { get; } = new();

    /// <summary>
    /// The baseline's slices around this variant's iterations, by the case's own round (the index into <see cref="Rounds"/>:
    /// a case left out of an extra round has no entry for it; measured iterations + 1 in each).
    /// </summary>
    public Dictionary<int, List<double>> PartnerNs { get; } = [];

    /// <summary>
    /// Each measured iteration over the baseline's time around it (the geometric mean of the slices before and after):
    /// what × raw is estimated from.
    /// </summary>
    public IEnumerable<double> PairRatios()
    {
        for (var r = 0; r < Rounds.Count; r++)
        {
            if (!PartnerNs.TryGetValue(r, out var slices))
            {
                continue;
            }

            for (var i = 0; i < Rounds[r].Count && i + 1 < slices.Count; i++)
            {
                yield return Rounds[r][i] / Math.Sqrt(slices[i] * slices[i + 1]);
            }
        }
    }

    /// <summary>The first error BenchmarkDotNet reported for this case, if any.</summary>
    public string? Error { get; set; }
}

/// <summary>The cases BenchmarkDotNet times in this run, set before it starts and read by <see cref="CatalogBenchmark"/>.</summary>
public static class BenchmarkCases
{
    private static readonly Dictionary<string, CasePlan> Cases = new(StringComparer.Ordinal);

    private static IReadOnlyList<string> _order = [];

    /// <summary>The case names of the round being run, in the order BenchmarkDotNet is to run them.</summary>
    public static IEnumerable<string> Names => _order;

    public static string Key(string scenario, string variant) => $"{scenario}/{variant}";

    /// <summary>
    /// Cancelled when the run is interrupted: the operation being timed is cancelled with it (its statement on the server
    /// too), and every case after it fails at once, so BenchmarkDotNet, which cannot be cancelled, returns within moments.
    /// </summary>
    public static CancellationToken Cancellation { get; private set; }

    /// <summary>Vacuums before a case that follows a write (null: nothing is vacuumed, as in tests of the runner alone).</summary>
    public static LabVacuum? Vacuum { get; private set; }

    /// <summary>The round being run (0-based): where each iteration starts in the parameter rotation.</summary>
    public static int Round { get; private set; }

    /// <summary>Whether each case is followed by the plain loop of the same operations (calibrate's fidelity check).</summary>
    public static bool LoopCheck { get; private set; }

    public static void Set(IEnumerable<CasePlan> cases, CancellationToken cancellation, LabVacuum? vacuum, bool loopCheck)
    {
        Cancellation = cancellation;
        Vacuum = vacuum;
        LoopCheck = loopCheck;
        Cases.Clear();
        foreach (var c in cases)
        {
            Cases[c.Key] = c;
        }
    }

    public static void StartRound(int round, IReadOnlyList<string> order)
    {
        Round = round;
        _order = order;
    }

    public static CasePlan Get(string key) => Cases[key];

    public static void Clear()
    {
        Cases.Clear();
        _order = [];
        Cancellation = default;
        Vacuum = null;
        LoopCheck = false;
        Round = 0;
    }
}
