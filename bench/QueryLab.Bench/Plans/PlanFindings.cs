using QueryLab.Bench.Findings;

namespace QueryLab.Bench.Plans;

/// <summary>Every finding of a plan, most severe first, then in plan order (statement-wide ones first), then in the registry's order.</summary>
internal static class PlanFindings
{
    public static IReadOnlyList<PlanFinding> For(PlanAnalysis a, FindingThresholds t)
    {
        var order = a.Nodes.Select((n, i) => (n.Path, i)).ToDictionary(x => x.Path, x => x.i);
        return NodeFindings.For(a.Root, t)
            .Concat(StatementFindings.For(a, t))
            .OrderByDescending(f => f.Severity)
            .ThenBy(f => order.GetValueOrDefault(f.NodePath, -1))
            .ThenBy(f => FindingCodes.Rank(f.Code))
            .ToList();
    }
}
