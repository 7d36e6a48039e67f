using QueryLab.Bench.Findings;
using QueryLab.Bench.Plans;

namespace QueryLab.Bench.Advice;

/// <summary>A finding advise read in a statement's plan that no new index fixes, and what does.</summary>
/// <param name="Operation">scenario/variant; empty for a plan read on its own.</param>
/// <param name="Statement">The statement's number in the operation (1-based; 0 for a plan read on its own).</param>
public sealed record OtherRemedy(string Operation, int Statement, string Code, string NodePath, string Message, string Remedy);

/// <summary>
/// The findings on the scans advise looks at that an index cannot fix. Today one: a heap-fetching Index Only Scan
/// (<c>heap-fetches</c> at warning level, a tenth or more of its rows fetched from the heap). The index is already the
/// right one; its table's visibility map is out of date, so every index on it would be read the same way. The fix is
/// VACUUM (and autovacuum keeping up), so advise reports it and proposes no index. Pure.
/// </summary>
public static class NotAnIndex
{
    public static IReadOnlyList<OtherRemedy> For(PlanAnalysis plan, string operation = "", int statement = 0)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var found = new List<OtherRemedy>();
        foreach (var f in plan.Findings.Where(f => f.Code == FindingCodes.HeapFetches && f.Severity >= Severity.Warning))
        {
            var table = plan.Node(f.NodePath)?.RelationName ?? "the table";
            found.Add(new OtherRemedy(
                operation, statement, f.Code, f.NodePath, f.Message,
                $"VACUUM {table}: its visibility map is out of date, so the index-only scan checks the heap row by row; no index is proposed, "
                + "because a new one would be read through the same visibility map. If the table is written all the time, lower its "
                + "autovacuum_vacuum_scale_factor (autovacuum_vacuum_insert_scale_factor for rows only ever inserted, PostgreSQL 13+) so VACUUM keeps up"));
        }

        return found;
    }
}
