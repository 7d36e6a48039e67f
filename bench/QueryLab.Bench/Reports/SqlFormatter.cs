using System.Text;
using System.Text.RegularExpressions;

namespace QueryLab.Bench.Reports;

/// <summary>Lays out one-line SQL (as ORMs send it) over lines a reader can follow: a clause per line.</summary>
public static partial class SqlFormatter
{
    public static string Format(string sql)
    {
        var oneLine = string.Join(' ', sql.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        var sb = new StringBuilder();
        var depth = 0;
        var inString = false;
        for (var i = 0; i < oneLine.Length; i++)
        {
            var c = oneLine[i];
            if (c == '\'')
            {
                inString = !inString;
            }

            if (!inString)
            {
                if (c == '(')
                {
                    depth++;
                }
                else if (c == ')')
                {
                    depth = Math.Max(0, depth - 1);
                }
                else if (c == ' ' && depth <= 2)
                {
                    var m = Clause().Match(oneLine, i + 1);
                    if (m.Success && m.Index == i + 1)
                    {
                        sb.Append('\n').Append(' ', depth * 4);
                        continue;
                    }
                }
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    [GeneratedRegex(@"\G(SELECT|FROM|WHERE|(LEFT |RIGHT |INNER |FULL |CROSS )?(OUTER )?JOIN|GROUP BY|ORDER BY|HAVING|LIMIT|OFFSET|UNION|RETURNING|SET|VALUES|ON CONFLICT)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Clause();
}
