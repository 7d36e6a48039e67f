using QueryLab.Bench.Findings;
using QueryLab.Bench.Plans;

namespace QueryLab.Bench.Advice;

/// <summary>Why a candidate was proposed: the finding (or plan pattern) on a node of a statement's plan.</summary>
public sealed record CandidateSource(IndexCandidate Candidate, string Code, string NodePath, string Why);

/// <summary>
/// Proposes indexes from a plan itself, for the findings an index can fix: a large sequential scan keeping few rows
/// (<c>seq-scan-large-table</c>), a filter removing most of what a scan reads (<c>rows-removed-by-filter</c>: the inner
/// lookup of an N+1 is one, seen in the repeated statement's own plan), a sort feeding a LIMIT (<c>sort-feeding-limit</c>:
/// an index in the sort's order lets the scan stop early), and an index scan reading the heap for a few columns its index
/// lacks (<c>include-columns</c>, <see cref="IncludeColumns"/>: the same keys with those columns as INCLUDE). Key columns
/// are the scan's equality columns first, then its range columns, then the sort keys above it; a constant the statement
/// tests becomes a partial index's predicate. A heap-fetching Index Only Scan proposes nothing: no index fixes it
/// (<see cref="NotAnIndex"/> says what does). Pure: the same plan and SQL always give the same candidates.
/// </summary>
public static class CandidateFinder
{
    /// <summary>The code advise gives a sort that a LIMIT cuts short (not a plan finding of its own).</summary>
    public const string SortFeedingLimit = "sort-feeding-limit";

    /// <summary>A sort feeding a LIMIT is worth an index from this many sorted rows.</summary>
    public const double SortMinRows = 1_000;

    /// <summary>The most key columns a candidate gets.</summary>
    public const int MaxKeys = 5;

    public static IReadOnlyList<CandidateSource> For(PlanAnalysis plan, string? sql)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var parents = new Dictionary<string, PlanNode>(StringComparer.Ordinal);
        foreach (var n in plan.Nodes)
        {
            foreach (var c in n.Children)
            {
                parents[c.Path] = n;
            }
        }

        var found = new List<CandidateSource>();
        foreach (var f in plan.Findings.Where(f => f.Code is FindingCodes.SeqScanLargeTable or FindingCodes.RowsRemovedByFilter))
        {
            if (plan.Node(f.NodePath) is { RelationName: not null, } node && node.Condition("Filter") is not null
                && Candidate(node, parents, sql) is { } c)
            {
                found.Add(new CandidateSource(c, f.Code, f.NodePath, f.Message));
            }
        }

        foreach (var limit in plan.Nodes.Where(n => n.NodeType == "Limit" && n.Executed))
        {
            var sort = limit.Children.FirstOrDefault(c => !c.IsSubplan);
            if (sort is not { NodeType: "Sort" } || sort.Children.FirstOrDefault(c => !c.IsSubplan) is not { RelationName: not null } scan
                || scan.TotalActualRows < SortMinRows || limit.TotalActualRows * 10 > scan.TotalActualRows)
            {
                continue;
            }

            if (Candidate(scan, parents, sql) is { } c)
            {
                found.Add(new CandidateSource(
                    c, SortFeedingLimit, sort.Path,
                    $"{sort.DisplayLabel} sorted {Reports.Units.Count(scan.TotalActualRows)} rows of {scan.DisplayLabel} for a LIMIT that kept {Reports.Units.Count(limit.TotalActualRows)}"));
            }
        }

        foreach (var scan in plan.Nodes)
        {
            if (IncludeColumns.For(scan, parents, sql) is { } include)
            {
                found.Add(include);
            }
        }

        return found.DistinctBy(s => s.Candidate.ToString()).ToList();
    }

    private static readonly string[] ScanConditions = ["Index Cond", "Recheck Cond", "Filter"];

    /// <summary>
    /// The index that serves <paramref name="scan"/>'s conditions (by default its Index Cond, Recheck Cond and Filter; or
    /// only those named in <paramref name="conditions"/>) and the sort above it; null when none can.
    /// </summary>
    public static IndexCandidate? Candidate(PlanNode scan, IReadOnlyDictionary<string, PlanNode> parents, string? sql, IReadOnlyList<string>? conditions = null)
    {
        ArgumentNullException.ThrowIfNull(scan);
        ArgumentNullException.ThrowIfNull(parents);
        if (scan.RelationName is null)
        {
            return null;
        }

        var alias = scan.Alias;
        var predicates = (conditions ?? ScanConditions)
            .SelectMany(name => PlanPredicates.Read(scan.Condition(name), alias, sql))
            .DistinctBy(p => p.Text)
            .ToList();
        var sortKeys = SortKeysAbove(scan, parents);

        var keys = new List<string>();
        void Add(string column)
        {
            var bare = column.Split(' ')[0];
            if (keys.Count < MaxKeys && !keys.Any(k => k.Split(' ')[0] == bare))
            {
                var sorted = sortKeys.FirstOrDefault(s => s.Split(' ')[0] == bare);
                keys.Add(sorted ?? bare);
            }
        }

        foreach (var p in predicates.Where(p => p.Kind == PredicateKind.Equality))
        {
            p.Columns.ToList().ForEach(c => Add(c.Split(' ')[0]));
        }

        // The sort keys before the range columns when they start with them: (created_at DESC, id DESC) for a keyset page.
        foreach (var p in predicates.Where(p => p.Kind == PredicateKind.Range))
        {
            p.Columns.ToList().ForEach(Add);
        }

        sortKeys.ForEach(Add);
        var constants = predicates.Where(p => p.Kind == PredicateKind.Constant).ToList();
        if (keys.Count == 0)
        {
            // Nothing but constants: index their columns (a partial index on its own predicate's column would index one value).
            constants.SelectMany(c => c.Columns).ToList().ForEach(Add);
            return keys.Count == 0 ? null : new IndexCandidate(scan.RelationName, keys, null, []);
        }

        var predicate = constants.Count == 0 ? null : string.Join(" AND ", constants.Select(c => "(" + c.Text + ")"));
        return new IndexCandidate(scan.RelationName, keys, predicate, []);
    }

    /// <summary>The keys of the nearest Sort or Incremental Sort above the scan, when every key is a plain column of the scan's alias.</summary>
    private static List<string> SortKeysAbove(PlanNode scan, IReadOnlyDictionary<string, PlanNode> parents)
    {
        var at = scan;
        for (var hops = 0; hops < 3 && parents.TryGetValue(at.Path, out var parent); hops++, at = parent)
        {
            if (parent.NodeType is "Sort" or "Incremental Sort")
            {
                var raw = parent.Condition("Sort Key");
                if (raw is null)
                {
                    return [];
                }

                var keys = raw.Split(", ").Select(k => PlanPredicates.SortColumn(k, scan.Alias)).ToList();
                // A key of another alias (c.code) or an expression does not parse: the index cannot give that order.
                return keys.All(k => k is not null) ? keys.Select(k => k!).ToList() : [];
            }

            if (parent.NodeType is not ("Limit" or "Gather Merge" or "Result" or "Unique"))
            {
                return [];
            }
        }

        return [];
    }
}
