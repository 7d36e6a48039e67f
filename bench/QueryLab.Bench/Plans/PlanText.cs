using System.Text;
using QueryLab.Bench.Reports;

namespace QueryLab.Bench.Plans;

/// <summary>
/// A plan as a compact indented tree for a terminal or a Markdown code block: per node its actual rows
/// (× loops) against the estimate, its exclusive time and share, the shared blocks it touched itself (hit/read),
/// hot nodes marked <c>◀ 62% of time</c>, and <c>[n]</c> pointing at the findings listed below the tree.
/// Lines never exceed the width asked for: labels are shortened first, then the buffer columns dropped.
/// </summary>
public static class PlanText
{
    private const int MinLabelWidth = 24;
    private const string Gap = "  ";

    /// <summary>Top nodes (<see cref="PlanAnalysis.TopNodes"/>) with at least this share of execution time are marked ◀.</summary>
    public const double HotMarkShare = 0.10;

    public static string Render(PlanAnalysis analysis, int maxWidth = 120)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        maxWidth = Math.Max(40, maxWidth);
        var b = new StringBuilder();
        foreach (var line in Wrap(Header(analysis), maxWidth, ""))
        {
            b.Append(line).Append('\n');
        }

        var refs = FindingRefs(analysis.Findings);
        var rows = new List<Row>();
        Collect(analysis.Root, "", "", rows, refs, analysis);
        foreach (var line in Table(rows, maxWidth, analysis.Root.ActualLoops is not null))
        {
            b.Append(line).Append('\n');
        }

        if (analysis.Findings.Count > 0)
        {
            b.Append('\n').Append("Findings").Append('\n');
            for (var i = 0; i < analysis.Findings.Count; i++)
            {
                var f = analysis.Findings[i];
                var at = f.NodePath.Length == 0 ? "statement" : "at " + f.NodePath;
                var head = $"[{i + 1}] {f.Severity} {f.Code} {at}: {f.Message}";
                foreach (var line in Wrap(head, maxWidth, "    "))
                {
                    b.Append(line).Append('\n');
                }

                foreach (var line in Wrap("    fix: " + f.Fix, maxWidth, "         "))
                {
                    b.Append(line).Append('\n');
                }
            }
        }

        return b.ToString();
    }

    private sealed record Row(string Tree, string Rows, string Estimate, string Self, string Share, string Buffers, string Temp, string Marks);

    private static string Header(PlanAnalysis a)
    {
        if (!a.Analyzed)
        {
            return $"the planner's estimate (EXPLAIN without ANALYZE: nothing executed, no times or buffers) · shape {a.ShapeHash}";
        }

        var parts = new List<string> { $"execution {Units.Ms(a.ExecutionTime)}", $"planning {Units.Ms(a.PlanningTime)}" };
        var buf = a.Buffers;
        parts.Add($"shared hit {Units.Count(buf.SharedHit)} read {Units.Count(buf.SharedRead)}" + (a.CacheHitRate is { } r ? $" ({Units.Percent(r)} cached)" : ""));
        if (buf.Temp > 0)
        {
            parts.Add($"temp read {Units.Count(buf.TempRead)} written {Units.Count(buf.TempWritten)}");
        }

        if (a.Jit is { } jit)
        {
            parts.Add($"JIT {Units.Ms(jit.TotalMs)} ({Units.Count(jit.Functions)} functions)");
        }

        parts.Add("shape " + a.ShapeHash);
        return string.Join(" · ", parts);
    }

    private static Dictionary<string, List<int>> FindingRefs(IReadOnlyList<PlanFinding> findings)
    {
        var refs = new Dictionary<string, List<int>>();
        for (var i = 0; i < findings.Count; i++)
        {
            var path = findings[i].NodePath;
            if (path.Length == 0)
            {
                continue;
            }

            if (!refs.TryGetValue(path, out var list))
            {
                refs[path] = list = [];
            }

            list.Add(i + 1);
        }

        return refs;
    }

    private static void Collect(PlanNode n, string prefix, string childPrefix, List<Row> rows, Dictionary<string, List<int>> refs, PlanAnalysis a)
    {
        var label = (n.SubplanName is { } sub ? "[" + sub + "] " : "") + n.DisplayLabel;
        var marks = new List<string>();
        if (refs.TryGetValue(n.Path, out var list))
        {
            marks.Add(string.Concat(list.Select(i => $"[{i}]")));
        }

        if (a.TopNodes.Any(h => ReferenceEquals(h.Node, n) && h.Share >= HotMarkShare))
        {
            marks.Add($"◀ {Units.Percent(n.ExecutionShare)} of time");
        }

        var executed = n.Executed;
        var actual = !executed ? (n.ActualLoops is null ? "" : "never executed")
            : Units.Short(n.ActualRows ?? 0) + (n.ActualLoops > 1 ? "×" + Units.Short(n.ActualLoops.Value) : "");
        var buffers = n.ExclusiveBuffers;
        rows.Add(new Row(
            prefix + label,
            actual,
            Units.Short(n.PlanRows),
            executed ? Units.Ms(n.ExclusiveTime) : "",
            executed ? Units.Percent(n.ExecutionShare) : "",
            buffers.SharedTouched > 0 ? $"{Units.Short(buffers.SharedHit)}/{Units.Short(buffers.SharedRead)}" : "",
            buffers.Temp > 0 ? Units.Short(buffers.Temp) : "",
            string.Join(" ", marks)));

        for (var i = 0; i < n.Children.Count; i++)
        {
            var last = i == n.Children.Count - 1;
            Collect(n.Children[i], childPrefix + (last ? "└─ " : "├─ "), childPrefix + (last ? "   " : "│  "), rows, refs, a);
        }
    }

    private static IEnumerable<string> Table(List<Row> rows, int maxWidth, bool analyzed)
    {
        var header = new Row("node", analyzed ? "rows" : "", "est", analyzed ? "self" : "", analyzed ? "share" : "", "hit/read", "temp", "");
        var all = rows.Prepend(header).ToList();
        int W(Func<Row, string> f) => all.Max(r => f(r).Length);
        var widths = new[] { W(r => r.Rows), W(r => r.Estimate), W(r => r.Self), W(r => r.Share), W(r => r.Buffers), W(r => r.Temp) };
        var showBuffers = rows.Any(r => r.Buffers.Length > 0);
        var showTemp = rows.Any(r => r.Temp.Length > 0);
        int Metrics() => widths[0] + widths[1] + widths[2] + widths[3] + (Gap.Length * 4)
            + (showBuffers ? widths[4] + Gap.Length : 0) + (showTemp ? widths[5] + Gap.Length : 0);

        var labelWidth = all.Max(r => r.Tree.Length);
        if (labelWidth + Metrics() > maxWidth && showTemp)
        {
            showTemp = false;
        }

        if (labelWidth + Metrics() > maxWidth && showBuffers)
        {
            showBuffers = false;
        }

        // Marks (finding references, the hot-node arrow) stay whole: labels give way first, down to a minimum;
        // below that the marks go on a line of their own.
        var marks = rows.Max(r => r.Marks.Length);
        var room = maxWidth - Metrics() - (marks > 0 ? marks + Gap.Length : 0);
        labelWidth = Math.Max(Math.Min(MinLabelWidth, labelWidth), Math.Min(labelWidth, room));
        foreach (var r in all)
        {
            var line = new StringBuilder()
                .Append(Fit(r.Tree, labelWidth)).Append(Gap)
                .Append(r.Rows.PadLeft(widths[0])).Append(Gap)
                .Append(r.Estimate.PadLeft(widths[1])).Append(Gap)
                .Append(r.Self.PadLeft(widths[2])).Append(Gap)
                .Append(r.Share.PadLeft(widths[3]));
            if (showBuffers)
            {
                line.Append(Gap).Append(r.Buffers.PadLeft(widths[4]));
            }

            if (showTemp)
            {
                line.Append(Gap).Append(r.Temp.PadLeft(widths[5]));
            }

            var body = line.ToString();
            var whole = (body + Gap + r.Marks).TrimEnd();
            if (r.Marks.Length == 0 || whole.Length <= maxWidth)
            {
                yield return Cut(r.Marks.Length == 0 ? body.TrimEnd() : whole, maxWidth);
            }
            else
            {
                // Too narrow for the marks beside the node: they go on the next line rather than be cut.
                yield return Cut(body.TrimEnd(), maxWidth);
                yield return Cut("    " + r.Marks, maxWidth);
            }
        }
    }

    private static string Cut(string s, int width) => s.Length <= width ? s : s[..(width - 1)] + "…";

    private static string Fit(string s, int width) => s.Length <= width ? s.PadRight(width) : s[..(width - 1)] + "…";

    /// <summary>Word-wraps <paramref name="text"/> at <paramref name="width"/>; lines after the first start with <paramref name="indent"/>.</summary>
    private static IEnumerable<string> Wrap(string text, int width, string indent)
    {
        var line = new StringBuilder();
        var empty = true;
        foreach (var word in text.Split(' '))
        {
            var sep = empty ? "" : " ";
            if (!empty && line.Length + sep.Length + word.Length > width)
            {
                yield return line.ToString();
                line.Clear().Append(indent);
                sep = "";
            }

            var w = word;
            while (line.Length + sep.Length + w.Length > width)
            {
                var take = width - line.Length - sep.Length;
                yield return line.Append(sep).Append(w[..take]).ToString();
                w = w[take..];
                line.Clear().Append(indent);
                sep = "";
            }

            line.Append(sep).Append(w);
            empty = false;
        }

        if (!empty)
        {
            yield return line.ToString();
        }
    }
}
