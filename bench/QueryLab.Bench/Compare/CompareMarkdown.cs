using System.Globalization;
using System.Net;
using System.Text;
using QueryLab.Bench.Reports;

namespace QueryLab.Bench.Compare;

/// <summary>
/// compare.md: the verdict and the regressions first (plan changes with both plans side by side), then
/// improvements, what could not be decided, added and removed variants, a chart of baseline against
/// candidate per scenario, everything unchanged folded away, and how it was decided.
/// </summary>
public static class CompareMarkdown
{
    public static string Render(CompareReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# QueryLab compare — {r.Candidate.RunId} against {r.Baseline.RunId}");
        md.AppendLine();
        md.AppendLine(Verdict(r));
        md.AppendLine();
        Runs(md, r);
        Warnings(md, r);

        md.AppendLine(CultureInfo.InvariantCulture, $"## Regressions ({r.Regressions.Count})");
        md.AppendLine();
        Table(md, r.Regressions, "None.");
        PlanChanges(md, r.Regressions);

        md.AppendLine(CultureInfo.InvariantCulture, $"## Improvements ({r.Improvements.Count})");
        md.AppendLine();
        Table(md, r.Improvements, "None.");

        if (r.Unknown.Count > 0)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"## Not decided ({r.Unknown.Count})");
            md.AppendLine();
            md.AppendLine("What the data cannot decide either way. These never fail a comparison.");
            md.AppendLine();
            var unknown = new MarkdownTable("scenario", "variant", "what", Column.Figures("baseline"), Column.Figures("candidate"), "change", "why");
            foreach (var c in r.Unknown)
            {
                // Time: an estimate only when the test ran. A counter shown but not gated: its change, and the note saying why.
                var change = c.Kind == ChangeKind.Counter || c.Time is not null ? c.ChangeText : "–";
                var why = c.Kind == ChangeKind.Plan ? c.ChangeText : c.Note ?? "";
                unknown.Row(c.Scenario, c.Variant, What(c), c.BaselineText, c.CandidateText, change, why);
            }

            unknown.WriteTo(md);
        }

        AddedRemoved(md, r);
        CompareChart.Render(md, r);
        Unchanged(md, r);
        Method(md, r);
        return md.ToString();
    }

    /// <summary>One line: the verdict and the counts.</summary>
    public static string Verdict(CompareReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var kinds = r.Regressions.GroupBy(c => c.Kind).OrderBy(g => g.Key).Select(g => $"{g.Count()} {Kind(g.Key)}");
        var head = r.Regressions.Count > 0
            ? $"**Verdict: regression** — {Plural(r.Regressions.Count, "regression")} ({string.Join(", ", kinds)})"
            : "**Verdict: no regression**";
        return head + $", {Plural(r.Improvements.Count, "improvement")}, {r.Unknown.Count} not decided, {r.Unchanged.Count} unchanged"
            + (r.Added.Count + r.Removed.Count > 0 ? $"; {r.Added.Count} variant(s) added, {r.Removed.Count} removed." : ".");
    }

    /// <summary>scenario | variant | kind | what | baseline | candidate | change.</summary>
    public static void Table(StringBuilder md, IReadOnlyList<MetricChange> changes, string none)
    {
        ArgumentNullException.ThrowIfNull(md);
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count == 0)
        {
            md.AppendLine(none);
            md.AppendLine();
            return;
        }

        var table = new MarkdownTable("scenario", "variant", "kind", "what", Column.Figures("baseline"), Column.Figures("candidate"), "change");
        foreach (var c in changes)
        {
            var baseline = c.Kind == ChangeKind.Plan ? Markdown.Code(c.BaselineText) : c.BaselineText;
            var candidate = c.Kind == ChangeKind.Plan ? Markdown.Code(c.CandidateText) : c.CandidateText;
            table.Row(c.Scenario, c.Variant, Kind(c.Kind), What(c), baseline, candidate, c.ChangeText);
        }

        table.WriteTo(md);
    }

    private static void Runs(StringBuilder md, CompareReport r)
    {
        new MarkdownTable("", "baseline", "candidate")
            .Row("run", r.Baseline.RunId, r.Candidate.RunId)
            .Row("commit", Markdown.Commit(r.Baseline.Commit, branch: r.Baseline.Branch), Markdown.Commit(r.Candidate.Commit, branch: r.Candidate.Branch))
            .Row("started", $"{r.Baseline.StartedAt:yyyy-MM-dd HH:mm} UTC", $"{r.Candidate.StartedAt:yyyy-MM-dd HH:mm} UTC")
            .Row("dataset, profile", $"scale {r.Baseline.Scale}, seed {r.Baseline.Seed}, {r.Baseline.Profile}", $"scale {r.Candidate.Scale}, seed {r.Candidate.Seed}, {r.Candidate.Profile}")
            .Row("results", Markdown.Code(r.Baseline.Path), Markdown.Code(r.Candidate.Path))
            .WriteTo(md);
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Counters and plans first (buffers, rows processed, temp blocks, WAL bytes and allocations: ±{CompareSettings.Pct(r.Method.CounterThreshold)}), then time (Mann–Whitney, Benjamini–Hochberg corrected, α = {r.Method.Alpha.ToString(CultureInfo.InvariantCulture)}, at least ±{CompareSettings.Pct(r.Method.TimeThreshold)}); see [How this was decided](#how-this-was-decided).");
        md.AppendLine();
    }

    private static void Warnings(StringBuilder md, CompareReport r)
    {
        foreach (var w in r.Warnings)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"> **Warning:** {w}");
            md.AppendLine();
        }
    }

    /// <summary>Each plan that changed shape: what changed, then both plans side by side.</summary>
    private static void PlanChanges(StringBuilder md, IReadOnlyList<MetricChange> regressions)
    {
        foreach (var c in regressions.Where(c => c.Plan is not null))
        {
            var p = c.Plan!;
            md.AppendLine(CultureInfo.InvariantCulture, $"### {c.Scenario} / {c.Variant}: {c.Metric} changed");
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"Statement: {Markdown.Code(Markdown.Cell(Short(c.Statement ?? "", 300)))}");
            md.AppendLine();
            foreach (var line in p.Changes)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {line}");
            }

            md.AppendLine();
            md.AppendLine("<table>");
            md.AppendLine(CultureInfo.InvariantCulture, $"<tr><th>baseline <code>{p.BaselineHash}</code></th><th>candidate <code>{p.CandidateHash}</code></th></tr>");
            md.AppendLine(CultureInfo.InvariantCulture, $"<tr><td><pre>{WebUtility.HtmlEncode(p.BaselineShape.TrimEnd())}</pre></td><td><pre>{WebUtility.HtmlEncode(p.CandidateShape.TrimEnd())}</pre></td></tr>");
            md.AppendLine("</table>");
            md.AppendLine();
        }
    }

    private static void AddedRemoved(StringBuilder md, CompareReport r)
    {
        if (r.Added.Count + r.Removed.Count == 0)
        {
            return;
        }

        md.AppendLine("## Added and removed variants");
        md.AppendLine();
        md.AppendLine("Variants only one run has: listed, not judged.");
        md.AppendLine();
        foreach (var a in r.Added)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- added: {a.Scenario} / {a.Variant}");
        }

        foreach (var a in r.Removed)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- removed: {a.Scenario} / {a.Variant}");
        }

        md.AppendLine();
    }

    private static void Unchanged(StringBuilder md, CompareReport r)
    {
        var variants = r.Unchanged.Select(c => (c.Scenario, c.Variant)).Distinct().Count();
        md.AppendLine("<details>");
        md.AppendLine(CultureInfo.InvariantCulture, $"<summary>Unchanged: {r.Unchanged.Count} comparisons over {variants} variants</summary>");
        md.AppendLine();
        if (r.Unchanged.Count > 0)
        {
            var unchanged = new MarkdownTable("scenario", "variant", "kind", "what", Column.Figures("baseline"), Column.Figures("candidate"), "change", "note");
            foreach (var c in r.Unchanged)
            {
                unchanged.Row(c.Scenario, c.Variant, Kind(c.Kind), What(c), c.BaselineText, c.CandidateText, c.ChangeText, c.Note);
            }

            unchanged.WriteTo(md);
        }

        md.AppendLine("</details>");
        md.AppendLine();
    }

    private static void Method(StringBuilder md, CompareReport r)
    {
        var m = r.Method;
        md.AppendLine("## How this was decided");
        md.AppendLine();
        md.AppendLine("1. **Counters and plans first**, per variant (matched by scenario and variant name), from the profiling pass: more round trips or statements per operation, another row count, or another plan shape for the same statement (matched by normalised SQL) is a regression whatever the clock says. "
            + $"Per statement, shared buffers (hit + read), rows processed (Σ actual rows × loops over the plan's nodes), temp blocks (read + written) and WAL bytes are regressions when up by more than {CompareSettings.Pct(m.CounterThreshold)} and improvements when down by more; these do not drift with machine noise. "
            + $"Allocated bytes per operation are gated the same way (±{CompareSettings.Pct(m.CounterThreshold)}) where both runs counted them in an allocation pass over the same operations and each run's passes agreed within half that; otherwise they are shown as unknown. "
            + "Shown but not gated: the rows of a parallel plan, WAL written by a read, and WAL whose full-page images differ (they depend on the run, not on the code). A counter one run lacks (an older run) is not compared.");
        md.AppendLine(CultureInfo.InvariantCulture, $"2. **Time second**, per variant, from BenchmarkDotNet's measured iterations: {m.TimeTest}.");
        md.AppendLine(CultureInfo.InvariantCulture, $"3. **Many comparisons at once**: {m.MultipleComparisons} (α = {m.Alpha.ToString(CultureInfo.InvariantCulture)}). Without it, 50 variants tested at α = 0.01 would flag at least one in about 4 of 10 comparisons of unchanged code; with it, the expected share of false alarms among the flagged stays at most α.");
        md.AppendLine(CultureInfo.InvariantCulture, $"4. **How much**: {m.TimeChange}, with a {m.ConfidenceInterval}. A time regression needs q ≤ α *and* a change of at least +{CompareSettings.Pct(m.TimeThreshold)}; an improvement q ≤ α and at least −{CompareSettings.Pct(m.TimeThreshold)}.");
        md.AppendLine("5. **Not decided** is not a failure: too few measurements for the test to reach α (with an exact test the smallest two-sided p is 2 / C(n+m, n): 5 per side at α = 0.01), a variant not timed, or a statement only one run sent.");
        md.AppendLine();
    }

    private static string What(MetricChange c) =>
        c.Statement is null ? c.Metric : $"{c.Metric} of {Markdown.Code(Short(c.Statement, 60))}";

    public static string Kind(ChangeKind k) => k switch
    {
        ChangeKind.Counter => "counter",
        ChangeKind.Plan => "plan",
        _ => "time",
    };

    private static string Plural(int n, string word) => n == 1 ? $"1 {word}" : $"{n} {word}s";

    private static string Short(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
