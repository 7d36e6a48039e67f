namespace QueryLab.Bench.Plans;

/// <summary>How a Sort (or one group kind of an Incremental Sort, or one parallel worker's sort) ran.</summary>
/// <param name="Method">quicksort, top-N heapsort, external sort, external merge.</param>
/// <param name="SpaceUsedKb">Memory or disk used, in kB.</param>
/// <param name="SpaceType">Memory or Disk.</param>
/// <param name="Worker">The parallel worker number, or null for the node itself (the leader, or all of it).</param>
public sealed record SortInfo(string? Method, long SpaceUsedKb, string? SpaceType, int? Worker = null)
{
    /// <summary>True when the sort did not fit in work_mem and went to temporary files.</summary>
    public bool Spilled =>
        string.Equals(SpaceType, "Disk", StringComparison.OrdinalIgnoreCase)
        || (Method?.StartsWith("external", StringComparison.OrdinalIgnoreCase) ?? false);
}

/// <summary>
/// A Hash node's table, or a HashAggregate's: batches above one mean the table did not fit in
/// work_mem × hash_mem_multiplier and was split into batches written to temporary files.
/// </summary>
/// <param name="Batches">Hash Batches (Hash) or HashAgg Batches (HashAggregate).</param>
/// <param name="OriginalBatches">The batches the planner sized the table for (Hash only; null for HashAggregate).</param>
/// <param name="PeakMemoryKb">Peak Memory Usage, kB.</param>
/// <param name="DiskUsageKb">Disk Usage, kB (HashAggregate only).</param>
public sealed record HashInfo(long? Buckets, long? OriginalBuckets, long Batches, long? OriginalBatches, long? PeakMemoryKb, long? DiskUsageKb)
{
    public bool Spilled => Batches > 1 || DiskUsageKb > 0;
}

/// <summary>One trigger's share of the statement (its time is inside Execution Time but in no plan node).</summary>
public sealed record TriggerTime(string Name, string? Relation, double TimeMs, long Calls);

/// <summary>What JIT compilation cost the statement.</summary>
public sealed record JitSummary(int Functions, double TotalMs, double? GenerationMs, double? InliningMs, double? OptimizationMs, double? EmissionMs);
