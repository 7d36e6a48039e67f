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
            if (c == '\'' || c == '"')
            {
                var end = sql.IndexOf(c, i2 + 1);
                while (end >= 0 && end + 1 < sql.Length && sql[end + 1] == c)
                {
                    end = sql.IndexOf(c, end + 2);
                }

                end = end < 0 ? sql.Length - 1 : end;
                sb.Append(sql, i2, end - i2 + 1);
                i2 = end + 1;
            }
            else if (c == '-' && i2 + 1 < sql.Length && sql[i2 + 1] == '-')
            {
                var end = sql.IndexOf('\n', i2);
                end = end < 0 ? sql.Length : end;
                sb.Append(sql, i2, end - i2);
                i2 = end;
            }
            else if (c == '/' && i2 + 1 < sql.Length && sql[i2 + 1] == '*')
            {
                var end = sql.IndexOf("*/", i2 + 2, StringComparison.Ordinal);
                end = end < 0 ? sql.Length : end + 2;
                sb.Append(sql, i2, end - i2);
                i2 = end;
            }
            else if (c == '$' && i2 + 1 < sql.Length && (sql[i2 + 1] == '$' || char.IsLetter(sql[i2 + 1]) || sql[i2 + 1] == '_'))
            {
                var tagEnd = sql.IndexOf('$', i2 + 1);
                if (tagEnd < 0)
                {
                    sb.Append(c);
                    i2++;
                    continue;
                }

                var tag = sql[i2..(tagEnd + 1)];
                var close = sql.IndexOf(tag, tagEnd + 1, StringComparison.Ordinal);
                var end = close < 0 ? sql.Length : close + tag.Length;
                sb.Append(sql, i2, end - i2);
                i2 = end;
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

    private static bool IsIdent(char c) => char.IsLetterOrDigit(c) || c == '_';

    /// <summary>Whitespace collapsed: statements that differ only in layout are the same statement.</summary>
    public static string Normalise(string sql) => string.Join(' ', sql.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
