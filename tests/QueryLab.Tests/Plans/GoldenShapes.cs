using QueryLab.Bench.Findings;
using QueryLab.Bench.Plans;

namespace QueryLab.Tests.Plans;

/// <summary>What a golden shape must hold: its node count, node lines of its shape (<see cref="PlanShape.Line"/>), its findings, and any further check.</summary>
public sealed record ShapeExpectation(int Nodes, IReadOnlyList<string> Lines, IReadOnlyList<string> Findings, Action<PlanAnalysis>? Check = null);

/// <summary>
/// The shapes generate.sh writes, and what each one is on each major. The findings listed are all the plan's findings but
/// the clock's (hot-node, row-estimate, planning-share, cache-misses), which come and go between two runs.
/// </summary>
public static class GoldenShapes
{
    /// <summary>The major whose server was built with LLVM, so its jit plan compiled.</summary>
    public const int JitMajor = 15;

    public static readonly string[] Names =
    [
        "seq-scan-filter", "parallel-aggregate", "gather-merge", "cte-initplan-subplan", "memoize", "incremental-sort", "append-partitions",
        "jit", "insert-returning-trigger", "update-returning", "sort-limit-spill", "hash-join-spill", "nested-loop-inner-filter",
        "disabled-seq-scan", "index-only-heap-fetches", "index-scan-few-columns",
    ];

    /// <summary>Why a major has no plan of a shape; null when it has one.</summary>
    public static string? Absent(int major, string shape) => (major, shape) switch
    {
        (13, "memoize") => "PostgreSQL 13 has no Memoize (it came in 14; its betas called it Result Cache): the query is a plain nested loop there, so generate.sh writes no memoize plan for 13",
        _ => null,
    };

    public static ShapeExpectation Expected(int major, string shape) => shape switch
    {
        "seq-scan-filter" => new(1, ["Seq Scan on g_items"], [FindingCodes.SeqScanLargeTable]),
        "parallel-aggregate" => new(4, ["Finalize GroupAggregate", "Gather Merge", "Partial GroupAggregate", "Parallel Index Only Scan using g_items_grp_idx on g_items"], [], a =>
        {
            Assert.Contains(a.Nodes, n => n.NodeType == "Gather Merge" && n.WorkersLaunched > 0);
            Assert.Contains(a.Nodes, n => n.PartialMode == "Partial" && n.ParallelProcesses > 1);
        }),
        "gather-merge" => new(4, ["Limit", "Gather Merge", "Sort", "Parallel Seq Scan on g_items"], [FindingCodes.RowsRemovedByFilter]),
        "cte-initplan-subplan" => new(8, ["CTE Scan on big", "GroupAggregate  [CTE big]"], [FindingCodes.RowsRemovedByFilter], a =>
        {
            Assert.Contains(a.Nodes, n => n.ParentRelationship == "InitPlan" && n.SubplanName!.StartsWith("InitPlan", StringComparison.Ordinal));
            Assert.Contains(a.Nodes, n => n.ParentRelationship == "SubPlan" && !n.Executed);
        }),
        "memoize" => new(5, ["Nested Loop", "Memoize  [Inner]", "Seq Scan on g_items"], [FindingCodes.SeqScanLargeTable]),
        "incremental-sort" => new(3, ["Limit", "Incremental Sort", "Index Scan using g_items_pkey on g_items"], []),
        "append-partitions" => new(5, ["Append", "Seq Scan on g_parts_2024", "Seq Scan on g_parts_2025"], [], a =>
            Assert.Equal(["g_parts_2024", "g_parts_2025"], a.Nodes.Where(n => n.RelationName is not null).Select(n => n.RelationName!).Order().ToArray())),
        // Only 15's server (Debian's, built with LLVM) compiles; the embedded builds of the other majors have no llvmjit, so
        // their plan of the same query says nothing of JIT (and must not be read as if it did).
        "jit" when major != JitMajor => new(2, ["HashAggregate", "Seq Scan on g_items"], [], a => Assert.Null(a.Jit)),
        "jit" => new(2, ["HashAggregate", "Seq Scan on g_items"], [FindingCodes.JitShare], a =>
        {
            Assert.NotNull(a.Jit);
            Assert.True(a.Jit.Functions > 0 && a.Jit.TotalMs > 0);
        }),
        "insert-returning-trigger" => new(2, ["Insert on g_child", "Function Scan on generate_series"], [], a =>
        {
            Assert.Equal(("ModifyTable", "Insert"), (a.Root.NodeType, a.Root.Operation));
            Assert.Equal(2, a.Triggers.Count);
            Assert.True(a.Work.Writes);
            Assert.True(a.Work.Wal!.Bytes > 0);
        }),
        "update-returning" => new(3, ["Update on g_items", "Bitmap Heap Scan on g_items", "Bitmap Index Scan on g_items_grp_idx"], [], a =>
        {
            Assert.Equal("Update", a.Root.Operation);
            Assert.True(a.Work.Wal!.Bytes > 0);
        }),
        "sort-limit-spill" => new(3, ["Limit", "Sort", "Seq Scan on g_items"], [FindingCodes.SortSpill]),
        "hash-join-spill" => new(5, ["Hash Join", "Hash  [Inner]"], [FindingCodes.HashSpill]),
        "nested-loop-inner-filter" => new(3, ["Index Only Scan using g_parent_pkey on g_parent", "Aggregate  [SubPlan 1]", "Seq Scan on g_child"], []),
        "disabled-seq-scan" => new(4, ["Append", "Seq Scan on g_parts_2024", "Seq Scan on g_parts_2025"], [FindingCodes.SeqScanLargeTable], a =>
            Assert.Equal(major >= 18, a.Nodes.Any(n => n.TotalCost < 1e9))), // before 18, disable_cost (1e10) is added to the scans' costs

        "index-only-heap-fetches" => new(1, ["Index Only Scan using g_vis_k_idx on g_vis"], [FindingCodes.HeapFetches]),
        "index-scan-few-columns" => new(1, ["Index Scan using g_items_grp_idx on g_items"], []),
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, "not a golden shape"),
    };
}
