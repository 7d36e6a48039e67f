using System.Globalization;
using System.Text;
using QueryLab.Bench.Findings;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Reports;

/// <summary>The report's profiling parts: what to look at first, counters, and each variant's SQL, plan and findings.</summary>
public static partial class MarkdownReport
{
    private static void LookFirst(StringBuilder md, RunResults r)
    {
        var items = new List<(int Rank, string Text)>();
        foreach (var s in r.Scenarios)
        {
            if (!s.Verification.Passed)
            {
                items.Add((0, $"**{s.Name}**: variants disagree with the baseline ({string.Join(", ", s.Verification.Mismatches.Select(m => m.Variant))}) — not timed."));
            }

            foreach (var v in s.Variants)
            {
                foreach (var f in v.Profile?.Repeated.Where(x => x.IsNPlusOne) ?? [])
                {
                    items.Add((1, $"**{s.Name} / {v.Name}** is an N+1: one statement ran {f.Count} times per operation, each in its own round trip ({v.Profile!.RoundTrips} round trips in all)."));
                }

                foreach (var f in v.Profile?.Findings.Where(f => f.Severity == Severity.Critical && f.Code != FindingCodes.NPlusOne) ?? [])
                {
                    items.Add((2, $"**{s.Name} / {v.Name}**: {f.Message} ({f.Where}) — {f.Fix}."));
                }

                if (v.RatioToBaseline is > 3)
                {
                    items.Add((3, $"**{s.Name} / {v.Name}** takes {Units.Ratio(v.RatioToBaseline)} the baseline's time ({Units.Time(v.Timing!.MeanNs)})."));
                }

                foreach (var st in v.Profile?.DistinctStatements.Where(st => st.GenericPlanDiffers == true) ?? [])
                {
                    items.Add((4, $"**{s.Name} / {v.Name}**: once prepared, PostgreSQL would switch to a generic plan of another shape ({string.Join("; ", st.GenericPlanChanges.Take(2))})."));
                }
            }
        }

        md.AppendLine("**Look at these first:**");
        md.AppendLine();
        if (items.Count == 0)
        {
            md.AppendLine("Nothing stands out: every scenario verified, no N+1, no critical plan finding, no variant above 3× raw.");
        }

        foreach (var (i, (_, text)) in items.OrderBy(x => x.Rank).Take(3).Index())
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"{i + 1}. {text}");
        }

        if (items.Count > 3)
        {
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"…and {items.Count - 3} more in the scenarios below.");
        }

        md.AppendLine();
    }

    private static string RoundTripRange(ScenarioResult s)
    {
        var rts = s.Variants.Where(v => v.Profile is not null).Select(v => v.Profile!.RoundTrips).ToList();
        return rts.Count == 0 ? "–" : rts.Min() == rts.Max() ? $"{rts.Min()}" : $"{rts.Min()}–{rts.Max()}";
    }

    private static string FindingCounts(IEnumerable<FindingRecord> findings)
    {
        var counts = Severities.Counts(findings.Select(f => f.Severity));
        return counts.Length == 0 ? "none" : counts;
    }

    /// <summary>", rows processed 154, temp blocks 12, WAL 60.2 KiB (721 records)": the executor's counters a plan has, each once per execution.</summary>
    private static string Work(PlanSummary p) =>
        (p.RowsProcessed is { } rows ? $", rows processed {Units.Count(rows)}{(p.Parallel == true ? " (parallel)" : "")}" : "")
        + (p.TempBlocks > 0 ? $", temp blocks {Units.Count(p.TempBlocks)}" : "")
        + (p.WalBytes is > 0 ? $", WAL {Units.Bytes(p.WalBytes)} ({Units.Count(p.WalRecords ?? 0)} records{(p.WalFpi is > 0 ? $", {Units.Count(p.WalFpi.Value)} full-page images" : "")})" : "");

    /// <summary>Plans up to this size are also inlined in the report; larger ones are only linked.</summary>
    private const long MaxInlinePlanBytes = 12 * 1024;

    private static string Minified(string json)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        return System.Text.Json.JsonSerializer.Serialize(doc.RootElement);
    }

    private static void VariantDetail(StringBuilder md, ScenarioResult s, VariantResultRecord v, string? runFolder)
    {
        var p = v.Profile!;
        md.AppendLine("<details>");
        md.AppendLine(CultureInfo.InvariantCulture,
            $"<summary><b>{v.Name}</b> — {p.Statements} statement(s) in {p.RoundTrips} round trip(s), {Units.Count(p.Rows)} row(s); findings: {FindingCounts(p.Findings)}</summary>");
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
            md.AppendLine(CultureInfo.InvariantCulture, $"**Statement {i}** — sent {st.Executions} time(s) per operation{(st.Plan is null ? "" : $"; execution {Units.Ms(st.Plan.ExecutionMs)}, planning {Units.Ms(st.Plan.PlanningMs)}, shared buffers {Units.Count(st.Plan.SharedHit)} hit / {Units.Count(st.Plan.SharedRead)} read{(st.Plan.CacheHitRate is { } h ? $" ({Units.Percent(h)} from cache)" : "")}{Work(st.Plan)}, plan shape `{st.Plan.ShapeHash}`")}");
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
                md.AppendLine("Plan (with these values, warm cache; ◀ marks the nodes that take the time):");
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
                md.AppendLine();
                md.AppendLine(CultureInfo.InvariantCulture, $"Plan JSON, ready for a plan visualiser: [`{st.PlanFile}`]({st.PlanFile}){(st.GenericPlanFile is null ? "" : $", generic: [`{st.GenericPlanFile}`]({st.GenericPlanFile})")}.");
                if (runFolder is not null && File.Exists(Path.Combine(runFolder, st.PlanFile)) && new FileInfo(Path.Combine(runFolder, st.PlanFile)).Length <= MaxInlinePlanBytes)
                {
                    md.AppendLine();
                    md.AppendLine("<details><summary>the full JSON plan</summary>");
                    md.AppendLine();
                    md.AppendLine("```json");
                    md.AppendLine(Minified(File.ReadAllText(Path.Combine(runFolder, st.PlanFile))));
                    md.AppendLine("```");
                    md.AppendLine();
                    md.AppendLine("</details>");
                }
            }

            md.AppendLine();
        }

        md.AppendLine("</details>");
        md.AppendLine();
        _ = s;
    }
}
