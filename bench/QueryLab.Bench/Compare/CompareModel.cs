using System.Text.Json.Serialization;

namespace QueryLab.Bench.Compare;

// compare.json: what `querylab compare` decided, machine-readable (README, "querylab compare").
// Bump CurrentSchemaVersion when a field changes meaning or is removed; adding optional fields keeps it.

/// <summary>Which measurement a change is about: a deterministic counter, a plan shape, or wall time.</summary>
public enum ChangeKind
{
    Counter,
    Plan,
    Time,
}

/// <summary>Regression and improvement are decided; unknown means the data cannot decide (never a failure).</summary>
public enum Outcome
{
    Regression,
    Improvement,
    Unchanged,
    Unknown,
}

public sealed record CompareReport
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>"regression" or "no regression".</summary>
    public required string Verdict { get; init; }

    /// <summary>What `querylab compare` exits with: 0 (no regression) or 1 (regression).</summary>
    public required int ExitCode { get; init; }

    public required RunRef Baseline { get; init; }

    public required RunRef Candidate { get; init; }

    public required CompareMethod Method { get; init; }

    /// <summary>Differences that do not stop the comparison but weaken it (another machine, other settings).</summary>
    public required IReadOnlyList<string> Warnings { get; init; }

    public required IReadOnlyList<MetricChange> Regressions { get; init; }

    public required IReadOnlyList<MetricChange> Improvements { get; init; }

    /// <summary>Comparisons the data could not decide: too few measurements, a variant not timed.</summary>
    public required IReadOnlyList<MetricChange> Unknown { get; init; }

    public required IReadOnlyList<MetricChange> Unchanged { get; init; }

    /// <summary>Variants in both runs, in the candidate's order: what was compared.</summary>
    public required IReadOnlyList<VariantRef> Compared { get; init; }

    /// <summary>Variants only in the candidate: new, not a regression.</summary>
    public required IReadOnlyList<VariantRef> Added { get; init; }

    /// <summary>Variants only in the baseline: gone, not a regression.</summary>
    public required IReadOnlyList<VariantRef> Removed { get; init; }

    [JsonIgnore]
    public IEnumerable<MetricChange> All => Regressions.Concat(Improvements).Concat(Unknown).Concat(Unchanged);
}

public sealed record RunRef(string RunId, string Path, string? Commit, string? Branch, DateTimeOffset StartedAt, string Profile, string Scale, int Seed);

public sealed record VariantRef(string Scenario, string Variant);

/// <summary>The thresholds and the statistics used, written down with every comparison.</summary>
public sealed record CompareMethod(
    double TimeThreshold,
    double CounterThreshold,
    double Alpha,
    string TimeTest,
    string MultipleComparisons,
    string TimeChange,
    string ConfidenceInterval);

/// <summary>One measurement of one variant, baseline against candidate.</summary>
public sealed record MetricChange
{
    public required string Scenario { get; init; }

    public required string Variant { get; init; }

    public required ChangeKind Kind { get; init; }

    /// <summary>"round trips", "statements", "rows", "shared buffers", "rows processed", "temp blocks", "WAL bytes", "allocated bytes", "plan shape", "generic plan shape", "median time".</summary>
    public required string Metric { get; init; }

    public required Outcome Outcome { get; init; }

    /// <summary>The statement (normalised SQL) a per-statement metric is about; null for per-variant metrics.</summary>
    public string? Statement { get; init; }

    public double? Baseline { get; init; }

    public double? Candidate { get; init; }

    /// <summary>candidate ÷ baseline − 1; null when there is no ratio (a plan, a zero baseline).</summary>
    public double? RelativeChange { get; init; }

    /// <summary>The baseline's figure as a reader sees it ("3", "12.4 µs", "a1b2c3…").</summary>
    public required string BaselineText { get; init; }

    public required string CandidateText { get; init; }

    /// <summary>The change as a reader sees it ("+1", "+25.3% (99% CI +21.0% … +29.9%)", "scan changed: …").</summary>
    public required string ChangeText { get; init; }

    public string? Note { get; init; }

    public PlanChange? Plan { get; init; }

    public TimeChange? Time { get; init; }
}

/// <summary>A plan shape that changed: both shapes and what changed, one line each.</summary>
public sealed record PlanChange(string BaselineHash, string CandidateHash, string BaselineShape, string CandidateShape, IReadOnlyList<string> Changes);

/// <summary>
/// The time test of one variant. <see cref="Ratio"/> is the Hodges–Lehmann ratio (median of every
/// candidate ÷ baseline measurement pair) with its distribution-free confidence interval; the p-value is
/// the two-sided Mann–Whitney U test's, <see cref="AdjustedPValue"/> the same after Benjamini–Hochberg.
/// </summary>
public sealed record TimeChange(
    int BaselineSamples,
    int CandidateSamples,
    double BaselineMedianNs,
    double CandidateMedianNs,
    double? Ratio,
    double? RatioLower,
    double? RatioUpper,
    double ConfidenceLevel,
    double? PValue,
    double? AdjustedPValue)
{
    /// <summary>
    /// With several rounds on both sides (<c>querylab ab</c>): the change of each round's median, candidate round i
    /// against baseline round i (the two ran back to back). Null when either side is a single run.
    /// </summary>
    public IReadOnlyList<double>? RoundChanges { get; init; }
}
