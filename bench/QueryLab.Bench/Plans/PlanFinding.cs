namespace QueryLab.Bench.Plans;

public enum Severity
{
    /// <summary>Worth knowing; rarely the reason a query is slow on its own.</summary>
    Info,

    /// <summary>Likely costs time or will at a larger scale; fix when touching the query.</summary>
    Warning,

    /// <summary>Very likely why this statement is slow; fix first.</summary>
    Critical,
}

/// <summary>
/// Something worth a reviewer's attention in one plan: <see cref="Code"/> is stable (tests and baselines
/// compare it); <see cref="NodePath"/> is the node's dotted path ("1.2.1"), empty for the statement as a whole;
/// <see cref="Message"/> says what happened with the numbers; <see cref="Fix"/> says what to do, in one line.
/// </summary>
public sealed record PlanFinding(Severity Severity, string Code, string NodePath, string Message, string Fix);

/// <summary>The codes of <see cref="PlanFinding"/>; FINDINGS.md has each one's thresholds and sources.</summary>
public static class FindingCodes
{
    public const string RowEstimate = "row-estimate";
    public const string SeqScanLargeTable = "seq-scan-large-table";
    public const string RowsRemovedByFilter = "rows-removed-by-filter";
    public const string HeapFetches = "heap-fetches";
    public const string SortSpill = "sort-spill";
    public const string HashSpill = "hash-spill";
    public const string LossyBitmap = "lossy-bitmap";
    public const string WorkersNotLaunched = "workers-not-launched";
    public const string JitShare = "jit-share";
    public const string PlanningShare = "planning-share";
    public const string CacheMisses = "cache-misses";
    public const string HotNode = "hot-node";

    public static IReadOnlyList<string> All { get; } =
    [
        RowEstimate, SeqScanLargeTable, RowsRemovedByFilter, HeapFetches, SortSpill, HashSpill, LossyBitmap,
        WorkersNotLaunched, JitShare, PlanningShare, CacheMisses, HotNode,
    ];
}
