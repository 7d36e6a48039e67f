using System.Text.RegularExpressions;
using QueryLab.Bench.Plans;

namespace QueryLab.Bench.Advice;

/// <summary>
/// advise's INCLUDE rule (<c>include-columns</c>): an <c>Index Scan</c> that visits the heap for many rows only to return
/// (or filter on) a few columns its index lacks. The candidate has the keys the scan's Index Cond and the sort above it
/// use (as <see cref="CandidateFinder.Candidate"/> derives them) and those columns as <c>INCLUDE</c>, so the same scan can be
/// an Index Only Scan. The plan says which columns a node returns only when it was explained with VERBOSE (its
/// <c>Output</c>); without it no INCLUDE candidate is proposed, nor when the Output or Filter holds anything but plain
/// columns (an expression might need a column the plan does not name). Pure.
/// </summary>
public static partial class IncludeColumns
{
    /// <summary>The code advise gives this pattern (not a plan finding of its own, like <see cref="CandidateFinder.SortFeedingLimit"/>).</summary>
    public const string Code = "include-columns";

    /// <summary>Rows (over all loops) the scan must fetch from the heap to be worth an index of its own: below that the heap visits cost little.</summary>
    public const double MinRows = 1_000;

    /// <summary>The most INCLUDE columns proposed: past that the index is a second copy of the table.</summary>
    public const int MaxColumns = 3;

    private static readonly string[] SystemColumns = ["ctid", "xmin", "xmax", "cmin", "cmax", "tableoid"];

    /// <summary>The INCLUDE candidate of <paramref name="scan"/>, or null when it is not an Index Scan of that kind.</summary>
    public static CandidateSource? For(PlanNode scan, IReadOnlyDictionary<string, PlanNode> parents, string? sql)
    {
        ArgumentNullException.ThrowIfNull(scan);
        ArgumentNullException.ThrowIfNull(parents);
        if (scan is not { NodeType: "Index Scan", RelationName: not null, IndexName: not null, Alias: { } alias } || !scan.Executed
            || scan.TotalActualRows < MinRows || scan.Condition("Output") is not { } output)
        {
            return null;
        }

        var returned = Columns(output, alias);
        var filtered = FilterColumns(scan.Condition("Filter"), alias, sql);
        if (returned is null || filtered is null)
        {
            return null; // an expression, a whole-row reference, a quoted name or a system column: not something INCLUDE is sure to cover
        }

        var needed = Used(returned, scan, parents, alias, qualified: output.Contains(alias + ".", StringComparison.Ordinal));

        if (CandidateFinder.Candidate(scan, parents, sql, ["Index Cond"]) is not { } keyed)
        {
            return null;
        }

        var keys = keyed.Keys.Select(k => k.Split(' ')[0]).ToHashSet(StringComparer.Ordinal);
        var missing = needed.Concat(filtered).Distinct(StringComparer.Ordinal).Where(c => !keys.Contains(c)).ToList();
        if (missing.Count is 0 or > MaxColumns)
        {
            return null;
        }

        var candidate = keyed with { Include = missing };
        var why = $"{scan.DisplayLabel} read the heap for {Reports.Units.Count(scan.TotalActualRows)} rows only for {string.Join(", ", missing)}, "
            + $"which its index lacks: with {(missing.Count == 1 ? "it" : "them")} as INCLUDE columns it can be an Index Only Scan (on all-visible pages)";
        return new CandidateSource(candidate, Code, scan.Path, why);
    }

    /// <summary>
    /// The columns an Output list names (<c>id, grp, note</c>, or <c>s.id, s.grp</c> when the statement has several tables),
    /// in order, without the scan's alias; null when an item is anything else (an expression, <c>s.*</c>, a quoted name, a
    /// system column such as the <c>ctid</c> an UPDATE's scan returns, another alias's column).
    /// </summary>
    public static IReadOnlyList<string>? Columns(string output, string alias)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(alias);
        var found = new List<string>();
        foreach (var item in PlanPredicates.SplitTopLevel(output, ","))
        {
            var col = item.StartsWith(alias + ".", StringComparison.Ordinal) ? item[(alias.Length + 1)..] : item;
            if (!Identifier().IsMatch(col) || SystemColumns.Contains(col))
            {
                return null;
            }

            if (!found.Contains(col))
            {
                found.Add(col);
            }
        }

        return found;
    }

    /// <summary>
    /// Of the columns a scan returns, those the nodes above it use. A scan under an aggregate or a join often returns every
    /// column of its table (the planner's "physical target list": no projection is cheaper than one), so its Output alone
    /// would ask for all of them; what its ancestors' expressions (their Output, keys and conditions) name is what is read.
    /// A column is named <c>alias.col</c> when the statement has several tables; with one, VERBOSE writes a target list's
    /// columns bare and a condition's qualified, so either counts.
    /// </summary>
    private static List<string> Used(IReadOnlyList<string> returned, PlanNode scan, IReadOnlyDictionary<string, PlanNode> parents, string alias, bool qualified)
    {
        var above = new List<string>();
        for (var at = scan; parents.TryGetValue(at.Path, out var parent); at = parent)
        {
            above.AddRange(parent.Conditions.Select(c => Literal().Replace(c.Value, "''")));
        }

        if (above.Count == 0)
        {
            return returned.ToList(); // the root: what it returns is the statement's answer
        }

        var text = string.Join("\n", above);
        var prefix = "(?:" + Regex.Escape(alias) + @"\.)" + (qualified ? "" : "?");
        return returned.Where(c => Regex.IsMatch(text, @"(?<![\w.:])" + prefix + Regex.Escape(c) + @"(?![\w(])", RegexOptions.None, TimeSpan.FromSeconds(1))).ToList();
    }

    /// <summary>The columns the Filter's conjuncts test (none without a Filter); null when a conjunct is not one PlanPredicates can read.</summary>
    private static IReadOnlyList<string>? FilterColumns(string? filter, string alias, string? sql)
    {
        var conjuncts = PlanPredicates.Read(filter, alias, sql);
        return conjuncts.Any(c => c.Kind == PredicateKind.Other) ? null : conjuncts.SelectMany(c => c.Columns.Select(x => x.Split(' ')[0])).Distinct(StringComparer.Ordinal).ToList();
    }

    [GeneratedRegex(@"^[a-z_][a-z0-9_]*$")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"'(?:[^']|'')*'")]
    private static partial Regex Literal();
}
