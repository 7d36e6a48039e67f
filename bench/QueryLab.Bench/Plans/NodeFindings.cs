using System.Text.RegularExpressions;
using QueryLab.Bench.Findings;
using QueryLab.Bench.Reports;

namespace QueryLab.Bench.Plans;

/// <summary>The findings about single nodes: estimates, scans, filters, spills, parallel workers. Thresholds in FINDINGS.md.</summary>
internal static partial class NodeFindings
{
    private const double Eps = 1e-9;

    public static IEnumerable<PlanFinding> For(PlanNode root, FindingThresholds t)
    {
        var findings = new List<PlanFinding>();
        Walk(root, stopsEarly: false, t, findings);
        return findings;
    }

    private static void Walk(PlanNode n, bool stopsEarly, FindingThresholds t, List<PlanFinding> into)
    {
        if (n.Executed)
        {
            var seqScan = SeqScan(n, t);
            var lossy = LossyBitmap(n);
            Add(into, RowEstimate(n, stopsEarly, t), seqScan, RowsRemoved(n, seqScan is not null, lossy is not null, t), HeapFetches(n, t), SortSpill(n), HashSpill(n), lossy);
        }

        Add(into, WorkersNotLaunched(n));
        foreach (var c in n.Children)
        {
            Walk(c, stopsEarly || MayStopEarly(n, c), t, into);
        }
    }

    /// <summary>
    /// Nodes whose consumer may stop reading before they are done (below a Limit, either side of a Merge Join,
    /// the inner side of a semi or anti join, inside a subplan such as EXISTS): fewer rows than planned is
    /// expected there, so over-estimates are not reported.
    /// </summary>
    private static bool MayStopEarly(PlanNode parent, PlanNode child) =>
        parent.NodeType is "Limit" or "Merge Join"
        || (parent.JoinType is "Semi" or "Anti" && child.ParentRelationship == "Inner")
        || child.IsSubplan;

    private static void Add(List<PlanFinding> into, params PlanFinding?[] found) => into.AddRange(found.OfType<PlanFinding>());

    private static PlanFinding? RowEstimate(PlanNode n, bool stopsEarly, FindingThresholds t)
    {
        if (n.RowEstimate is not { } e || n.NodeType == "ModifyTable" || e.Factor < t.EstimateInfoFactor
            || (e.ActualPerLoop < t.EstimateMinRows && e.PlannedPerLoop < t.EstimateMinRows)
            || (e.Direction == EstimateDirection.Over && stopsEarly))
        {
            return null;
        }

        // Report where the error starts, not every node above it that inherits it.
        if (n.Children.Any(c => !c.IsSubplan && c.RowEstimate is { } ce && ce.Direction == e.Direction && ce.Factor * 2 >= e.Factor))
        {
            return null;
        }

        var severity = e.Factor >= t.EstimateCriticalFactor ? Severity.Critical : e.Factor >= t.EstimateWarningFactor ? Severity.Warning : Severity.Info;
        var loops = n.ActualLoops > 1 ? $" × {Units.Count(n.ActualLoops.Value)} loops" : "";
        var way = e.Direction == EstimateDirection.Under ? "under-estimate" : "over-estimate";
        var message = $"{n.DisplayLabel}: {Units.Count(e.ActualPerLoop)} rows per loop{loops}, planned {Units.Count(e.PlannedPerLoop)} ({Units.Factor(e.Factor)} {way})";
        return new PlanFinding(severity, FindingCodes.RowEstimate, n.Path, message, EstimateFix(n));
    }

    private static string EstimateFix(PlanNode n) => n switch
    {
        _ when n.Conditions.Any(c => UnknownValue().IsMatch(c.Value)) => "The value compared was not known when planning (a subquery's result or a generic plan's parameter), so defaults were used: run the subquery first and pass its value, or SET plan_cache_mode = force_custom_plan",
        { RelationName: { } rel } => $"ANALYZE {rel}; if the filter's columns are correlated, CREATE STATISTICS (dependencies, mcv) on them; for skewed values raise their statistics target",
        { NodeType: "CTE Scan" or "Subquery Scan" or "Function Scan" } => "PostgreSQL keeps no statistics on this intermediate result: inline the CTE or subquery (NOT MATERIALIZED) so the planner sees the base tables, or split the query and ANALYZE a temporary table",
        { NodeType: "Nested Loop" or "Hash Join" or "Merge Join" } => "ANALYZE the joined tables; add extended statistics (CREATE STATISTICS … (dependencies, mcv)) on correlated filter or join columns — the joins above were chosen for the wrong row count",
        { NodeType: "Aggregate" or "Unique" or "SetOp" } => "ANALYZE the tables below; CREATE STATISTICS … (ndistinct) on the GROUP BY columns so the number of groups is known",
        _ => "ANALYZE the tables below it, and add extended statistics (CREATE STATISTICS) on correlated columns; the plan above this node was chosen for the wrong row count",
    };

    private static PlanFinding? SeqScan(PlanNode n, FindingThresholds t)
    {
        if (n.NodeType != "Seq Scan" || n.Condition("Filter") is not { } filter)
        {
            return null;
        }

        var kept = n.TotalActualRows;
        var read = kept + (n.RowsRemovedByFilter ?? 0) * (n.ActualLoops ?? 0);
        if (read < t.SeqScanMinRows || kept / read >= t.SeqScanMaxKeptShare)
        {
            return null;
        }

        var severity = n.ExecutionShare >= t.CriticalWhenHotShare ? Severity.Critical : Severity.Warning;
        return new PlanFinding(
            severity,
            FindingCodes.SeqScanLargeTable,
            n.Path,
            $"{n.DisplayLabel} read {Units.Count(read)} rows to keep {Units.Count(kept)} ({Units.Percent(kept / read)}); Filter: {filter}",
            $"Add an index on {n.RelationName} for the filter's columns (a partial index if it tests a constant) so only matching rows are read");
    }

    private static PlanFinding? RowsRemoved(PlanNode n, bool seqScanReported, bool lossyReported, FindingThresholds t)
    {
        var loops = n.ActualLoops ?? 0;
        var parts = new List<(string Kind, double Removed)>
        {
            ("Filter", seqScanReported ? 0 : (n.RowsRemovedByFilter ?? 0) * loops),
            ("Join Filter", (n.RowsRemovedByJoinFilter ?? 0) * loops),
            ("Index Recheck", lossyReported ? 0 : (n.RowsRemovedByIndexRecheck ?? 0) * loops),
        };
        var removed = parts.Sum(p => p.Removed);
        var read = n.TotalActualRows + removed;
        if (removed <= 0 || read < t.FilterMinRowsRead)
        {
            return null;
        }

        var share = removed / read;
        if (share <= t.FilterInfoShare)
        {
            return null;
        }

        var severity = share <= t.FilterWarningShare ? Severity.Info : n.ExecutionShare >= t.CriticalWhenHotShare ? Severity.Critical : Severity.Warning;
        var main = parts.MaxBy(p => p.Removed).Kind;
        var expression = main switch
        {
            "Filter" => n.Condition("Filter"),
            "Join Filter" => n.Condition("Join Filter"),
            _ => n.Condition("Recheck Cond") ?? n.Condition("Index Cond"),
        };
        var fix = main switch
        {
            "Join Filter" => "Make the condition one the join can use (an equality, or a column the inner side's index covers), or filter before joining: rows are joined and then thrown away",
            "Index Recheck" => "Raise work_mem so the bitmap stays exact, or use an index that answers the condition exactly instead of by approximation",
            _ when n.IndexName is not null => $"Add the filter's columns to the index (or use a partial index) so rows of {n.RelationName} are rejected in the index, not after reading them",
            _ when n.RelationName is not null => $"Index {n.RelationName} on the filter's columns so the rows thrown away are never read",
            _ => "Filter earlier: push the condition into the part of the query that produces these rows",
        };
        return new PlanFinding(
            severity,
            FindingCodes.RowsRemovedByFilter,
            n.Path,
            $"{n.DisplayLabel}: {main} removed {Units.Count(removed)} of {Units.Count(read)} rows read ({Units.Percent(share)})" + (expression is null ? "" : $"; {main}: {expression}"),
            fix);
    }

    private static PlanFinding? HeapFetches(PlanNode n, FindingThresholds t)
    {
        if (n.NodeType != "Index Only Scan" || n.HeapFetches is not > 0)
        {
            return null;
        }

        var fetches = n.HeapFetches.Value;
        var share = fetches / Math.Max(1, n.TotalActualRows);
        return new PlanFinding(
            share + Eps >= t.HeapFetchWarningShare ? Severity.Warning : Severity.Info,
            FindingCodes.HeapFetches,
            n.Path,
            $"{n.DisplayLabel} went to the heap {Units.Count(fetches)} times for {Units.Count(n.TotalActualRows)} rows ({Units.Percent(Math.Min(1, share))}): their pages are not marked all-visible",
            $"VACUUM {n.RelationName} (and tune autovacuum for it) so the visibility map lets the index answer alone");
    }

    private static PlanFinding? SortSpill(PlanNode n)
    {
        var spilled = new[] { n.Sort }.Concat(n.WorkerSorts).OfType<SortInfo>().Where(s => s.Spilled).ToList();
        if (spilled.Count == 0)
        {
            return null;
        }

        var disk = spilled.Sum(s => s.SpaceUsedKb);
        var method = spilled[0].Method ?? "external sort";
        var who = spilled.Count == 1 ? "" : $" in {spilled.Count} processes";
        return new PlanFinding(
            Severity.Warning,
            FindingCodes.SortSpill,
            n.Path,
            $"{n.DisplayLabel} spilled to disk{who}: {method}, {Units.KiB(disk)} written to temporary files",
            $"Raise work_mem for this query (SET LOCAL work_mem; in memory it needs roughly 2–3× the {Units.KiB(disk)} on disk), or sort fewer rows (filter first, or an index that returns them in order)");
    }

    private static PlanFinding? HashSpill(PlanNode n)
    {
        if (n.Hash is not { Spilled: true } h)
        {
            return null;
        }

        var planned = h.OriginalBatches is { } o && o != h.Batches
            ? $" (planned {Units.Count(o)}: the planner expected fewer rows)"
            : h.OriginalBatches is { } same ? $" (planned {Units.Count(same)})" : "";
        var memory = h.PeakMemoryKb is { } peak ? $", peak memory {Units.KiB(peak)}" : "";
        var disk = h.DiskUsageKb is > 0 ? $", {Units.KiB(h.DiskUsageKb.Value)} on disk" : "";
        return new PlanFinding(
            Severity.Warning,
            FindingCodes.HashSpill,
            n.Path,
            $"{n.DisplayLabel} split its hash table into {Units.Count(h.Batches)} batches{planned}{memory}{disk}",
            FindingCodes.Of(FindingCodes.HashSpill).Fix);
    }

    private static PlanFinding? LossyBitmap(PlanNode n)
    {
        if (n.LossyHeapBlocks is not > 0)
        {
            return null;
        }

        var lossy = n.LossyHeapBlocks.Value;
        var total = lossy + (n.ExactHeapBlocks ?? 0);
        var rechecked = n.RowsRemovedByIndexRecheck is > 0 ? $", {Units.Count(n.RowsRemovedByIndexRecheck.Value * (n.ActualLoops ?? 1))} rows removed by the recheck" : "";
        return new PlanFinding(
            Severity.Warning,
            FindingCodes.LossyBitmap,
            n.Path,
            $"{n.DisplayLabel}: {Units.Count(lossy)} of {Units.Count(total)} heap blocks lossy, so every row on them was rechecked{rechecked}",
            FindingCodes.Of(FindingCodes.LossyBitmap).Fix);
    }

    private static PlanFinding? WorkersNotLaunched(PlanNode n)
    {
        if (n.WorkersPlanned is not { } planned || n.WorkersLaunched is not { } launched || launched >= planned)
        {
            return null;
        }

        return new PlanFinding(
            launched == 0 ? Severity.Warning : Severity.Info,
            FindingCodes.WorkersNotLaunched,
            n.Path,
            $"{n.DisplayLabel} planned {Units.Count(planned)} parallel workers and launched {Units.Count(launched)}",
            FindingCodes.Of(FindingCodes.WorkersNotLaunched).Fix);
    }

    /// <summary>$1 (a parameter, or an InitPlan's value up to PostgreSQL 16) or (InitPlan 1) (17+).</summary>
    [GeneratedRegex(@"\$\d+|\(InitPlan \d+\)")]
    private static partial Regex UnknownValue();
}
