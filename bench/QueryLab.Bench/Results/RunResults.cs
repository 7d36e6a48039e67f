using System.Text.Json.Serialization;

namespace QueryLab.Bench.Results;

// results.json: everything a report shows, in one versioned schema (reports/README.md documents it).
// Bump SchemaVersion when a field changes meaning or is removed; adding optional fields keeps it.

/// <summary>What every run file starts with (results.json, load.json): which run, when, from which command, where.</summary>
public abstract record RunHeader
{
    public required string RunId { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public required string Command { get; init; }

    public GitInfo? Git { get; init; }

    public required MachineInfo Machine { get; init; }

    public required ServerInfo Server { get; init; }

    public required DatasetInfo Dataset { get; init; }
}

public sealed record RunResults : RunHeader
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;


    public required ProfileInfo Profile { get; init; }

    public required IReadOnlyList<ScenarioResult> Scenarios { get; init; }

    /// <summary>
    /// Delays injected into variants by <c>bench --inject-delay</c> (scenario/variant → ns per operation): a calibration
    /// run that measures what <c>compare</c> can detect, never a measurement of the code. Null for a normal run.
    /// </summary>
    public IReadOnlyDictionary<string, double>? InjectedDelaysNs { get; init; }

    /// <summary>Where the injected delays were spent: "server" (inside the server, before each statement) or "client".</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? InjectedAt { get; init; }

    /// <summary>
    /// The share of the machine's CPU time (%) the hypervisor gave to other guests while the variants were timed
    /// (<c>/proc/stat</c>'s steal, over every variant's measured iterations and baseline slices): above a few percent the
    /// run's times depend on the host. Null where it is not counted, and in runs that predate it.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? StealPercent { get; init; }

    /// <summary>What the harness itself costs on this server: the floor every time in the report stands on.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public HarnessFloor? Floor { get; init; }

    /// <summary>
    /// The round-trip time (ms) QueryLab's latency relay added to every connection of the measurements (<c>--latency</c>);
    /// null: no relay, straight to the server, which older runs are (read as 0).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? LatencyMs { get; init; }

    /// <summary>The statement limit (ms) every statement of a variant ran under (<c>--statement-limit</c>); null in runs that predate it.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? StatementLimitMs { get; init; }

    /// <summary>The round-trip time of the measurements in ms, 0 when no relay was used.</summary>
    [JsonIgnore]
    public double RoundTripMs => LatencyMs ?? 0;

    /// <summary>
    /// What one round trip through the relay came out at (ms) in this run: <c>SELECT 1</c> with the relay's delays held and
    /// at <see cref="LatencyMs"/>, alternating, the median added; the instrument's own accuracy, beside the model's check.
    /// Null at 0 ms and in runs without it.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? RelayRoundTripMs { get; init; }

    /// <summary>The relay's own cost at 0 ms against a direct connection, measured in this run; null when no relay was used.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RelayCost? Relay { get; init; }

    /// <summary>A <c>--latency</c> sweep: every round-trip time measured, in order, this run's own among them; null otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<SweepPoint>? Sweep { get; init; }
}

/// <summary>
/// The harness floor: raw Npgsql's one-row lookup in a plain async loop in this process (median of batches, ns per
/// operation), and <c>pgbench -S -M prepared</c> against the same server (µs per transaction; null when pgbench is not
/// installed or could not run, with the reason).
/// </summary>
public sealed record HarnessFloor(double LoopMedianNs, double LoopMinNs, double LoopMaxNs, int Batches, double? PgbenchNs, double? PgbenchMinNs, double? PgbenchMaxNs, string? PgbenchNote);

public sealed record GitInfo(string Commit, bool Dirty, string? Branch);

public sealed record MachineInfo(string Host, int Cores, long MemoryBytes, string Os, string Runtime, string Architecture);

/// <summary>The server: its version and the settings that shape plans. The connection is described without its password.</summary>
public sealed record ServerInfo(string Description, bool Embedded, string Version, int MajorVersion, IReadOnlyDictionary<string, string> Settings);

public sealed record DatasetInfo(
    string Scale,
    int Seed,
    string GeneratorVersion,
    DateTime ReferenceTime,
    IReadOnlyDictionary<string, long> RowCounts,
    IReadOnlyDictionary<string, string> TableChecksums,
    DateTime? SeededAt)
{
    /// <summary>Per table, a fingerprint of the planner's statistics when the run was made (<see cref="Results.PlannerStatistics"/>); null in older runs.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string>? PlannerStatistics { get; init; }
}

/// <summary>The benchmark profile and the BenchmarkDotNet job it ran.</summary>
public sealed record ProfileInfo(string Name, string Description, string Job)
{
    /// <summary>The profile's measured iterations per round, which a variant gets unless its budget leaves it fewer; null in runs that predate budgets.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? IterationsPerRound { get; init; }

    /// <summary>How long a variant's measured iterations may take over all rounds (s); null in runs that predate budgets.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? VariantBudgetSeconds { get; init; }
}

public sealed record ScenarioResult
{
    public required string Name { get; init; }

    public required string Description { get; init; }

    public required string Parameters { get; init; }

    public required bool Writes { get; init; }

    public required VerificationResult Verification { get; init; }

    public required IReadOnlyList<VariantResultRecord> Variants { get; init; }

    /// <summary>The fastest variant that was timed without error, or null.</summary>
    public VariantResultRecord? Fastest() => Variants.Where(v => v.Timing is { Error: null }).MinBy(v => v.Timing!.MeanNs);

    /// <summary>A library's best variant as a multiple of the baseline's time ("× raw"), or null when none was timed.</summary>
    public double? BestRatio(string library) => BestVariant(library)?.RatioToBaseline;

    /// <summary>
    /// Among a library's best forms (all its variants in a run that predates the labels), the one with the smallest
    /// × raw; null when none was timed. A naive form is never a library's answer.
    /// </summary>
    public VariantResultRecord? BestVariant(string library) =>
        Variants.Where(v => v.Library == library && v.RatioToBaseline is not null && v.IsBestForm).MinBy(v => v.RatioToBaseline);
}

public sealed record VerificationResult(bool Passed, int ParameterValues, IReadOnlyList<MismatchRecord> Mismatches);

public sealed record MismatchRecord(string Variant, string Parameters, string What, IReadOnlyList<string> BaselineRows, IReadOnlyList<string> VariantRows);

public sealed record VariantResultRecord
{
    public required string Name { get; init; }

    public required string Library { get; init; }

    public required string Technique { get; init; }

    /// <summary>"best form", "naive" or "alternative" (the catalog's VariantForm); null in runs that predate the labels.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Form { get; init; }

    /// <summary>Stopped by the statement limit (<see cref="RunResults.StatementLimitMs"/>): too slow for this scale, so <see cref="NotRun"/> says so and the profile is the estimate.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool DidNotFinish { get; init; }

    /// <summary>A best form, or a variant of a run that predates the labels.</summary>
    [JsonIgnore]
    public bool IsBestForm => Form is null or "best form";

    public required bool IsBaseline { get; init; }

    /// <summary>Why it was not timed (not runnable here, or its scenario failed verification); null when it was.</summary>
    public string? NotRun { get; init; }

    public TimingRecord? Timing { get; init; }

    /// <summary>The profiling pass: statements, round trips, rows, plans and findings of one operation.</summary>
    public ProfileRecord? Profile { get; init; }

    /// <summary>
    /// Time over the baseline's time (the "× raw" column): the paired estimate of <see cref="Ratio"/> when the run had
    /// paired rounds, else the ratio of the means; null when either was not timed.
    /// </summary>
    public double? RatioToBaseline { get; init; }

    /// <summary>× raw measured round by round against the baseline, with its interval; null for the baseline and untimed variants.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RatioRecord? Ratio { get; init; }

    /// <summary>With <c>--latency</c>: the operation at the wire through the relay, connection setup included; null otherwise.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public WireRecord? Wire { get; init; }
}

/// <summary>Allocated bytes per operation: the median of <paramref name="Passes"/> passes of the same <paramref name="Operations"/> operations, with the smallest and largest.</summary>
public sealed record AllocationRecord(long BytesPerOp, long MinBytesPerOp, long MaxBytesPerOp, int Operations, int Passes);

/// <summary>
/// A paired ratio: the Hodges–Lehmann estimate of the per-round ratios of a variant to its baseline, and its exact
/// Wilcoxon signed-rank interval at <see cref="Confidence"/> (null bounds: too few rounds for one).
/// </summary>
public sealed record RatioRecord(double Ratio, double? Lower, double? Upper, int Pairs, double Confidence);

/// <summary>BenchmarkDotNet's figures for one variant, in nanoseconds per operation, with its raw iteration measurements.</summary>
public sealed record TimingRecord(
    double MeanNs,
    double MedianNs,
    double P95Ns,
    double StdErrNs,
    long? AllocatedBytesPerOp,
    IReadOnlyList<double> MeasurementsNs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error)
{
    /// <summary>
    /// When the measurements come from several runs (the rounds of <c>querylab ab</c>): how many of them each round
    /// contributed, in order. Null for a single run. The time test pairs the rounds of two sides by index.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<int>? RoundSizes { get; init; }

    /// <summary>The measurements of each round (the whole list as one round when <see cref="RoundSizes"/> is null).</summary>
    public IReadOnlyList<IReadOnlyList<double>> Rounds()
    {
        if (RoundSizes is not { Count: > 0 } sizes || sizes.Sum() != MeasurementsNs.Count)
        {
            return [MeasurementsNs];
        }

        var rounds = new List<IReadOnlyList<double>>(sizes.Count);
        var at = 0;
        foreach (var n in sizes)
        {
            rounds.Add(MeasurementsNs.Skip(at).Take(n).ToList());
            at += n;
        }

        return rounds;
    }

    /// <summary>The median of each of bench's paired rounds, in nanoseconds per operation (what × raw pairs by index).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<double>? RoundMediansNs { get; init; }

    /// <summary>Operations per invocation: how many operations each measured iteration ran.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? OperationsPerInvoke { get; init; }

    /// <summary>Measured iterations per round this variant got: the profile's, or fewer when its budget allowed no more (a slow operation at this scale).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? IterationsPerRound { get; init; }

    /// <summary>How <see cref="AllocatedBytesPerOp"/> was counted: the median of several passes over the same operations, and their spread.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public AllocationRecord? Allocation { get; init; }

    /// <summary>The plain async loop of the same operations, batch by batch (calibrate's fidelity check), ns per operation.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<double>? LoopNs { get; init; }

    /// <summary>bench ÷ loop, iteration by iteration (Hodges–Lehmann with its interval), when <see cref="LoopNs"/> was measured.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public RatioRecord? Fidelity { get; init; }

    /// <summary>The loop's median, ns per operation.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? LoopMedianNs { get; init; }

    /// <summary>
    /// The share of the machine's CPU time (%) the hypervisor gave to other guests while this variant and its baseline's
    /// slices were timed (<c>/proc/stat</c>'s steal); null where it is not counted.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? StealPercent { get; init; }

    /// <summary>
    /// The rounds this variant got beyond the profile's because its × raw interval was wider than the profile's
    /// <c>TightenTo</c> (each as many iterations as its others); null when it got none.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? ExtraRounds { get; init; }
}
