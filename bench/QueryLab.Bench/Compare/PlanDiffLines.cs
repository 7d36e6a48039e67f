using QueryLab.Bench.Plans;

namespace QueryLab.Bench.Compare;

/// <summary>What changed between two plan shapes, in <see cref="PlanShape.Diff(PlanNode, PlanNode)"/>'s words.</summary>
public static class PlanDiffLines
{
    public static IReadOnlyList<string> Between(string baselineShape, string candidateShape)
    {
        ArgumentNullException.ThrowIfNull(baselineShape);
        ArgumentNullException.ThrowIfNull(candidateShape);
        if (ShapeTextParser.Parse(baselineShape) is { } before && ShapeTextParser.Parse(candidateShape) is { } after)
        {
            var lines = PlanShape.Diff(before, after);
            if (lines.Count > 0)
            {
                return lines;
            }
        }

        return ByLine(baselineShape, candidateShape);
    }

    /// <summary>The fallback for a shape text the parser cannot rebuild: the nodes only one plan has.</summary>
    private static List<string> ByLine(string a, string b)
    {
        var xs = a.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var ys = b.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var removed = Except(xs, ys).Select(l => "removed " + l);
        var added = Except(ys, xs).Select(l => "added " + l);
        var lines = removed.Concat(added).ToList();
        return lines.Count > 0 ? lines : ["the nodes are the same but their nesting changed"];
    }

    /// <summary>Multiset difference, in order.</summary>
    private static IEnumerable<string> Except(List<string> xs, List<string> ys)
    {
        var left = ys.GroupBy(y => y, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        foreach (var x in xs)
        {
            if (left.TryGetValue(x, out var n) && n > 0)
            {
                left[x] = n - 1;
            }
            else
            {
                yield return x;
            }
        }
    }
}
