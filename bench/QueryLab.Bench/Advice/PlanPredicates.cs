using System.Text;
using System.Text.RegularExpressions;

namespace QueryLab.Bench.Advice;

/// <summary>What a conjunct of a scan's condition asks of a column, for an index: an equality, a range, a constant (a partial index's WHERE), or nothing an index can use.</summary>
public enum PredicateKind
{
    Equality,
    Range,
    Constant,
    Other,
}

/// <summary>One conjunct of a scan's Index Cond, Recheck Cond or Filter, with the scan's own alias removed.</summary>
public sealed record ColumnPredicate(PredicateKind Kind, IReadOnlyList<string> Columns, string Text);

/// <summary>
/// Reads the expressions EXPLAIN prints (<c>((status)::text = 'in_transit'::text)</c>, <c>(ROW(created_at, id) &lt;= ROW(…))</c>,
/// <c>(delivered_at IS NOT NULL)</c>, <c>(shipment_id = s.id)</c>) into the conjuncts an index can serve. Pure, and it never
/// throws on an expression it does not know: that conjunct is <see cref="PredicateKind.Other"/>.
/// </summary>
public static partial class PlanPredicates
{
    /// <summary>
    /// The conjuncts of <paramref name="expression"/>, classified. <paramref name="alias"/> is the scan's alias (its columns
    /// lose the prefix); <paramref name="sql"/> is the statement as sent, to tell a constant written in it (a partial
    /// index's predicate) from a parameter's value the plan shows (a key column); null: every literal counts as a constant.
    /// </summary>
    public static IReadOnlyList<ColumnPredicate> Read(string? expression, string? alias, string? sql)
    {
        if (string.IsNullOrWhiteSpace(expression))
        {
            return [];
        }

        return Conjuncts(expression).Select(c => Classify(StripAlias(c, alias), sql)).ToList();
    }

    /// <summary>The top-level AND-ed parts of an expression, each without its outer parentheses.</summary>
    public static IReadOnlyList<string> Conjuncts(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        return SplitTopLevel(Unwrap(expression.Trim()), " AND ").Select(Unwrap).Where(p => p.Length > 0).ToList();
    }

    /// <summary>The parts of <paramref name="text"/> between the top-level <paramref name="separator"/>s (outside parentheses and quoted literals), trimmed, empty ones dropped.</summary>
    public static List<string> SplitTopLevel(string text, string separator)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(separator);
        var parts = new List<string>();
        var depth = 0;
        var quoted = false;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (ch == '\'')
            {
                quoted = !quoted;
            }
            else if (!quoted && ch == '(')
            {
                depth++;
            }
            else if (!quoted && ch == ')')
            {
                depth--;
            }
            else if (!quoted && depth == 0 && string.CompareOrdinal(text, i, separator, 0, separator.Length) == 0)
            {
                parts.Add(text[start..i].Trim());
                start = i + separator.Length;
                i += separator.Length - 1;
            }
        }

        parts.Add(text[start..].Trim());
        return parts.Where(p => p.Length > 0).ToList();
    }

    /// <summary>A sort key an index can give (<c>te.occurred_at DESC</c> → <c>occurred_at DESC</c>), or null for an expression.</summary>
    public static string? SortColumn(string key, string? alias)
    {
        ArgumentNullException.ThrowIfNull(key);
        var k = StripAlias(key.Trim(), alias);
        var m = SortKey().Match(k);
        return m.Success ? m.Groups["col"].Value + (m.Groups["desc"].Success ? " DESC" : "") : null;
    }

    private static ColumnPredicate Classify(string c, string? sql)
    {
        var nul = IsNull().Match(c);
        if (nul.Success)
        {
            return new(PredicateKind.Constant, [nul.Groups["col"].Value], c);
        }

        var row = RowCompare().Match(c);
        if (row.Success)
        {
            var cols = row.Groups["cols"].Value.Split(',', StringSplitOptions.TrimEntries);
            return cols.All(x => Identifier().IsMatch(x)) ? new(PredicateKind.Range, cols, c) : new(PredicateKind.Other, [], c);
        }

        var cmp = Comparison().Match(c);
        if (!cmp.Success || Column(cmp.Groups["lhs"].Value) is not { } col)
        {
            return new(PredicateKind.Other, [], c);
        }

        var op = cmp.Groups["op"].Value;
        var rhs = cmp.Groups["rhs"].Value;
        if (op == "=")
        {
            if (rhs.StartsWith("ANY ", StringComparison.Ordinal))
            {
                return new(PredicateKind.Equality, [col], c);
            }

            var literal = Literal().Match(rhs);
            var isConstant = literal.Success && literal.Index == 0
                && (sql is null || sql.Contains("'" + literal.Groups["v"].Value + "'", StringComparison.Ordinal));
            return new(isConstant ? PredicateKind.Constant : PredicateKind.Equality, [col], c);
        }

        return op is "<" or "<=" or ">" or ">=" ? new(PredicateKind.Range, [col], c) : new(PredicateKind.Other, [], c);
    }

    /// <summary><c>(status)::text</c> or <c>status</c> → <c>status</c>; anything else (a function, an expression) → null.</summary>
    private static string? Column(string lhs)
    {
        var s = Cast().Replace(lhs.Trim(), "");
        s = Unwrap(s);
        return Identifier().IsMatch(s) ? s : null;
    }

    private static string StripAlias(string expression, string? alias)
    {
        if (string.IsNullOrEmpty(alias))
        {
            return expression;
        }

        // Outside quoted literals only: "s.status" → "status", but 's.x' stays as written.
        var sb = new StringBuilder(expression.Length);
        var quoted = false;
        var prefix = alias + ".";
        for (var i = 0; i < expression.Length; i++)
        {
            if (expression[i] == '\'')
            {
                quoted = !quoted;
            }

            if (!quoted && string.CompareOrdinal(expression, i, prefix, 0, prefix.Length) == 0 && (i == 0 || !char.IsLetterOrDigit(expression[i - 1]) && expression[i - 1] != '_'))
            {
                i += prefix.Length - 1;
                continue;
            }

            sb.Append(expression[i]);
        }

        return sb.ToString();
    }

    /// <summary>Removes parentheses that wrap the whole expression (as many pairs as there are).</summary>
    private static string Unwrap(string e)
    {
        while (e.Length >= 2 && e[0] == '(' && e[^1] == ')' && Closes(e) == e.Length - 1)
        {
            e = e[1..^1].Trim();
        }

        return e;
    }

    /// <summary>Where the parenthesis opened at 0 closes.</summary>
    private static int Closes(string e)
    {
        var depth = 0;
        var quoted = false;
        for (var i = 0; i < e.Length; i++)
        {
            if (e[i] == '\'')
            {
                quoted = !quoted;
            }
            else if (!quoted && e[i] == '(')
            {
                depth++;
            }
            else if (!quoted && e[i] == ')' && --depth == 0)
            {
                return i;
            }
        }

        return -1;
    }

    [GeneratedRegex(@"^[a-z_][a-z0-9_]*$")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^\(?(?<col>[a-z_][a-z0-9_]*)\)? IS (NOT )?NULL$")]
    private static partial Regex IsNull();

    [GeneratedRegex(@"^ROW\((?<cols>[^()]*)\) (<|<=|>|>=) ROW\(")]
    private static partial Regex RowCompare();

    [GeneratedRegex(@"^(?<lhs>\(?[a-z_][a-z0-9_]*\)?(::[a-z_ ]+(\[\])?)?) (?<op>=|<>|<=|>=|<|>) (?<rhs>.+)$")]
    private static partial Regex Comparison();

    [GeneratedRegex(@"::[a-z_ ]+(\[\])?$")]
    private static partial Regex Cast();

    [GeneratedRegex(@"'(?<v>(?:[^']|'')*)'")]
    private static partial Regex Literal();

    [GeneratedRegex(@"^(?<col>[a-z_][a-z0-9_]*)(?<desc> DESC)?( NULLS (FIRST|LAST))?$")]
    private static partial Regex SortKey();
}
