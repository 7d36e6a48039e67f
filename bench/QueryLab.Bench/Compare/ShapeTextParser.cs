using System.Text.RegularExpressions;
using QueryLab.Bench.Plans;

namespace QueryLab.Bench.Compare;

/// <summary>
/// Turns a plan's shape text (results.json keeps it; <see cref="PlanShape.Text"/> wrote it) back into a tree
/// of <see cref="PlanNode"/>s carrying just what the shape holds, so <see cref="PlanShape.Diff(PlanNode, PlanNode)"/>
/// can say what changed without the plan JSON files. A text it cannot rebuild exactly gives null.
/// </summary>
public static partial class ShapeTextParser
{
    private const string TagOpen = "  [";

    public static PlanNode? Parse(string shapeText)
    {
        ArgumentNullException.ThrowIfNull(shapeText);
        var lines = shapeText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length == 0)
        {
            return null;
        }

        var pos = 0;
        var root = Node(lines, ref pos, 0);
        if (root is null || pos != lines.Length)
        {
            return null;
        }

        // Only a tree that writes back to the very same text is trusted.
        return PlanShape.Text(root) == Normalise(shapeText) ? root : null;
    }

    private static string Normalise(string shapeText) => shapeText.EndsWith('\n') ? shapeText : shapeText + "\n";

    private static PlanNode? Node(string[] lines, ref int pos, int depth)
    {
        var line = lines[pos];
        if (Indent(line) != depth * 2)
        {
            return null;
        }

        pos++;
        var node = FromLine(line.Trim());
        var children = new List<PlanNode>();
        while (pos < lines.Length && Indent(lines[pos]) > depth * 2)
        {
            var child = Node(lines, ref pos, depth + 1);
            if (child is null)
            {
                return null;
            }

            children.Add(child);
        }

        return node with { Children = children };
    }

    private static int Indent(string line) => line.Length - line.TrimStart(' ').Length;

    /// <summary>One line: <c>[Parallel ][Partial |Finalize ]Name[ Backward][ using index][ on target][  [tag]]</c>.</summary>
    private static PlanNode FromLine(string line)
    {
        string? tag = null;
        var t = line.LastIndexOf(TagOpen, StringComparison.Ordinal);
        if (t > 0 && line.EndsWith(']'))
        {
            tag = line[(t + TagOpen.Length)..^1];
            line = line[..t];
        }

        var parallel = Strip(ref line, "Parallel ");
        string? partial = Strip(ref line, "Partial ") ? "Partial" : Strip(ref line, "Finalize ") ? "Finalize" : null;

        string? index = null;
        string? target = null;
        var u = line.IndexOf(" using ", StringComparison.Ordinal);
        if (u >= 0)
        {
            index = line[(u + " using ".Length)..];
            line = line[..u];
            var o = index.IndexOf(" on ", StringComparison.Ordinal);
            if (o >= 0)
            {
                target = index[(o + " on ".Length)..];
                index = index[..o];
            }
        }
        else
        {
            var o = line.IndexOf(" on ", StringComparison.Ordinal);
            if (o >= 0)
            {
                target = line[(o + " on ".Length)..];
                line = line[..o];
            }
        }

        var backward = line.EndsWith(" Backward", StringComparison.Ordinal);
        if (backward)
        {
            line = line[..^" Backward".Length];
        }

        var node = Named(line) with
        {
            ParallelAware = parallel,
            PartialMode = partial,
            ScanDirection = backward ? "Backward" : null,
            IndexName = index,
        };
        node = node.NodeType switch
        {
            "Bitmap Index Scan" => node with { IndexName = target },
            "CTE Scan" or "WorkTable Scan" => node with { CteName = target },
            "Function Scan" => node with { FunctionName = target },
            _ => node with { RelationName = target },
        };

        return tag switch
        {
            null => node,
            "Inner" or "Subquery" => node with { ParentRelationship = tag },
            _ when tag.StartsWith("SubPlan", StringComparison.Ordinal) => node with { SubplanName = tag, ParentRelationship = "SubPlan" },
            _ => node with { SubplanName = tag, ParentRelationship = "InitPlan" },
        };
    }

    private static bool Strip(ref string line, string prefix)
    {
        if (!line.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        line = line[prefix.Length..];
        return true;
    }

    /// <summary>The inverse of NodeLabel's naming: GroupAggregate is an Aggregate with the Sorted strategy, and so on.</summary>
    private static PlanNode Named(string name)
    {
        if (JoinName().Match(name) is { Success: true } j)
        {
            var type = j.Groups[1].Value == "Nested Loop" ? "Nested Loop" : j.Groups[1].Value + " Join";
            return new PlanNode { NodeType = type, JoinType = j.Groups[2].Value };
        }

        return name switch
        {
            "GroupAggregate" => new PlanNode { NodeType = "Aggregate", Strategy = "Sorted" },
            "HashAggregate" => new PlanNode { NodeType = "Aggregate", Strategy = "Hashed" },
            "MixedAggregate" => new PlanNode { NodeType = "Aggregate", Strategy = "Mixed" },
            "HashSetOp" => new PlanNode { NodeType = "SetOp", Strategy = "Hashed" },
            "Insert" or "Update" or "Delete" or "Merge" => new PlanNode { NodeType = "ModifyTable", Operation = name },
            _ => new PlanNode { NodeType = name },
        };
    }

    [GeneratedRegex("^(Nested Loop|Hash|Merge) (Left|Full|Right|Semi|Anti|Right Anti|Right Semi) Join$", RegexOptions.CultureInvariant)]
    private static partial Regex JoinName();
}
