using QueryLab.Bench.Ab;
using QueryLab.Bench.Compare;
using QueryLab.Bench.Findings;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;
using QueryLab.Bench.Timing;
using QueryLab.Seed.Seeding;
using QueryLab.Tests.Compare;

namespace QueryLab.Tests.Reports;

/// <summary>
/// report.md a reviewer reads top to bottom, and scenarios/&lt;name&gt;.md beside it with each variant's SQL and plans:
/// rendered from runs built in memory into a temporary folder (the real run's are checked in BenchSmokeTests).
/// </summary>
[Trait("Category", "Serverless")]
public sealed class ReportSplitTests : IDisposable
{
    private const string PlanJson = """{ "Plan": { "Node Type": "Limit", "Plans": [ { "Node Type": "Index Scan" } ] }, "Execution Time": 0.05 }""";

    private readonly string _run = Directory.CreateTempSubdirectory("querylab-report-split-").FullName;

    public ReportSplitTests()
    {
        // The runs of CompareRuns name plans/p.json as every statement's plan file.
        Directory.CreateDirectory(Path.Combine(_run, "plans"));
        File.WriteAllText(Path.Combine(_run, "plans", "p.json"), PlanJson);
    }

    public void Dispose() => Directory.Delete(_run, recursive: true);

    [Fact]
    public void Report_md_links_a_file_per_scenario_which_links_back_and_to_the_plan_files()
    {
        var r = CompareRuns.Run();
        MarkdownReport.Write(r, _run);

        ReportFolder.AssertLinksResolve(_run, r);
        var report = File.ReadAllText(Path.Combine(_run, "report.md"));
        Assert.Contains("[ef-no-tracking](scenarios/pending-page.md#ef-no-tracking)", report, StringComparison.Ordinal); // each variant's row leads to its SQL
        var pending = File.ReadAllText(Path.Combine(_run, "scenarios", "pending-page.md"));
        Assert.Contains("[pending-page in report.md](../report.md#pending-page)", pending, StringComparison.Ordinal);
        Assert.Contains("[`plans/p.json`](../plans/p.json)", pending, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_run, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Each_statement_its_plan_tree_and_its_plan_JSON_are_in_the_scenario_file_and_not_in_report_md()
    {
        var r = CompareRuns.Run();
        MarkdownReport.Write(r, _run);

        var report = File.ReadAllText(Path.Combine(_run, "report.md"));
        var statements = ReportFolder.Statements(r).ToList();
        Assert.Equal(13, statements.Count); // one per variant of the three scenarios, three for in-transit's N+1
        foreach (var (s, variant, sql, tree) in statements)
        {
            var file = File.ReadAllText(Path.Combine(_run, "scenarios", s.Name + ".md"));
            Assert.Contains($"```sql\n{sql}\n", file, StringComparison.Ordinal);
            Assert.Contains($"```text\n{tree}\n```", file, StringComparison.Ordinal);
            Assert.DoesNotContain(sql, report, StringComparison.Ordinal);
            Assert.DoesNotContain(tree!, report, StringComparison.Ordinal);
            Assert.Contains($"## {variant}\n", file, StringComparison.Ordinal);
        }

        Assert.Contains("\"Node Type\":\"Index Scan\"", File.ReadAllText(Path.Combine(_run, "scenarios", "lookup-by-tracking-number.md")), StringComparison.Ordinal);
        foreach (var bulky in new[] { "```sql", "```text", "```json", "<details>" })
        {
            Assert.DoesNotContain(bulky, report, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Report_md_does_not_grow_with_the_statements_or_the_plans()
    {
        // What made report.md 474 KiB at small was SQL and plans; its size now follows the variants and findings only.
        var r = CompareRuns.Run();
        var inflated = ReportFolder.Inflated(r, 50);

        Assert.Equal(MarkdownReport.Render(r), MarkdownReport.Render(inflated));
        var sqlAndPlans = ReportFolder.Statements(r).Where(x => x.Scenario.Name == r.Scenarios[0].Name).Sum(x => x.Sql.Length + x.Tree!.Length);
        var grown = ScenarioFile.Render(inflated, inflated.Scenarios[0], null).Length - ScenarioFile.Render(r, r.Scenarios[0], null).Length;
        Assert.True(grown >= 49 * sqlAndPlans, $"the scenario file, where the SQL and plans are, grew by {grown} characters, not 49 × {sqlAndPlans}");
    }

    [Fact]
    public void Report_md_keeps_the_findings_one_line_each_with_the_variants_it_was_found_on()
    {
        var finding = new FindingRecord(Severity.Warning, FindingCodes.GenericPlanDiffers, "statement 1", "once prepared, a generic plan of another shape", FindingCodes.Of(FindingCodes.GenericPlanDiffers).Fix);
        var r = CompareRuns.Run();
        foreach (var v in new[] { "ef-no-tracking", "dapper" })
        {
            r = CompareRuns.With(r, "pending-page", v, x => CompareRuns.WithProfile(x, p => p with { Findings = [finding] }));
        }

        MarkdownReport.Write(r, _run);

        var report = File.ReadAllText(Path.Combine(_run, "report.md"));
        Assert.Contains("Findings (2 warning):", report, StringComparison.Ordinal);
        var line = Assert.Single(report.Split('\n'), l => l.Contains("`generic-plan-differs`", StringComparison.Ordinal));
        Assert.Equal(
            "- **warning** `generic-plan-differs` — [ef-no-tracking](scenarios/pending-page.md#ef-no-tracking), [dapper](scenarios/pending-page.md#dapper) (statement 1): "
            + $"once prepared, a generic plan of another shape. *Fix:* {finding.Fix}",
            line);
        Assert.Equal(2, File.ReadAllText(Path.Combine(_run, "scenarios", "pending-page.md")).Split("`generic-plan-differs` (statement 1)").Length - 1);
    }

    [Fact]
    public void A_run_timed_without_profiling_still_has_a_scenario_file_that_says_why_it_holds_no_SQL()
    {
        var r = CompareRuns.Run();
        r = r with { Scenarios = r.Scenarios.Select(s => s with { Variants = s.Variants.Select(v => v with { Profile = null }).ToList() }).ToList() };
        MarkdownReport.Write(r, _run);

        ReportFolder.AssertLinksResolve(_run, r);
        var file = File.ReadAllText(Path.Combine(_run, "scenarios", "pending-page.md"));
        Assert.Contains("| dapper | Dapper | dapper | – | – | – | not profiled (a run timed with --no-profile) |", file, StringComparison.Ordinal);
        Assert.DoesNotContain("plans/", file, StringComparison.Ordinal);
        Assert.DoesNotContain("scenarios/pending-page.md#", File.ReadAllText(Path.Combine(_run, "report.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Rewriting_a_run_folder_replaces_the_scenario_files_and_removes_those_of_scenarios_it_no_longer_holds()
    {
        var r = CompareRuns.Run();
        MarkdownReport.Write(r, _run);
        var fewer = r with { Scenarios = r.Scenarios.Where(s => s.Name != "pending-page").ToList() };
        fewer = CompareRuns.With(fewer, "lookup-by-tracking-number", "dapper", v => v with { Technique = "REWRITTEN" });

        MarkdownReport.Write(fewer, _run);

        ReportFolder.AssertLinksResolve(_run, fewer);
        Assert.False(File.Exists(Path.Combine(_run, "scenarios", "pending-page.md")));
        Assert.Contains("| Dapper | REWRITTEN |", File.ReadAllText(Path.Combine(_run, "scenarios", "lookup-by-tracking-number.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Abs_merged_run_writes_the_scenario_files_of_both_sides_and_copies_none_of_a_rounds()
    {
        var head = Path.Combine(_run, "head-1");
        var @base = Path.Combine(_run, "base-1");
        foreach (var side in new[] { head, @base })
        {
            RunFolder.CopyDirectory(Path.Combine(_run, "plans"), Path.Combine(side, "plans"));
            Directory.CreateDirectory(Path.Combine(side, "scenarios"));
            File.WriteAllText(Path.Combine(side, "scenarios", "a-round-only.md"), "a round's own scenario file");
        }

        var reports = Path.Combine(_run, "reports");
        var options = new AbOptions("HEAD", 1, BenchProfile.Smoke, null, null, [], new SeedRequest(Scale.Tiny), CompareSettings.Default, reports, "querylab ab --base-ref HEAD", new Bench.Lab.ServerChoice(null, "embedded"));
        var (folder, baseline, candidate) = MergedRun.Write([new SideRun(CompareRuns.Run(seed: 1), @base)], [new SideRun(CompareRuns.Run(seed: 2), head)], options);

        ReportFolder.AssertLinksResolve(folder, candidate);
        ReportFolder.AssertLinksResolve(Path.Combine(folder, "base"), baseline);
        Assert.False(Directory.Exists(Path.Combine(reports, $".{Path.GetFileName(folder)}.partial")));
    }
}
