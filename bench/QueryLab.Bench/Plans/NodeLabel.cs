using System.Text;

namespace QueryLab.Bench.Plans;

/// <summary>
/// A node's name as EXPLAIN's text format writes it ("Parallel Seq Scan on t", "Hash Left Join",
/// "Index Scan Backward using t_pkey on t", "HashAggregate", "Insert on t"), built from the JSON fields.
/// <see cref="Of"/> has no numbers and no alias, so it is part of the plan's shape.
/// </summary>
public static class NodeLabel
{
    public static string Of(PlanNode n)
    {
        var b = new StringBuilder();
        if (n.ParallelAware)
        {
            b.Append("Parallel ");
        }

        if (n.PartialMode is "Partial" or "Finalize")
        {
            b.Append(n.PartialMode).Append(' ');
        }

        b.Append(Name(n));
        if (n.ScanDirection == "Backward")
        {
            b.Append(" Backward");
        }

        switch (n.NodeType)
        {
            case "Bitmap Index Scan":
                AppendOn(b, n.IndexName);
                break;
            case "CTE Scan" or "WorkTable Scan":
                AppendOn(b, n.CteName);
                break;
            case "Function Scan" when n.RelationName is null:
                AppendOn(b, n.FunctionName);
                break;
            default:
                if (n.IndexName is not null)
                {
                    b.Append(" using ").Append(n.IndexName);
                }

                AppendOn(b, n.RelationName);
                break;
        }

        return b.ToString();
    }

    /// <summary><see cref="Of"/> with the alias EXPLAIN shows after the relation, and the alias of a Subquery Scan.</summary>
    public static string Display(PlanNode n)
    {
        var label = Of(n);
        if (n.Alias is null)
        {
            return label;
        }

        var named = n.RelationName ?? n.CteName ?? n.FunctionName;
        if (named is null)
        {
            return n.NodeType is "Subquery Scan" or "Values Scan" or "Table Function Scan" or "Named Tuplestore Scan"
                ? label + " on " + n.Alias
                : label;
        }

        return n.Alias == named ? label : label + " " + n.Alias;
    }

    private static void AppendOn(StringBuilder b, string? what)
    {
        if (what is not null)
        {
            b.Append(" on ").Append(what);
        }
    }

    private static string Name(PlanNode n) => n.NodeType switch
    {
        "Aggregate" => n.Strategy switch
        {
            "Sorted" => "GroupAggregate",
            "Hashed" => "HashAggregate",
            "Mixed" => "MixedAggregate",
            _ => "Aggregate",
        },
        "SetOp" => n.Strategy == "Hashed" ? "HashSetOp" : "SetOp",
        "ModifyTable" => n.Operation ?? "ModifyTable",
        "Nested Loop" when IsOuterJoin(n) => "Nested Loop " + n.JoinType + " Join",
        "Hash Join" or "Merge Join" when IsOuterJoin(n) => n.NodeType[..^" Join".Length] + " " + n.JoinType + " Join",
        _ => n.NodeType,
    };

    private static bool IsOuterJoin(PlanNode n) => n.JoinType is not null && n.JoinType != "Inner";
}
