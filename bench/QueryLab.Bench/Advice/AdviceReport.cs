using System.Globalization;
using System.Text;
using System.Text.Json;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Advice;

/// <summary>advice.md (what a reviewer reads) and advice.json (the same, machine-readable) of an advise run.</summary>
public static class AdviceReport
{
    public static string Json(AdviceResults r) => JsonSerializer.Serialize(r, ResultsJson.Options);

    public static string Render(AdviceResults r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Index advice: {r.Dataset}");
        md.AppendLine();
        new MarkdownTable("", "")
            .Row("run", r.RunId)
            .Row("command", Markdown.Code(r.CommandLine))
            .Row("server", r.Server)
            .Row("time", Markdown.Took(r.StartedAt, r.FinishedAt))
            .Row("load average (1 min) at the start", r.LoadAverage is { } l ? l.ToString("0.00", CultureInfo.InvariantCulture) : "–")
            .Row("write budget", $"a write scenario touching the table may slow by at most +{QueryLab.Bench.Compare.CompareSettings.Pct(r.WriteBudget)}")
            .Row("operations looked at", r.Operations.Count.ToString(CultureInfo.InvariantCulture))
            .WriteTo(md);
        md.AppendLine();
        md.AppendLine("Each candidate was built inside a transaction on the lab, measured, and rolled back; *after ÷ before* is the median of paired");
        md.AppendLine("slices (without the index on a second connection, with it in the transaction, alternating A B A B … A) with its 95% interval.");
        md.AppendLine("Recommended only when the plan uses it, the answer is the same, it is faster beyond the noise (a re-measure agreeing), and the");
        md.AppendLine("writes it slows stay within the budget.");
        md.AppendLine();
        foreach (var n in r.Notes)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {n}");
        }

        if (r.Notes.Count > 0)
        {
            md.AppendLine();
        }

        if (r.OtherRemedies.Count > 0)
        {
            md.AppendLine("## Findings an index would not fix");
            md.AppendLine();
            var t = new MarkdownTable("statement", "finding", "what to do instead");
            foreach (var o in r.OtherRemedies)
            {
                t.Row($"{o.Operation} #{o.Statement.ToString(CultureInfo.InvariantCulture)} (node {o.NodePath})", Markdown.Cell($"`{o.Code}`: {o.Message}"), Markdown.Cell(o.Remedy));
            }

            t.WriteTo(md);
            md.AppendLine();
        }

        md.AppendLine("## Summary");
        md.AppendLine();
        if (r.Candidates.Count == 0)
        {
            md.AppendLine("No index-fixable finding in the plans of the operations looked at: nothing to propose.");
            md.AppendLine();
        }
        else
        {
            var t = new MarkdownTable("candidate", "verdict", Column.Figures("after ÷ before"), Column.Figures("build"), Column.Figures("size"), "writes", "why");
            foreach (var c in r.Candidates)
            {
                t.Row(
                    $"[{c.Name}](#{Markdown.Anchor(c.Name)})",
                    "**" + IndexProof.Describe(c.Verdict) + "**",
                    string.Join("<br>", c.Reads.Select(x => $"{x.Operation}: {Interval(x.Ratio, x.Lower, x.Upper)}")),
                    c.BuildMs is { } b ? Units.Ms(b) : "–",
                    c.SizeBytes is { } s ? Units.Bytes(s) : "–",
                    c.Writes.Count == 0 ? "–" : string.Join("<br>", c.Writes.Select(w => $"{w.Operation}: {Interval(w.Ratio, w.Lower, w.Upper)}")),
                    Markdown.Cell(c.Why));
            }

            t.WriteTo(md);
            md.AppendLine();
            var bars = r.Candidates.SelectMany(c => c.Reads.Select(x => (c.Name, x))).ToList();
            if (bars.Count > 0)
            {
                var (unit, div) = MermaidChart.TimeUnit(bars.Max(b => Math.Max(b.x.BeforeNs, b.x.AfterNs)));
                MermaidChart.Write(md, new BarChart(
                    $"Time per operation without and with the index ({unit})",
                    unit,
                    bars.SelectMany(b => new[] { $"{b.x.Operation}: before", $"{b.x.Operation} + {b.Name}: {Units.Ratio(b.x.Ratio)}" }).ToList(),
                    bars.SelectMany(b => new[] { b.x.BeforeNs / div, b.x.AfterNs / div }).ToList()));
            }
        }

        foreach (var c in r.Candidates)
        {
            Candidate(md, c);
        }

        md.AppendLine("## The lab afterwards");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"{(r.Restored.All ? "As advise found it" : "**Not as advise found it**")}: {r.Restored.Detail}");
        md.AppendLine();
        return md.ToString();
    }

    private static void Candidate(StringBuilder md, CandidateProof c)
    {
        md.AppendLine(CultureInfo.InvariantCulture, $"## {c.Name}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"**{IndexProof.Describe(c.Verdict)}**: {c.Why}");
        md.AppendLine();
        md.AppendLine("```sql");
        md.AppendLine(c.CreateConcurrently);
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine("Proposed for:");
        md.AppendLine();
        foreach (var s in c.Sources)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- `{s.Code}` (node {s.NodePath}): {Markdown.Cell(s.Why)}");
        }

        md.AppendLine();
        if (c.BuildMs is { } build)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"Build time on this data: {Units.Ms(build)} (median of its builds); size {Units.Bytes(c.SizeBytes)}; same answer with it: {(c.SameAnswer == true ? "yes" : "no")}.");
            md.AppendLine();
        }

        if (c.Reads.Count > 0)
        {
            var t = new MarkdownTable("operation", Column.Figures("before"), Column.Figures("after"), Column.Figures("after ÷ before [95%]"), Column.Figures("pairs"), "verdict");
            foreach (var x in c.Reads)
            {
                t.Row(x.Operation, Units.Time(x.BeforeNs), Units.Time(x.AfterNs), Interval(x.Ratio, x.Lower, x.Upper), x.Pairs.ToString(CultureInfo.InvariantCulture), Markdown.Cell(x.Why));
            }

            t.WriteTo(md);
            md.AppendLine();
        }

        if (c.Plans.Count > 0)
        {
            var t = new MarkdownTable("statement", Column.Figures("execution before"), Column.Figures("after"), Column.Figures("shared buffers before"), Column.Figures("after"), "uses the index", "plan change", "plans");
            foreach (var p in c.Plans)
            {
                t.Row(
                    $"{p.Operation} #{p.Statement.ToString(CultureInfo.InvariantCulture)}",
                    Units.Ms(p.BeforeMs),
                    p.AfterMs is { } a ? Units.Ms(a) : "–",
                    Units.Count(p.BeforeBuffers),
                    p.AfterBuffers is { } ab ? Units.Count(ab) : "–",
                    p.UsesIndex ? "yes" : "no",
                    p.Changes.Count == 0 ? "none" : Markdown.Cell(string.Join("; ", p.Changes)),
                    p.BeforeFile is null ? "" : $"[before]({p.BeforeFile}) · [after]({p.AfterFile})");
            }

            t.WriteTo(md);
            md.AppendLine();
            foreach (var p in c.Plans.Where(p => p.Changes.Count > 0))
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"<details><summary>{p.Operation} #{p.Statement}: the plan before and after</summary>");
                md.AppendLine();
                md.AppendLine("```");
                md.AppendLine("-- before");
                md.AppendLine(p.BeforeTree.TrimEnd());
                md.AppendLine("-- after");
                md.AppendLine((p.AfterTree ?? "").TrimEnd());
                md.AppendLine("```");
                md.AppendLine();
                md.AppendLine("</details>");
                md.AppendLine();
            }
        }

        if (c.Writes.Count > 0)
        {
            var t = new MarkdownTable("write scenario", Column.Figures("without"), Column.Figures("with"), Column.Figures("with ÷ without [95%]"), Column.Figures("pairs"), "within the budget");
            foreach (var w in c.Writes)
            {
                t.Row(w.Operation, Units.Time(w.WithoutNs), Units.Time(w.WithNs), Interval(w.Ratio, w.Lower, w.Upper), w.Pairs.ToString(CultureInfo.InvariantCulture), w.WithinBudget ? "yes" : "**no**");
            }

            t.WriteTo(md);
            md.AppendLine();
        }
    }

    private static string Interval(double ratio, double? lo, double? hi) =>
        lo is { } l && hi is { } h ? $"{Units.Ratio(ratio)} [{Units.Plain(Math.Round(l, 2))}–{Units.Plain(Math.Round(h, 2))}]" : Units.Ratio(ratio);
}
