using System.Text.Json.Serialization;
using QueryLab.Bench.Findings;

namespace QueryLab.Bench.Results;

// The profiling pass's part of results.json: what each variant sent over the wire, and the plans.

/// <summary>One operation of a variant as PostgreSQL received it.</summary>
public sealed record ProfileRecord(
    int RoundTrips,
    int Statements,
    long Rows,
    IReadOnlyList<RepeatedStatementRecord> Repeated,
    IReadOnlyList<StatementRecord> DistinctStatements,
    IReadOnlyList<FindingRecord> Findings)
{
    /// <summary>Shared buffers (hit + read) of every distinct statement's plan, weighted by how often it ran.</summary>
    public long SharedBuffers => DistinctStatements.Sum(s => (s.Plan?.SharedHit + s.Plan?.SharedRead ?? 0) * s.Executions);

    /// <summary>Rows processed by the executor (<see cref="PlanSummary.RowsProcessed"/>) over the statements, each weighted by how often it ran; null when no plan has the count (an older run).</summary>
    public long? RowsProcessed => Weighted(p => p.RowsProcessed);

    /// <summary>Temp blocks read + written over the statements, each weighted by how often it ran.</summary>
    public long TempBlocks => Weighted(p => p.TempBlocks) ?? 0;

    /// <summary>WAL bytes over the statements, each weighted by how often it ran; null when no plan has WAL counts.</summary>
    public long? WalBytes => Weighted(p => p.WalBytes);

    /// <summary>
    /// A plan counter summed over the distinct statements × their executions, as each one's plan (of its first
    /// parameter values) says; statements without a plan (COPY, REFRESH) or without the counter add nothing.
    /// </summary>
    private long? Weighted(Func<PlanSummary, long?> counter)
    {
        var known = DistinctStatements.Where(s => s.Plan is not null && counter(s.Plan) is not null).ToList();
        return known.Count == 0 ? null : known.Sum(s => counter(s.Plan!)!.Value * s.Executions);
    }
}

/// <summary>A statement sent 2+ times in one operation; 5+ times in as many round trips is an N+1.</summary>
public sealed record RepeatedStatementRecord(string Sql, int Count, int RoundTrips, bool IsNPlusOne);

/// <summary>A distinct statement (by normalised SQL) with the parameters of its first execution and its plans.</summary>
public sealed record StatementRecord(
    string Sql,
    IReadOnlyList<string> Parameters,
    int Executions,
    string? PlanFile,
    string? GenericPlanFile,
    PlanSummary? Plan,
    PlanSummary? GenericPlan,
    bool? GenericPlanDiffers,
    IReadOnlyList<string> GenericPlanChanges,
    string? Note);

/// <summary>
/// What a plan says, in figures and words (the full JSON is in the plan file). The executor's counters
/// (<see cref="Plans.ExecutorWork"/>) come last and are optional: a run of an older QueryLab has none, a server
/// without EXPLAIN's WAL option no WAL counts; absent is null, never 0.
/// </summary>
public sealed record PlanSummary(
    string ShapeHash,
    string ShapeText,
    double PlanningMs,
    double ExecutionMs,
    long SharedHit,
    long SharedRead,
    long TempBlocks,
    double? CacheHitRate,
    IReadOnlyList<string> TopNodes,
    string Tree,
    long? RowsProcessed = null,
    bool? Parallel = null,
    bool? Writes = null,
    long? WalRecords = null,
    long? WalFpi = null,
    long? WalBytes = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Estimated = false);

/// <summary>
/// A finding on a variant: from its plans (with the node) or from its round trips (N+1). Its severity is written as
/// results.json always had it ("Critical", "Warning", "Info"), so existing baselines still read.
/// </summary>
public sealed record FindingRecord(
    [property: JsonConverter(typeof(JsonStringEnumConverter<Severity>))] Severity Severity,
    string Code,
    string Where,
    string Message,
    string Fix);
