namespace QueryLab.Bench.Plans;

/// <summary>
/// One node of an executed plan: what PostgreSQL reported for it (names as EXPLAIN's JSON spells them,
/// times in ms, memory in kB, blocks of 8 kB) and what <see cref="PlanAnalyzer"/> computed from the tree.
/// PostgreSQL reports times and row counts as averages per loop, and counters (buffers, heap fetches,
/// heap blocks) as totals over all loops and workers; the properties keep its units and say which.
/// </summary>
public sealed record PlanNode
{
    public required string NodeType { get; init; }

    /// <summary>Where the node hangs under its parent: Outer, Inner, Member, Subquery, InitPlan, SubPlan; null at the root.</summary>
    public string? ParentRelationship { get; init; }

    /// <summary>"CTE x", "InitPlan 1 (returns $0)", "SubPlan 2" — set on the top node of a CTE or subplan.</summary>
    public string? SubplanName { get; init; }

    public string? RelationName { get; init; }

    public string? Alias { get; init; }

    public string? IndexName { get; init; }

    /// <summary>The CTE a CTE Scan or WorkTable Scan reads.</summary>
    public string? CteName { get; init; }

    public string? FunctionName { get; init; }

    /// <summary>Inner, Left, Full, Right, Semi, Anti, Right Anti.</summary>
    public string? JoinType { get; init; }

    /// <summary>Plain, Sorted, Hashed or Mixed (Aggregate, SetOp).</summary>
    public string? Strategy { get; init; }

    /// <summary>Simple, Partial or Finalize (parallel aggregation).</summary>
    public string? PartialMode { get; init; }

    /// <summary>Insert, Update, Delete, Merge (ModifyTable).</summary>
    public string? Operation { get; init; }

    /// <summary>Forward, Backward or NoMovement (index scans).</summary>
    public string? ScanDirection { get; init; }

    public bool ParallelAware { get; init; }

    /// <summary>Gather with Single Copy: only a worker runs the subtree, the leader just waits.</summary>
    public bool SingleCopy { get; init; }

    public double StartupCost { get; init; }

    public double TotalCost { get; init; }

    /// <summary>Rows the planner expected per loop.</summary>
    public double PlanRows { get; init; }

    public int PlanWidth { get; init; }

    /// <summary>ms to the first row, average per loop; null without ANALYZE.</summary>
    public double? ActualStartupTime { get; init; }

    /// <summary>ms to the last row, average per loop; null without ANALYZE.</summary>
    public double? ActualTotalTime { get; init; }

    /// <summary>Rows returned, average per loop (per process under a Gather); null without ANALYZE.</summary>
    public double? ActualRows { get; init; }

    /// <summary>How many times the node ran (0: never executed), counting each parallel process.</summary>
    public long? ActualLoops { get; init; }

    public int? WorkersPlanned { get; init; }

    public int? WorkersLaunched { get; init; }

    /// <summary>Average per loop, as PostgreSQL reports it.</summary>
    public double? RowsRemovedByFilter { get; init; }

    /// <summary>Average per loop, as PostgreSQL reports it.</summary>
    public double? RowsRemovedByJoinFilter { get; init; }

    /// <summary>Average per loop, as PostgreSQL reports it.</summary>
    public double? RowsRemovedByIndexRecheck { get; init; }

    /// <summary>Index Only Scan: rows whose page was not all-visible, so the heap was read after all. Total over loops.</summary>
    public double? HeapFetches { get; init; }

    /// <summary>The node's own sort (Sort), or the full-sort groups' (Incremental Sort).</summary>
    public SortInfo? Sort { get; init; }

    /// <summary>Parallel workers' sorts, when PostgreSQL reports them separately.</summary>
    public IReadOnlyList<SortInfo> WorkerSorts { get; init; } = [];

    public HashInfo? Hash { get; init; }

    /// <summary>Bitmap Heap Scan: pages whose bitmap kept one bit per row. Total over loops.</summary>
    public long? ExactHeapBlocks { get; init; }

    /// <summary>Bitmap Heap Scan: pages whose bitmap kept one bit for the whole page (every row rechecked). Total over loops.</summary>
    public long? LossyHeapBlocks { get; init; }

    /// <summary>As reported: includes the children's blocks, totals over loops and workers.</summary>
    public PlanBuffers Buffers { get; init; } = PlanBuffers.None;

    /// <summary>WAL the node generated, children included (EXPLAIN's WAL option, PostgreSQL 13+); null when the plan was explained without it.</summary>
    public PlanWal? Wal { get; init; }

    /// <summary>The node's expressions by EXPLAIN's name (Filter, Index Cond, Hash Cond, Sort Key…), in the order given.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Conditions { get; init; } = [];

    public IReadOnlyList<PlanNode> Children { get; init; } = [];

    // ---- computed by PlanAnalyzer ----

    /// <summary>Dotted position from the root: "1" is the root, "1.2" its second child.</summary>
    public string Path { get; init; } = "1";

    /// <summary>
    /// Processes that shared this node's loops: workers launched (+1 when the leader takes part) for nodes
    /// under a Gather or Gather Merge, capped by the loops; 1 elsewhere.
    /// </summary>
    public int ParallelProcesses { get; init; } = 1;

    /// <summary>ms the node ran with its children: actual total time × loops ÷ <see cref="ParallelProcesses"/>.</summary>
    public double InclusiveTime { get; init; }

    /// <summary>ms spent in this node itself (see FINDINGS.md, "Exclusive time"); never negative.</summary>
    public double ExclusiveTime { get; init; }

    /// <summary><see cref="ExclusiveTime"/> ÷ the statement's execution time, 0..1.</summary>
    public double ExecutionShare { get; init; }

    /// <summary>Blocks this node touched itself, attributed like <see cref="ExclusiveTime"/>.</summary>
    public PlanBuffers ExclusiveBuffers { get; init; } = PlanBuffers.None;

    /// <summary>Per-loop estimate error; null when the node never ran or the plan was not ANALYZEd.</summary>
    public RowEstimate? RowEstimate { get; init; }

    /// <summary>"Seq Scan on shipments", "Index Scan using shipments_status_idx on shipments" — no numbers, no alias.</summary>
    public string Label => NodeLabel.Of(this);

    /// <summary><see cref="Label"/> plus the alias when it differs from the relation: what a reader sees in EXPLAIN.</summary>
    public string DisplayLabel => NodeLabel.Display(this);

    public bool Executed => ActualLoops is > 0;

    /// <summary>Total rows over all loops: actual rows × loops.</summary>
    public double TotalActualRows => (ActualRows ?? 0) * (ActualLoops ?? 0);

    /// <summary>Rows removed by Filter, Join Filter and Index Recheck, over all loops.</summary>
    public double TotalRowsRemoved =>
        ((RowsRemovedByFilter ?? 0) + (RowsRemovedByJoinFilter ?? 0) + (RowsRemovedByIndexRecheck ?? 0)) * (ActualLoops ?? 0);

    public bool IsSubplan => ParentRelationship is "InitPlan" or "SubPlan";

    /// <summary>This node and all below it, parent before children, children in plan order.</summary>
    public IEnumerable<PlanNode> DescendantsAndSelf()
    {
        yield return this;
        foreach (var c in Children)
        {
            foreach (var d in c.DescendantsAndSelf())
            {
                yield return d;
            }
        }
    }

    /// <summary>The first expression called <paramref name="name"/> (e.g. "Filter"), or null.</summary>
    public string? Condition(string name)
    {
        foreach (var (k, v) in Conditions)
        {
            if (k == name)
            {
                return v;
            }
        }

        return null;
    }
}
