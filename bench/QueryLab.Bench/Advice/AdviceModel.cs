using QueryLab.Bench.Timing;

namespace QueryLab.Bench.Advice;

/// <summary>What advise concludes of a candidate.</summary>
public enum AdviceVerdict
{
    /// <summary>Used by the plan, measured faster beyond the noise, the same answer, and the writes within the budget.</summary>
    Recommended,

    /// <summary>Built and measured, but one of those did not hold (the reason says which).</summary>
    NotRecommended,

    /// <summary>Could not be built on the lab's data (a unique index over duplicates, a lock not granted): reported, not measured.</summary>
    Skipped,
}

/// <summary>How advise measures: the read duets (paired slices, with and without the index), the write pairs, the write budget.</summary>
/// <param name="Reads">The duet of each read operation: the candidate is faster when the duet says so, confirmed by a re-measure.</param>
/// <param name="WritePairs">Pairs of write slices without and with the index (the index is rebuilt for each).</param>
/// <param name="WriteBudget">The most a write scenario may slow down (0.2 = +20%) for the candidate to be recommended.</param>
public sealed record AdviceSettings(DuetSettings Reads, int WritePairs, double WriteBudget)
{
    public static AdviceSettings Default { get; } = new(new DuetSettings(8, TimeSpan.FromMilliseconds(40), 0.10, PairedRatio.DefaultConfidence, 16), 12, 0.20);
}

/// <summary>One statement's plan without and with the candidate, and whether the plan with it uses it.</summary>
public sealed record StatementPlans(
    string Operation,
    int Statement,
    string Sql,
    double BeforeMs,
    double? AfterMs,
    long BeforeBuffers,
    long? AfterBuffers,
    string BeforeTree,
    string? AfterTree,
    IReadOnlyList<string> Changes,
    bool UsesIndex,
    string? BeforeFile,
    string? AfterFile);

/// <summary>An operation's time without (before) and with (after) the index: after ÷ before per pair of slices, with its interval.</summary>
public sealed record TimeChange(string Operation, double BeforeNs, double AfterNs, double Ratio, double? Lower, double? Upper, int Pairs, DuetVerdict Verdict, string Why);

/// <summary>What the index adds to a write scenario touching its table: with ÷ without per pair, with its interval.</summary>
public sealed record WriteCost(string Operation, double WithoutNs, double WithNs, double Ratio, double? Lower, double? Upper, int Pairs, bool WithinBudget);

/// <summary>A candidate and everything advise measured of it.</summary>
public sealed record CandidateProof(
    string Name,
    string Table,
    string Definition,
    string CreateConcurrently,
    IReadOnlyList<CandidateSource> Sources,
    AdviceVerdict Verdict,
    string Why,
    double? BuildMs,
    long? SizeBytes,
    bool? SameAnswer,
    IReadOnlyList<StatementPlans> Plans,
    IReadOnlyList<TimeChange> Reads,
    IReadOnlyList<WriteCost> Writes);

/// <summary>That the lab was left as advise found it: its indexes, its tables' checksums (against the seed manifest) and its planner statistics.</summary>
public sealed record LabRestored(bool Indexes, bool Checksums, bool PlannerStatistics, string Detail)
{
    public bool All => Indexes && Checksums && PlannerStatistics;
}

/// <summary>advice.json: the run, what was looked at, each candidate, and the check that the lab is unchanged.</summary>
public sealed record AdviceResults(
    int SchemaVersion,
    string RunId,
    string CommandLine,
    string Dataset,
    string Server,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    double? LoadAverage,
    double WriteBudget,
    IReadOnlyList<string> Operations,
    IReadOnlyList<string> Notes,
    IReadOnlyList<CandidateProof> Candidates,
    LabRestored Restored)
{
    public const int Version = 1;

    /// <summary>Findings in the plans that no index fixes (a heap-fetching Index Only Scan), with what does; none proposed a candidate.</summary>
    public IReadOnlyList<OtherRemedy> OtherRemedies { get; init; } = [];
}
