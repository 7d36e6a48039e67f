using System.Globalization;
using System.Text;
using QueryLab.Bench.Findings;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Reports;

/// <summary>
/// scenarios/&lt;name&gt;.md beside report.md: the detail of one scenario that a reviewer opens from report.md — per
/// variant its findings, each distinct statement as PostgreSQL received it (formatted, with the parameter values), its
/// plan tree, the generic plan when it differs, and the plan JSON (linked from plans/, inlined when small). Its links
/// are relative to the scenarios/ folder, so they work on a code host and in an editor.
/// </summary>
public static class ScenarioFile
{
    /// <summary>The folder of a run that holds the scenario files.</summary>
    public const string Folder = "scenarios";

    /// <summary>Plans up to this size are also inlined in the scenario file; larger ones are only linked.</summary>
    private const long MaxInlinePlanBytes = 12 * 1024;

    /// <summary>"scenarios/pending-page.md": where the scenario's file is, relative to the run folder.</summary>
    public static string PathOf(string scenario) => $"{Folder}/{scenario}.md";

    /// <summary>A link from report.md to the scenario's file, or to one variant's section of it.</summary>
    public static string Link(string scenario, string? variant = null) => variant is null ? PathOf(scenario) : $"{PathOf(scenario)}#{Markdown.Anchor(variant)}";

    /// <summary>The file of one scenario; <paramref name="runFolder"/> (where plans/ lives) lets small plans be inlined.</summary>
    public static string Render(RunResults r, ScenarioResult s, string? runFolder)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(s);
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# {s.Name} — {r.RunId}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"The statements and plans behind [{s.Name} in report.md](../report.md#{Markdown.Anchor(s.Name)}) (its chart, times and findings).");
        md.AppendLine();
        md.AppendLine(s.Description);
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"*Parameters:* {s.Parameters}");
        md.AppendLine();
        var index = new MarkdownTable("variant", "library", "technique", Column.Figures("statements"), Column.Figures("round trips"), Column.Figures("rows"), "findings");
        foreach (var v in s.Variants)
        {
            var p = v.Profile;
            var name = p is null ? v.Name : $"[{v.Name}](#{Markdown.Anchor(v.Name)})";
            index.Row(
                v.IsBaseline ? $"**{name}** (baseline)" : name, v.Library, v.Technique,
                p is null ? "–" : $"{p.Statements}", p is null ? "–" : $"{p.RoundTrips}", p is null ? "–" : Units.Count(p.Rows),
                p is null ? NotProfiled(s, v) : MarkdownReport.FindingCounts(p.Findings));
        }

        index.WriteTo(md);
        foreach (var v in s.Variants.Where(v => v.Profile is not null))
        {
            Variant(md, v, runFolder);
        }

        return md.ToString();
    }

    private static string NotProfiled(ScenarioResult s, VariantResultRecord v) =>
        !s.Verification.Passed ? "not profiled: the scenario failed verification"
        : v.NotRun is { } why ? $"not profiled: {why}"
        : "not profiled (a run timed with --no-profile)";

    private static void Variant(StringBuilder md, VariantResultRecord v, string? runFolder)
    {
        var p = v.Profile!;
        md.AppendLine(CultureInfo.InvariantCulture, $"## {v.Name}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"{(v.IsBaseline ? "The baseline. " : "")}{v.Library}, {v.Technique}: {p.Statements} statement(s) in {p.RoundTrips} round trip(s), {Units.Count(p.Rows)} row(s); findings: {MarkdownReport.FindingCounts(p.Findings)}.");
        md.AppendLine();
        foreach (var f in p.Findings.OrderByDescending(f => f.Severity))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- **{Severities.Name(f.Severity)}** `{f.Code}` ({f.Where}): {Markdown.Cell(f.Message)}. *Fix:* {Markdown.Cell(f.Fix)}");
        }

        if (p.Findings.Count > 0)
        {
            md.AppendLine();
        }

        foreach (var (st, i) in p.DistinctStatements.Select((st, i) => (st, i + 1)))
        {
            Statement(md, st, i, runFolder);
        }
    }

    private static void Statement(StringBuilder md, StatementRecord st, int i, string? runFolder)
    {
        md.AppendLine(CultureInfo.InvariantCulture, $"**Statement {i}** — sent {st.Executions} time(s) per operation{(st.Plan is null ? "" : st.Plan.Estimated ? $"; not executed to the end (the plan is the planner's estimate), plan shape `{st.Plan.ShapeHash}`" : $"; execution {Units.Ms(st.Plan.ExecutionMs)}, planning {Units.Ms(st.Plan.PlanningMs)}, shared buffers {Units.Count(st.Plan.SharedHit)} hit / {Units.Count(st.Plan.SharedRead)} read{(st.Plan.CacheHitRate is { } h ? $" ({Units.Percent(h)} from cache)" : "")}{Work(st.Plan)}, plan shape `{st.Plan.ShapeHash}`")}");
        md.AppendLine();
        md.AppendLine("```sql");
        md.AppendLine(SqlFormatter.Format(st.Sql));
        if (st.Parameters.Count > 0)
        {
            md.AppendLine("-- parameters: " + string.Join(", ", st.Parameters));
        }

        md.AppendLine("```");
        if (st.Note is not null)
        {
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"*{Markdown.Cell(st.Note)}*");
        }

        if (st.Plan is not null)
        {
            md.AppendLine();
            md.AppendLine(st.Plan.Estimated
                ? "Plan (with these values, as the planner estimated it; est is its row estimate per loop):"
                : "Plan (with these values, warm cache; ◀ marks the nodes that take the time):");
            md.AppendLine();
            md.AppendLine("```text");
            md.AppendLine(st.Plan.Tree.TrimEnd());
            md.AppendLine("```");
        }

        if (st.GenericPlanDiffers == true && st.GenericPlan is not null)
        {
            md.AppendLine();
            md.AppendLine("**The generic plan differs** — what the server runs once the statement is prepared and it switches plans:");
            foreach (var c in st.GenericPlanChanges)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {Markdown.Cell(c)}");
            }

            md.AppendLine();
            md.AppendLine("```text");
            md.AppendLine(st.GenericPlan.Tree.TrimEnd());
            md.AppendLine("```");
        }
        else if (st.GenericPlanDiffers == false)
        {
            md.AppendLine();
            md.AppendLine("The generic plan (once prepared) has the same shape.");
        }

        if (st.PlanFile is not null)
        {
            PlanJson(md, st, runFolder);
        }

        md.AppendLine();
    }

    /// <summary>The plan files, linked from scenarios/ (one folder down), and the plan itself when it is small.</summary>
    private static void PlanJson(StringBuilder md, StatementRecord st, string? runFolder)
    {
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Plan JSON, ready for a plan visualiser: [`{st.PlanFile}`](../{st.PlanFile}){(st.GenericPlanFile is null ? "" : $", generic: [`{st.GenericPlanFile}`](../{st.GenericPlanFile})")}.");
        var file = runFolder is null ? null : new FileInfo(Path.Combine(runFolder, st.PlanFile!));
        if (file is not { Exists: true } || file.Length > MaxInlinePlanBytes)
        {
            return;
        }

        md.AppendLine();
        md.AppendLine("<details><summary>the full JSON plan</summary>");
        md.AppendLine();
        md.AppendLine("```json");
        md.AppendLine(Minified(File.ReadAllText(file.FullName)));
        md.AppendLine("```");
        md.AppendLine();
        md.AppendLine("</details>");
    }

    private static string Minified(string json)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        return System.Text.Json.JsonSerializer.Serialize(doc.RootElement);
    }

    /// <summary>", rows processed 154, temp blocks 12, WAL 60.2 KiB (721 records)": the executor's counters a plan has, each once per execution.</summary>
    private static string Work(PlanSummary p) =>
        (p.RowsProcessed is { } rows ? $", rows processed {Units.Count(rows)}{(p.Parallel == true ? " (parallel)" : "")}" : "")
        + (p.TempBlocks > 0 ? $", temp blocks {Units.Count(p.TempBlocks)}" : "")
        + (p.WalBytes is > 0 ? $", WAL {Units.Bytes(p.WalBytes)} ({Units.Count(p.WalRecords ?? 0)} records{(p.WalFpi is > 0 ? $", {Units.Count(p.WalFpi.Value)} full-page images" : "")})" : "");
}
