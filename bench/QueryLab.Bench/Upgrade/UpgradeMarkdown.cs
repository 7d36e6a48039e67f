using System.Globalization;
using System.Text;
using QueryLab.Bench.Reports;

namespace QueryLab.Bench.Upgrade;

/// <summary>
/// upgrade.md: what a reviewer reads before moving a database to a newer PostgreSQL major — what to look at first, the
/// data, then per pair of majors the time of every variant (a chart per scenario and a table), the plans that changed,
/// the findings that appear or disappear, and the defaults that differ.
/// </summary>
public static class UpgradeMarkdown
{
    public static string Render(UpgradeReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var md = new StringBuilder();
        var majors = string.Join(" → ", r.Majors.Select(m => $"PostgreSQL {m.Version.Split(' ')[0]}"));
        md.AppendLine(CultureInfo.InvariantCulture, $"# Upgrade lab: {majors}");
        md.AppendLine();
        var header = new MarkdownTable("", "");
        header.Row("run", Markdown.Code(r.RunId));
        header.Row("command", Markdown.Code(r.Command));
        header.Row("dataset", $"scale {r.Scale}, seed {r.Seed}, the same on every major");
        header.Row("profile", $"{r.Profile} (how long the majors' workers were interleaved)");
        header.Row("took", Markdown.Took(r.StartedAt, r.FinishedAt));
        header.Row("load average", string.Join(" → ", r.LoadAverage.Select(l => l.ToString("0.00", CultureInfo.InvariantCulture))) + " (1 min, at start → at end)");
        foreach (var m in r.Majors)
        {
            header.Row($"PostgreSQL {m.Major}", $"{m.Version}, {Markdown.Code(m.BinDir)} ({m.Source}; {m.Build}); cluster {Markdown.Code(m.ClusterDir)}; run [{m.Run}/report.md]({m.Run}/report.md)");
        }

        header.WriteTo(md);
        foreach (var p in r.Pairs)
        {
            LookFirst(md, p, r.Pairs.Count > 1);
        }

        Data(md, r);
        foreach (var p in r.Pairs)
        {
            Pair(md, p);
        }

        md.AppendLine("## How it was measured");
        md.AppendLine();
        md.AppendLine("Each major runs its own embedded cluster (`.querylab/clusters/<major>`) with the same settings, migrated and seeded with the same scale and seed; "
            + "each then ran one `smoke` bench (verification, round trips, statements, plans, buffers, findings: `pg<major>/`). Time comes from two long-lived, "
            + "warmed-up `querylab worker` processes of this build, one per server, alternating slices of each variant (older, newer, older … older): each newer "
            + "slice is divided by the geometric mean of the older slices around it, so the machine's drift cancels, and the ratio newer ÷ older is the "
            + "Hodges–Lehmann estimate of those pair ratios with its exact signed-rank interval. A change is called once the interval excludes 1 and the estimate "
            + "is at least half of `--threshold-time` away from it, and only when a second measurement and a fresh pair of workers agree. Plans are compared by "
            + "shape (node types, relations, indexes, join and scan methods), statements matched by their normalised SQL.");
        return md.ToString();
    }

    private static void LookFirst(StringBuilder md, MajorPair p, bool several)
    {
        md.AppendLine(several ? $"## Look at these first: {p.Older} → {p.Newer}" : "## Look at these first");
        md.AppendLine();
        foreach (var item in p.LookFirst)
        {
            md.AppendLine(item.StartsWith("  ", StringComparison.Ordinal) ? $"  - {item.TrimStart()}" : $"- {item}");
        }

        md.AppendLine();
    }

    private static void Data(StringBuilder md, UpgradeReport r)
    {
        md.AppendLine("## Data");
        md.AppendLine();
        var agree = r.Tables.All(t => t.Agree);
        md.AppendLine(agree
            ? $"Every seeded table holds the same rows on every major (row count and checksum, computed by each server over what it stores): {string.Join(", ", r.Tables.Select(t => t.Table))}."
            : "Some seeded tables differ between the majors. The generator is deterministic and fed the same scale and seed, so a difference is the server's: it stored the rows, or hashed them, differently. The times of variants that read such a table are not comparable.");
        md.AppendLine();
        var t = new MarkdownTable(new Column[] { "table" }.Concat(r.Majors.Select(m => Column.Figures($"rows on {m.Major}"))).Concat(r.Majors.Select(m => new Column($"checksum on {m.Major}"))).Append("same").ToArray());
        foreach (var table in r.Tables)
        {
            t.Row([
                table.Table,
                .. r.Majors.Select(m => table.Rows.TryGetValue(Key(m.Major), out var n) ? Units.Count(n) : "–"),
                .. r.Majors.Select(m => table.Checksums.TryGetValue(Key(m.Major), out var c) ? Markdown.Code(c.Length > 12 ? c[..12] : c) : "–"),
                table.Agree ? "yes" : "**no**",
            ]);
        }

        t.WriteTo(md);
    }

    private static void Pair(StringBuilder md, MajorPair p)
    {
        md.AppendLine(CultureInfo.InvariantCulture, $"## PostgreSQL {p.Older} → {p.Newer}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"The full comparison (every counter, plan and time, both plans side by side): [{p.Comparison}.md]({p.Comparison}.md).");
        md.AppendLine();
        Time(md, p);
        Plans(md, p);
        Findings(md, p);
        Defaults(md, p);
    }

    private static void Time(StringBuilder md, MajorPair p)
    {
        md.AppendLine("### Time");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Median time per operation on each major from the interleaved slices, and newer ÷ older ({p.Newer} ÷ {p.Older}) with its interval.");
        md.AppendLine();
        foreach (var scenario in p.Variants.GroupBy(v => v.Scenario))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"#### {scenario.Key}");
            md.AppendLine();
            var timed = scenario.Where(v => v.OlderMedianNs is > 0 && v.NewerMedianNs is > 0).ToList();
            if (timed.Count > 0)
            {
                var (unit, div) = MermaidChart.TimeUnit(timed.Max(v => Math.Max(v.OlderMedianNs!.Value, v.NewerMedianNs!.Value)));
                MermaidChart.Write(md, new BarChart(
                    MermaidChart.Title(scenario.Key, $"median {unit}, {p.Older} and {p.Newer}"),
                    unit,
                    timed.SelectMany(v => new[] { $"{v.Variant}: {p.Older}", $"{v.Variant}: {p.Newer} {Units.Ratio(v.Ratio)}" }).ToList(),
                    timed.SelectMany(v => new[] { v.OlderMedianNs!.Value / div, v.NewerMedianNs!.Value / div }).ToList()));
            }

            var t = new MarkdownTable("variant", Column.Figures($"PostgreSQL {p.Older}"), Column.Figures($"PostgreSQL {p.Newer}"), Column.Figures($"{p.Newer} ÷ {p.Older}"), "interval", Column.Figures("pairs"), "verdict");
            foreach (var v in scenario)
            {
                t.Row(
                    v.IsBaseline ? $"{v.Variant} (baseline)" : v.Variant,
                    v.OlderMedianNs is { } o ? Units.Time(o) : "–",
                    v.NewerMedianNs is { } n ? Units.Time(n) : "–",
                    Units.Ratio(v.Ratio),
                    v.Lower is { } lo && v.Upper is { } hi ? $"{Units.Ratio(lo)}–{Units.Ratio(hi)} ({v.Confidence:P0})" : "–",
                    v.Pairs > 0 ? v.Pairs.ToString(CultureInfo.InvariantCulture) : "–",
                    v.Verdict is "slower" or "faster" ? $"**{v.Verdict}**" : v.Verdict == "not timed" ? $"not timed: {v.Why}" : v.Verdict);
            }

            t.WriteTo(md);
        }
    }

    private static void Plans(StringBuilder md, MajorPair p)
    {
        md.AppendLine("### Plans");
        md.AppendLine();
        var changed = p.Statements.Where(s => s.Changed).ToList();
        var same = p.Statements.Count(s => !s.Changed && s.OlderHash is not null && s.NewerHash is not null);
        var unmatched = p.Statements.Count(s => s.OlderHash is null || s.NewerHash is null);
        md.AppendLine(CultureInfo.InvariantCulture, $"{changed.Count} statement(s) planned differently, {same} the same on both majors{(unmatched > 0 ? $", {unmatched} without a plan on one of them (sent by one major's run only, or not explainable: COPY, REFRESH)" : "")}.");
        md.AppendLine();
        foreach (var s in changed)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"#### {s.Scenario}/{s.Variant}");
            md.AppendLine();
            md.AppendLine("```sql");
            md.AppendLine(SqlFormatter.Format(s.Sql));
            md.AppendLine("```");
            md.AppendLine();
            foreach (var c in s.Changes)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {c}");
            }

            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"PostgreSQL {p.Older}:");
            md.AppendLine();
            md.AppendLine("```");
            md.AppendLine(s.OlderShape);
            md.AppendLine("```");
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"PostgreSQL {p.Newer}:");
            md.AppendLine();
            md.AppendLine("```");
            md.AppendLine(s.NewerShape);
            md.AppendLine("```");
            md.AppendLine();
        }

        var unchanged = p.Statements.Where(s => !s.Changed && s.NewerShape is not null).ToList();
        if (unchanged.Count > 0)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"<details><summary>The {unchanged.Count} statement(s) planned alike</summary>");
            md.AppendLine();
            var t = new MarkdownTable("variant", "statement", "plan shape (top)");
            foreach (var s in unchanged)
            {
                t.Row($"{s.Scenario}/{s.Variant}", Markdown.Code(s.Sql.Length > 80 ? s.Sql[..80] + "…" : s.Sql), Markdown.Code(s.NewerShape!.Split('\n')[0].Trim()));
            }

            t.WriteTo(md);
            md.AppendLine("</details>");
            md.AppendLine();
        }
    }

    private static void Findings(StringBuilder md, MajorPair p)
    {
        md.AppendLine("### Findings that appear or disappear");
        md.AppendLine();
        var steady = p.Findings.Where(f => !f.FromTimings).ToList();
        var timed = p.Findings.Where(f => f.FromTimings).ToList();
        if (steady.Count == 0)
        {
            md.AppendLine("None: every variant raises the same findings about its plans and round trips on both majors.");
            md.AppendLine();
        }
        else
        {
            FindingTable(md, p, steady);
        }

        if (timed.Count > 0)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"<details><summary>{timed.Count} finding(s) from the time shares of one EXPLAIN ANALYZE (hot-node, planning-share, jit-share): these come and go between two runs on one server too</summary>");
            md.AppendLine();
            FindingTable(md, p, timed);
            md.AppendLine("</details>");
            md.AppendLine();
        }
    }

    private static void FindingTable(StringBuilder md, MajorPair p, IReadOnlyList<FindingAcross> findings)
    {
        var t = new MarkdownTable("variant", "finding", "where", $"on {p.Newer}", "what");
        foreach (var f in findings)
        {
            t.Row($"{f.Scenario}/{f.Variant}", Markdown.Code(f.Code), f.Where, f.Change, f.Message);
        }

        t.WriteTo(md);
    }

    private static void Defaults(StringBuilder md, MajorPair p)
    {
        md.AppendLine("### Server defaults that differ");
        md.AppendLine();
        md.AppendLine(p.LabSettingDifferences.Count == 0
            ? "The lab's own settings (shared_buffers, work_mem, random_page_cost, …) took the same values on both clusters. The built-in defaults below differ between the majors (pg_settings.boot_val); those that shape plans come first."
            : $"The lab's own settings did **not** all take the same values: {string.Join("; ", p.LabSettingDifferences)}.");
        md.AppendLine();
        var t = new MarkdownTable("setting", "change", $"default on {p.Older}", $"default on {p.Newer}", "category");
        foreach (var d in p.Defaults)
        {
            t.Row(d.Planner ? $"**{d.Name}**" : d.Name, d.Kind, d.Older is null ? "–" : Markdown.Code(d.Older), d.Newer is null ? "–" : Markdown.Code(d.Newer), d.Category);
        }

        if (t.Count == 0)
        {
            md.AppendLine("None.");
            md.AppendLine();
            return;
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"<details><summary>{t.Count} setting(s)</summary>");
        md.AppendLine();
        t.WriteTo(md);
        md.AppendLine("</details>");
        md.AppendLine();
    }

    public static string Key(int major) => major.ToString(CultureInfo.InvariantCulture);
}
