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

/// <summary>What a plan says, in figures and words (the full JSON is in the plan file).</summary>
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
    string Tree);

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
