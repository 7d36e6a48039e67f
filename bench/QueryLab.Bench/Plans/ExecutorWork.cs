namespace QueryLab.Bench.Plans;

/// <summary>WAL as EXPLAIN's WAL option reports it: records, full-page images among them, and bytes (the images' included).</summary>
public sealed record PlanWal(long Records, long FullPageImages, long Bytes);

/// <summary>
/// What the executor did for one statement, read from its executed plan: counters that, unlike time, do not move with
/// the machine, so <c>compare</c> gates them like buffers.
/// <list type="bullet">
/// <item><see cref="RowsProcessed"/>: Σ over every node of actual rows × actual loops, the rows each node handed up,
/// subplans, InitPlans and CTEs included. A node that never ran has 0 loops and adds nothing. PostgreSQL reports rows as
/// a per-loop average (rounded to a whole row before 18), so a node looped many times counts as rows × loops of that
/// average. Under a Gather the loops are the processes that ran the node: the product is their total, but how the rows
/// were split between the leader and the workers, and how many workers started, varies from run to run, so a parallel
/// plan's count is not exactly reproducible (<see cref="Parallel"/>).</item>
/// <item><see cref="TempBlocks"/>: temp blocks read + written, the top node's count, which already includes every node below it.</item>
/// <item><see cref="Wal"/>: the top node's WAL (again cumulative); null when the plan was explained without the WAL option.</item>
/// </list>
/// Triggers that run after the statement (foreign-key checks) are outside the plan's nodes and not counted.
/// </summary>
public sealed record ExecutorWork(long RowsProcessed, bool Parallel, bool Writes, long TempBlocks, PlanWal? Wal)
{
    public static ExecutorWork Of(PlanNode root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var nodes = root.DescendantsAndSelf().ToList();
        return new(
            (long)Math.Round(nodes.Sum(n => n.TotalActualRows)),
            nodes.Any(n => n.WorkersPlanned is > 0),
            nodes.Any(n => n.NodeType == "ModifyTable"),
            root.Buffers.Temp,
            root.Wal);
    }
}
