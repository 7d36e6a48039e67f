using System.Text;

namespace QueryLab.Bench.Profiling;

/// <summary>
/// Rewrites named placeholders (<c>@name</c>, as EF Core and Dapper send them to Npgsql) into PostgreSQL's
/// positional <c>$n</c>, outside string literals, quoted identifiers, comments and dollar quotes, so a
/// statement can be PREPAREd on the server for its generic plan.
/// </summary>
public static class Placeholders
{
    public sealed record Rewritten(string Sql, IReadOnlyList<int> ParameterOrder);

    /// <summary>
    /// Returns the SQL with <c>$n</c> placeholders and, for each <c>$n</c>, the index of the captured parameter
    /// that fills it. Positional SQL is returned as it is.
    /// </summary>
    public static Rewritten ToPositional(string sql, IReadOnlyList<string> parameterNames)
    {
        var byName = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < parameterNames.Count; i++)
        {
            var n = parameterNames[i].TrimStart('@', ':');
            if (n.Length > 0)
            {
                byName.TryAdd(n, i);
            }
        }

        var order = new List<int>();
        var slots = new Dictionary<int, int>();
        var sb = new StringBuilder(sql.Length);
        var i2 = 0;
        while (i2 < sql.Length)
        {
            var c = sql[i2];
            if (OpaqueEnd(sql, i2) is { } opaque)
            {
                sb.Append(sql, i2, opaque - i2);
                i2 = opaque;
            }
            else if (c == '@' && i2 + 1 < sql.Length && (char.IsLetter(sql[i2 + 1]) || sql[i2 + 1] == '_') && (i2 == 0 || !IsIdent(sql[i2 - 1])))
            {
                var j = i2 + 1;
                while (j < sql.Length && IsIdent(sql[j]))
                {
                    j++;
                }

                var name = sql[(i2 + 1)..j];
                if (byName.TryGetValue(name, out var index))
                {
                    if (!slots.TryGetValue(index, out var slot))
                    {
                        order.Add(index);
                        slot = order.Count;
                        slots[index] = slot;
                    }

                    sb.Append('$').Append(slot);
                }
                else
                {
                    sb.Append(sql, i2, j - i2);
                }

                i2 = j;
            }
            else
            {
                sb.Append(c);
                i2++;
            }
        }

        if (order.Count == 0)
        {
            // Positional already ($1…$n in parameter order).
            return new Rewritten(sql, Enumerable.Range(0, parameterNames.Count).ToList());
        }

        return new Rewritten(sb.ToString(), order);
    }

    /// <summary>
    /// The statements of a command text that holds several separated by top-level semicolons (EF Core's SaveChanges sends
    /// its batch as one command: <c>UPDATE … WHERE id = @p3; UPDATE … WHERE id = @p7; …</c>), each trimmed; semicolons inside
    /// literals, quoted identifiers, comments and dollar quotes do not split. A command of one statement gives one.
    /// </summary>
    public static IReadOnlyList<string> Split(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var parts = new List<string>();
        var start = 0;
        var i = 0;
        while (i < sql.Length)
        {
            if (OpaqueEnd(sql, i) is { } opaque)
            {
                i = opaque;
            }
            else if (sql[i] == ';')
            {
                Add(sql[start..i]);
                start = ++i;
            }
            else
            {
                i++;
            }
        }

        Add(sql[start..]);
        return parts;

        void Add(string part)
        {
            if (!string.IsNullOrWhiteSpace(part))
            {
                parts.Add(part.Trim());
            }
        }
    }

    /// <summary>
    /// The names of the named placeholders (<c>@name</c>) a statement uses, outside literals and comments, in order of
    /// first use: which of a batch command's parameters belong to each of its statements.
    /// </summary>
    public static IReadOnlyList<string> NamesUsed(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var names = new List<string>();
        var i = 0;
        while (i < sql.Length)
        {
            if (OpaqueEnd(sql, i) is { } opaque)
            {
                i = opaque;
            }
            else if (sql[i] == '@' && i + 1 < sql.Length && (char.IsLetter(sql[i + 1]) || sql[i + 1] == '_') && (i == 0 || !IsIdent(sql[i - 1])))
            {
                var j = i + 1;
                while (j < sql.Length && IsIdent(sql[j]))
                {
                    j++;
                }

                var name = sql[(i + 1)..j];
                if (!names.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    names.Add(name);
                }

                i = j;
            }
            else
            {
                i++;
            }
        }

        return names;
    }

    /// <summary>
    /// What makes two captured statements the same statement: whitespace collapsed and named placeholders numbered in
    /// order of use ($1, $2 …), so the hundred UPDATEs of an EF Core batch (<c>@p3</c>, <c>@p7</c> …) are one statement
    /// sent a hundred times.
    /// </summary>
    public static string Key(CapturedStatement s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return Normalise(ToPositional(s.Sql, s.Parameters.Select(p => p.Name).ToList()).Sql);
    }

    /// <summary>
    /// Where the literal, quoted identifier, comment or dollar-quoted string that starts at <paramref name="i"/> ends
    /// (the index after it), or null when none starts there.
    /// </summary>
    private static int? OpaqueEnd(string sql, int i)
    {
        var c = sql[i];
        if (c == '\'' || c == '"')
        {
            var end = sql.IndexOf(c, i + 1);
            while (end >= 0 && end + 1 < sql.Length && sql[end + 1] == c)
            {
                end = sql.IndexOf(c, end + 2);
            }

            return end < 0 ? sql.Length : end + 1;
        }

        if (c == '-' && i + 1 < sql.Length && sql[i + 1] == '-')
        {
            var end = sql.IndexOf('\n', i);
            return end < 0 ? sql.Length : end;
        }

        if (c == '/' && i + 1 < sql.Length && sql[i + 1] == '*')
        {
            var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
            return end < 0 ? sql.Length : end + 2;
        }

        if (c == '$' && i + 1 < sql.Length && (sql[i + 1] == '$' || char.IsLetter(sql[i + 1]) || sql[i + 1] == '_'))
        {
            var tagEnd = sql.IndexOf('$', i + 1);
            if (tagEnd < 0)
            {
                return null;
            }

            var tag = sql[i..(tagEnd + 1)];
            var close = sql.IndexOf(tag, tagEnd + 1, StringComparison.Ordinal);
            return close < 0 ? sql.Length : close + tag.Length;
        }

        return null;
    }

    private static bool IsIdent(char c) => char.IsLetterOrDigit(c) || c == '_';

    /// <summary>Whitespace collapsed: statements that differ only in layout are the same statement.</summary>
    public static string Normalise(string sql) => string.Join(' ', sql.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
