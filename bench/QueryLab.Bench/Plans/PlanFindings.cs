namespace QueryLab.Bench.Plans;

/// <summary>Every finding of a plan, most severe first, then in plan order (statement-wide ones first).</summary>
internal static class PlanFindings
{
    public static IReadOnlyList<PlanFinding> For(PlanAnalysis a, FindingThresholds t)
    {
        var order = a.Nodes.Select((n, i) => (n.Path, i)).ToDictionary(x => x.Path, x => x.i);
        return NodeFindings.For(a.Root, t)
            .Concat(StatementFindings.For(a, t))
            .OrderByDescending(f => f.Severity)
            .ThenBy(f => order.GetValueOrDefault(f.NodePath, -1))
            .ThenBy(f => IndexOf(f.Code))
            .ToList();
    }

    private static int IndexOf(string code)
    {
        for (var i = 0; i < FindingCodes.All.Count; i++)
        {
            if (FindingCodes.All[i] == code)
            {
                return i;
            }
        }

        return int.MaxValue;
    }
}
