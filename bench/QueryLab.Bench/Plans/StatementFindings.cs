using QueryLab.Bench.Findings;
using QueryLab.Bench.Reports;

namespace QueryLab.Bench.Plans;

/// <summary>The findings about the statement as a whole (JIT, planning, cache) and its hot nodes. Thresholds in FINDINGS.md.</summary>
internal static class StatementFindings
{
    public static IEnumerable<PlanFinding> For(PlanAnalysis a, FindingThresholds t)
    {
        if (Jit(a, t) is { } jit)
        {
            yield return jit;
        }

        if (Planning(a, t) is { } planning)
        {
            yield return planning;
        }

        if (Cache(a, t) is { } cache)
        {
            yield return cache;
        }

        foreach (var hot in a.Nodes.Where(n => n.ExecutionShare > t.HotNodeShare))
        {
            yield return new PlanFinding(
                Severity.Info,
                FindingCodes.HotNode,
                hot.Path,
                $"{hot.DisplayLabel} is {Units.Percent(hot.ExecutionShare)} of execution time ({Units.Ms(hot.ExclusiveTime)} of its own)",
                "Start here: " + HotNodeHint(hot));
        }
    }

    private static PlanFinding? Jit(PlanAnalysis a, FindingThresholds t)
    {
        if (a.Jit is not { } jit || jit.TotalMs < t.JitMinMs || a.ExecutionTime <= 0 || jit.TotalMs / a.ExecutionTime <= t.JitMinShare)
        {
            return null;
        }

        var phases = string.Join(", ", new[] { ("generation", jit.GenerationMs), ("inlining", jit.InliningMs), ("optimization", jit.OptimizationMs), ("emission", jit.EmissionMs) }
            .Where(p => p.Item2 is not null)
            .Select(p => $"{p.Item1} {Units.Ms(p.Item2!.Value)}"));
        return new PlanFinding(
            Severity.Warning,
            FindingCodes.JitShare,
            "",
            $"JIT took {Units.Ms(jit.TotalMs)} of {Units.Ms(a.ExecutionTime)} execution ({Units.Percent(Math.Min(1, jit.TotalMs / a.ExecutionTime))}) compiling {Units.Count(jit.Functions)} functions" + (phases.Length > 0 ? $" ({phases})" : ""),
            FindingCodes.Of(FindingCodes.JitShare).Fix);
    }

    private static PlanFinding? Planning(PlanAnalysis a, FindingThresholds t)
    {
        if (a.PlanningTime <= 0 || a.PlanningTime <= a.ExecutionTime)
        {
            return null;
        }

        return new PlanFinding(
            a.PlanningTime >= t.PlanningWarningMs ? Severity.Warning : Severity.Info,
            FindingCodes.PlanningShare,
            "",
            $"Planning took {Units.Ms(a.PlanningTime)}, longer than execution ({Units.Ms(a.ExecutionTime)})",
            FindingCodes.Of(FindingCodes.PlanningShare).Fix);
    }

    private static PlanFinding? Cache(PlanAnalysis a, FindingThresholds t)
    {
        var b = a.Buffers;
        if (b.HitRate is not { } rate || rate >= t.CacheMinHitRate || b.SharedRead < t.CacheMinReadBlocks)
        {
            return null;
        }

        return new PlanFinding(
            Severity.Info,
            FindingCodes.CacheMisses,
            "",
            $"{Units.Count(b.SharedHit)} of {Units.Count(b.SharedTouched)} shared blocks were in cache ({Units.Percent(rate)}); {Units.Count(b.SharedRead)} ({Units.KiB(b.SharedRead * 8)}) were read from disk or the OS cache",
            FindingCodes.Of(FindingCodes.CacheMisses).Fix);
    }

    private static string HotNodeHint(PlanNode n) => n.NodeType switch
    {
        "Seq Scan" => "this scan is where the time goes; an index on its filter columns, or reading fewer rows",
        "Sort" or "Incremental Sort" => "this sort is where the time goes; an index that returns rows in order avoids it",
        "Nested Loop" => "this loop is where the time goes; check how often its inner side runs (an index on the join key, or a hash join for many rows)",
        "Hash Join" or "Hash" or "Merge Join" => "this join is where the time goes; join fewer rows (filter first) and check its estimates",
        "Gather" or "Gather Merge" => "time of its own in a Gather is starting workers and passing rows between processes; for a short query fewer workers or a plan without them may be faster",
        "Aggregate" => "this aggregate is where the time goes; aggregate fewer rows (filter first) or keep the totals (a materialized view)",
        _ => "this node is where the time goes; see its other findings",
    };
}
