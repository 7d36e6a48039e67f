using System.Security.Cryptography;
using System.Text;

namespace QueryLab.Bench.Plans;

/// <summary>
/// A plan's shape: what PostgreSQL chose to do, without how long it took or how many rows it saw.
/// One line per node, indented two spaces per level, children in plan order:
/// <c>[Parallel ][Partial |Finalize ]NodeType[ Backward][ using index][ on relation|cte|function]</c>,
/// followed by <c>  [Inner]</c> or <c>  [Subquery]</c> for those parent relationships and by
/// <c>  [CTE x]</c> / <c>  [InitPlan 1 (returns $0)]</c> / <c>  [SubPlan 2]</c> for subplans.
/// Outer and Member are implied by the parent and the order, so they are not written.
/// Costs, rows, times, buffers, workers, sort and hash memory, aliases and expressions (with their
/// constants) are left out: two runs of one query with different parameter values have one shape
/// as long as PostgreSQL picks the same plan.
/// </summary>
public static class PlanShape
{
    public static string Text(PlanNode root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var b = new StringBuilder();
        Append(b, root, 0);
        return b.ToString();
    }

    /// <summary>First 16 lowercase hex digits of SHA-256 over the UTF-8 of <paramref name="shapeText"/>.</summary>
    public static string Hash(string shapeText)
    {
        ArgumentNullException.ThrowIfNull(shapeText);
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(shapeText));
        return Convert.ToHexStringLower(digest)[..16];
    }

    public static string Hash(PlanNode root) => Hash(Text(root));

    /// <summary>One node's line, without indentation.</summary>
    public static string Line(PlanNode n)
    {
        ArgumentNullException.ThrowIfNull(n);
        var tag = n.SubplanName ?? (n.ParentRelationship is "Inner" or "Subquery" ? n.ParentRelationship : null);
        return tag is null ? n.Label : n.Label + "  [" + tag + "]";
    }

    /// <summary>What changed from plan <paramref name="before"/> to plan <paramref name="after"/>, one human line each; empty when the shapes are equal.</summary>
    public static IReadOnlyList<string> Diff(PlanAnalysis before, PlanAnalysis after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        return Diff(before.Root, after.Root);
    }

    /// <inheritdoc cref="Diff(PlanAnalysis, PlanAnalysis)"/>
    public static IReadOnlyList<string> Diff(PlanNode before, PlanNode after) => PlanShapeDiff.Compare(before, after);

    private static void Append(StringBuilder b, PlanNode n, int depth)
    {
        b.Append(' ', depth * 2).Append(Line(n)).Append('\n');
        foreach (var c in n.Children)
        {
            Append(b, c, depth + 1);
        }
    }
}
