using System.Globalization;

namespace QueryLab.Bench.Plans;

/// <summary>
/// Walks two plan trees side by side and says what changed in words a reviewer reads: a scan or index
/// replaced, a join strategy or type changed, a node added above or removed from above another, children
/// added or removed. Children are paired by their shape lines (longest common subsequence) and the
/// leftovers between two matched children are paired in order.
/// </summary>
internal sealed class PlanShapeDiff
{
    private static readonly string[] JoinTypes = ["Nested Loop", "Hash Join", "Merge Join"];

    private readonly List<string> _lines = [];

    public static IReadOnlyList<string> Compare(PlanNode before, PlanNode after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var d = new PlanShapeDiff();
        d.Node(before, after, null);
        return d._lines;
    }

    private void Node(PlanNode a, PlanNode b, PlanNode? parent)
    {
        if (PlanShape.Line(a) == PlanShape.Line(b))
        {
            Children(a, b);
            return;
        }

        if (!Similar(a, b))
        {
            if (OnlyChild(b) is { } inner && Similar(a, inner))
            {
                _lines.Add($"added {b.Label} above {a.Label}{Where(parent)}");
                Node(a, inner, b);
                return;
            }

            if (OnlyChild(a) is { } innerA && Similar(innerA, b))
            {
                _lines.Add($"removed {a.Label} from above {b.Label}{Where(parent)}");
                Node(innerA, b, parent);
                return;
            }
        }

        _lines.Add(Replaced(a, b) + Where(parent));
        Children(a, b);
    }

    private void Children(PlanNode a, PlanNode b)
    {
        var xs = a.Children;
        var ys = b.Children;
        if (xs.Count == ys.Count)
        {
            for (var i = 0; i < xs.Count; i++)
            {
                Node(xs[i], ys[i], b);
            }

            return;
        }

        var matches = Lcs(xs, ys);
        int i0 = 0, j0 = 0;
        foreach (var (mi, mj) in matches.Append((xs.Count, ys.Count)))
        {
            // Between two anchors: pair in order, then the rest were removed or added.
            int i = i0, j = j0;
            for (; i < mi && j < mj; i++, j++)
            {
                Node(xs[i], ys[j], b);
            }

            for (; i < mi; i++)
            {
                _lines.Add($"removed {Subtree(xs[i])}{Where(b)}");
            }

            for (; j < mj; j++)
            {
                _lines.Add($"added {Subtree(ys[j])}{Where(b)}");
            }

            if (mi < xs.Count && mj < ys.Count)
            {
                Node(xs[mi], ys[mj], b);
            }

            i0 = mi + 1;
            j0 = mj + 1;
        }
    }

    private static string Replaced(PlanNode a, PlanNode b)
    {
        if (a.Label == b.Label)
        {
            return $"{a.Label} moved: {Tag(a)} → {Tag(b)}";
        }

        if (a.RelationName is not null && a.RelationName == b.RelationName)
        {
            return a.NodeType == b.NodeType && a.IndexName is not null && b.IndexName is not null && a.IndexName != b.IndexName
                ? $"index changed on {a.RelationName}: {a.IndexName} → {b.IndexName} ({a.Label} → {b.Label})"
                : $"scan changed: {a.Label} → {b.Label}";
        }

        if (IsJoin(a) && IsJoin(b))
        {
            return a.NodeType != b.NodeType
                ? $"join strategy changed: {a.Label} → {b.Label}"
                : $"join type changed: {a.Label} → {b.Label}";
        }

        if (a.NodeType == b.NodeType && a.NodeType is "Aggregate" or "SetOp")
        {
            return $"strategy changed: {a.Label} → {b.Label}";
        }

        return $"node replaced: {a.Label} → {b.Label}";
    }

    private static string Tag(PlanNode n) => n.SubplanName ?? n.ParentRelationship ?? "root";

    private static bool IsJoin(PlanNode n) => JoinTypes.Contains(n.NodeType);

    /// <summary>Same relation, same node type, or both joins: a replacement rather than an insertion.</summary>
    private static bool Similar(PlanNode a, PlanNode b) =>
        (a.RelationName is not null && a.RelationName == b.RelationName)
        || a.NodeType == b.NodeType
        || (IsJoin(a) && IsJoin(b));

    /// <summary>The single non-subplan child of a node that has exactly one, else null.</summary>
    private static PlanNode? OnlyChild(PlanNode n)
    {
        var plain = n.Children.Where(c => !c.IsSubplan).ToList();
        return plain.Count == 1 ? plain[0] : null;
    }

    private static string Subtree(PlanNode n)
    {
        var below = n.DescendantsAndSelf().Count() - 1;
        return below switch
        {
            0 => n.Label,
            1 => $"{n.Label} (and 1 node below it)",
            _ => $"{n.Label} (and {below.ToString(CultureInfo.InvariantCulture)} nodes below it)",
        };
    }

    private static string Where(PlanNode? parent) => parent is null ? " (at the root)" : $" (under {parent.Label})";

    /// <summary>Index pairs of the longest common subsequence of the children's shape lines.</summary>
    private static List<(int, int)> Lcs(IReadOnlyList<PlanNode> xs, IReadOnlyList<PlanNode> ys)
    {
        var len = new int[xs.Count + 1, ys.Count + 1];
        for (var i = xs.Count - 1; i >= 0; i--)
        {
            for (var j = ys.Count - 1; j >= 0; j--)
            {
                len[i, j] = PlanShape.Line(xs[i]) == PlanShape.Line(ys[j]) ? len[i + 1, j + 1] + 1 : Math.Max(len[i + 1, j], len[i, j + 1]);
            }
        }

        var pairs = new List<(int, int)>();
        for (int i = 0, j = 0; i < xs.Count && j < ys.Count;)
        {
            if (PlanShape.Line(xs[i]) == PlanShape.Line(ys[j]))
            {
                pairs.Add((i++, j++));
            }
            else if (len[i + 1, j] >= len[i, j + 1])
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return pairs;
    }
}
