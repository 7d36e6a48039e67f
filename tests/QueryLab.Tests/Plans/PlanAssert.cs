using QueryLab.Bench.Plans;

namespace QueryLab.Tests.Plans;

/// <summary>Assertions the plan tests share.</summary>
public static class PlanAssert
{
    /// <summary>Exclusive times add up to the execution time (within timing noise), and none is negative or above its node's inclusive time.</summary>
    public static void TimesAddUp(PlanAnalysis a)
    {
        foreach (var n in a.Nodes)
        {
            Assert.True(n.ExclusiveTime >= 0, $"{n.Path} {n.Label}: negative exclusive time");
            Assert.True(n.ExclusiveTime <= n.InclusiveTime + 1e-6, $"{n.Path} {n.Label}: exclusive {n.ExclusiveTime} above inclusive {n.InclusiveTime}");
        }

        var sum = a.Nodes.Sum(n => n.ExclusiveTime);
        var tolerance = Math.Max(1.0, a.ExecutionTime * 0.10);
        Assert.True(Math.Abs(sum - a.ExecutionTime) <= tolerance, $"exclusive times add up to {sum:F3} ms, execution took {a.ExecutionTime:F3} ms\n{PlanText.Render(a)}");
    }

    public static PlanFinding Single(PlanAnalysis a, string code, PlanNode at)
    {
        var found = a.Findings.Where(f => f.Code == code && f.NodePath == at.Path).ToList();
        Assert.True(found.Count == 1, $"expected one {code} at {at.Path} {at.Label}; findings:\n{PlanText.Render(a)}");
        return found[0];
    }

    public static void None(PlanAnalysis a, string code)
    {
        Assert.True(a.Findings.All(f => f.Code != code), $"expected no {code}; got:\n{PlanText.Render(a)}");
    }

    public static PlanNode One(PlanAnalysis a, Func<PlanNode, bool> which, string what)
    {
        var nodes = a.Nodes.Where(which).ToList();
        Assert.True(nodes.Count == 1, $"expected one {what}, found {nodes.Count}:\n{a.ShapeText}");
        return nodes[0];
    }
}
