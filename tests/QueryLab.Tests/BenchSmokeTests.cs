using System.Text.Json;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;
using QueryLab.Queries.Catalog;
using QueryLab.Tests.Infrastructure;
using QueryLab.Tests.Reports;

namespace QueryLab.Tests;

/// <summary>A smoke bench of the whole catalog on tiny: every variant timed once, BenchmarkDotNet's exports and the run folder written.</summary>
[Collection(LabCollection.Name)]
public sealed class BenchSmokeTests(LabFixture lab)
{
    [Fact]
    public async Task Smoke_bench_of_the_whole_catalog_writes_the_run_folder_and_BenchmarkDotNet_json()
    {
        var reports = Directory.CreateTempSubdirectory("querylab-reports").FullName;
        var before = await TableStateAsync();
        var r = await CliRunner.RunAsync(null, "bench", "--profile", "smoke", "--connection", lab.ConnectionString, "--reports", reports);
        Assert.True(r.ExitCode == 0, r.All);

        // Write scenarios ran (timed and profiled) inside transactions that were rolled back: the data is as seeded.
        Assert.Equal(before, await TableStateAsync());
        Assert.DoesNotContain(lab.Password!, r.All, StringComparison.Ordinal);

        var runs = Directory.GetDirectories(reports).Where(d => !Path.GetFileName(d).StartsWith('.') && Path.GetFileName(d) != "latest").ToList();
        var run = Assert.Single(runs);
        Assert.True(File.Exists(Path.Combine(run, "report.md")));
        var results = ResultsJson.Read(run);

        // BenchmarkDotNet's exports hold one benchmark per variant that ran here (every variant but those not runnable on this machine).
        var ran = results.Scenarios.Sum(s => s.Variants.Count(v => v.NotRun is null));
        Assert.True(ran >= ScenarioCatalog.All.Sum(s => s.Variants.Count(v => !v.Name.Contains("pgbouncer", StringComparison.Ordinal))), $"{ran} variants ran");
        var bdnJson = Assert.Single(Directory.GetFiles(Path.Combine(run, "benchmarkdotnet"), "*-report-full.json", SearchOption.AllDirectories));
        using (var doc = JsonDocument.Parse(await File.ReadAllTextAsync(bdnJson)))
        {
            Assert.Equal(ran, doc.RootElement.GetProperty("Benchmarks").GetArrayLength());
        }

        var github = Assert.Single(Directory.GetFiles(Path.Combine(run, "benchmarkdotnet"), "*-report-github.md", SearchOption.AllDirectories));
        Assert.Contains("npgsql-prepared", await File.ReadAllTextAsync(github), StringComparison.Ordinal);
        Assert.Equal(ScenarioCatalog.All.Select(s => s.Name), results.Scenarios.Select(s => s.Name));
        Assert.Equal("tiny", results.Dataset.Scale);
        Assert.Equal(["carriers", "shipments", "tracking_events", "transactions"], results.Dataset.PlannerStatistics!.Keys.Order(StringComparer.Ordinal)); // what compare checks
        foreach (var s in results.Scenarios)
        {
            Assert.True(s.Verification.Passed, s.Name);
            foreach (var v in s.Variants.Where(v => v.NotRun is null))
            {
                Assert.NotNull(v.Timing);
                Assert.True(v.Timing!.MeanNs > 0, $"{s.Name}/{v.Name}");
            }
        }

        Assert.Equal(Path.GetFileName(run), (await File.ReadAllTextAsync(Path.Combine(reports, "latest", "RUN_ID"))).Trim());

        // The profiling pass recorded round trips and plans; the report shows them.
        var lookup = results.Scenarios.Single(s => s.Name == "lookup-by-tracking-number");
        Assert.All(lookup.Variants, v => Assert.Equal(1, v.Profile!.RoundTrips));
        Assert.All(lookup.Variants, v => Assert.True(File.Exists(Path.Combine(run, v.Profile!.DistinctStatements[0].PlanFile!))));
        var nPlusOne = results.Scenarios.Single(s => s.Name == "in-transit-with-carrier-and-latest-event").Variants.Single(v => v.Name == "ef-n-plus-1");
        Assert.Contains(nPlusOne.Profile!.Findings, f => f.Code == "n-plus-one");
        var report = await File.ReadAllTextAsync(Path.Combine(run, "report.md"));
        Assert.Contains("Look at these first", report, StringComparison.Ordinal);
        Assert.Contains("ef-n-plus-1** is an N+1", report, StringComparison.Ordinal);
        Assert.Contains("```mermaid", report, StringComparison.Ordinal);
        AssertSplit(run, results, report);

        // `querylab report` regenerates report.md and scenarios/ from results.json alone.
        var scenarioFiles = Directory.GetFiles(Path.Combine(run, "scenarios")).ToDictionary(f => Path.GetFileName(f), File.ReadAllText);
        var json = await File.ReadAllTextAsync(Path.Combine(run, "results.json"));
        await File.WriteAllTextAsync(Path.Combine(run, "results.json"), json.Replace("the hottest read of a logistics API", "EDITED-IN-RESULTS-JSON", StringComparison.Ordinal));
        File.Delete(Path.Combine(run, "report.md"));
        Directory.Delete(Path.Combine(run, "scenarios"), recursive: true);
        var regenerated = await CliRunner.RunAsync(null, "report", run);
        Assert.True(regenerated.ExitCode == 0, regenerated.All);
        Assert.Contains("EDITED-IN-RESULTS-JSON", await File.ReadAllTextAsync(Path.Combine(run, "report.md")), StringComparison.Ordinal);
        ReportFolder.AssertLinksResolve(run, ResultsJson.Read(run));
        foreach (var (name, text) in scenarioFiles)
        {
            var again = await File.ReadAllTextAsync(Path.Combine(run, "scenarios", name));
            Assert.Equal(name == "lookup-by-tracking-number.md" ? text.Replace("the hottest read of a logistics API", "EDITED-IN-RESULTS-JSON", StringComparison.Ordinal) : text, again);
        }

        var password = lab.Password!;
        foreach (var f in Directory.GetFiles(reports, "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(password, await File.ReadAllTextAsync(f), StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// report.md of the real run links every scenario file, which holds each variant's SQL, plan tree and plan file links;
    /// report.md holds none of them, and is byte-identical when every statement and plan tree is ten times longer.
    /// </summary>
    private static void AssertSplit(string run, RunResults results, string report)
    {
        ReportFolder.AssertLinksResolve(run, results);
        var statements = ReportFolder.Statements(results).ToList();
        Assert.True(statements.Count >= results.Scenarios.Sum(s => s.Variants.Count(v => v.Profile is not null)), $"{statements.Count} statements");
        foreach (var (s, variant, sql, tree) in statements)
        {
            var file = File.ReadAllText(Path.Combine(run, "scenarios", s.Name + ".md"));
            Assert.Contains($"```sql\n{sql}", file, StringComparison.Ordinal);
            Assert.DoesNotContain(sql, report, StringComparison.Ordinal);
            if (tree is not null)
            {
                Assert.Contains(tree, file, StringComparison.Ordinal);
                Assert.DoesNotContain(tree, report, StringComparison.Ordinal);
            }
        }

        foreach (var bulky in new[] { "```sql", "```text", "```json", "<details>", "](plans/" })
        {
            Assert.DoesNotContain(bulky, report, StringComparison.Ordinal);
        }

        Assert.Equal(MarkdownReport.Render(results), MarkdownReport.Render(ReportFolder.Inflated(results, 10)));
    }

    private async Task<string> TableStateAsync()
    {
        await using var cmd = lab.DataSource.CreateCommand(
            """
            SELECT concat_ws(' ',
                (SELECT count(*) FROM querylab.shipments), (SELECT count(*) FROM querylab.tracking_events),
                (SELECT count(*) FROM querylab.transactions), (SELECT count(*) FROM querylab.shipments WHERE status = 'delivered'),
                (SELECT md5(string_agg(id::text || status || updated_at::text, ',' ORDER BY id)) FROM querylab.shipments))
            """);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Report_of_a_corrupt_or_missing_results_json_is_exit_2()
    {
        var dir = Directory.CreateTempSubdirectory("querylab-corrupt").FullName;
        Assert.Equal(2, (await CliRunner.RunAsync(null, "report", dir)).ExitCode);
        await File.WriteAllTextAsync(Path.Combine(dir, "results.json"), "{\"schemaVersion\": 1, \"runId\": \"x\", \"scen");
        var truncated = await CliRunner.RunAsync(null, "report", dir);
        Assert.Equal(2, truncated.ExitCode);
        Assert.Contains("truncated or corrupt", truncated.Err, StringComparison.Ordinal);
        await File.WriteAllTextAsync(Path.Combine(dir, "results.json"), "{\"schemaVersion\": 99}");
        var future = await CliRunner.RunAsync(null, "report", dir);
        Assert.Equal(2, future.ExitCode);
        Assert.Contains("schema version 99", future.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_profile_and_unmatched_scenario_are_exit_2_with_the_choices()
    {
        var p = await CliRunner.RunAsync(null, "bench", "--profile", "turbo", "--connection", lab.ConnectionString);
        Assert.Equal(2, p.ExitCode);
        Assert.Contains("smoke, ci, release", p.Err, StringComparison.Ordinal);
        var s = await CliRunner.RunAsync(null, "bench", "--scenario", "no-such-*", "--connection", lab.ConnectionString);
        Assert.Equal(2, s.ExitCode);
        Assert.Contains("lookup-by-tracking-number", s.Err, StringComparison.Ordinal);
    }
}

/// <summary>Two measuring runs against one database at once: the second refuses.</summary>
[Collection(LabCollection.Name)]
public sealed class BenchConcurrencyTests(LabFixture lab)
{
    [Fact]
    public async Task A_second_measuring_run_is_refused_while_one_holds_the_database()
    {
        // Hold the lock the way a running bench does (a session advisory lock), then start a bench.
        await using var conn = await lab.DataSource.OpenConnectionAsync();
        await using (var cmd = new Npgsql.NpgsqlCommand("SELECT pg_advisory_lock($1)", conn))
        {
            cmd.Parameters.AddWithValue(0x5175_6572_794C_6D02L);
            await cmd.ExecuteNonQueryAsync();
        }

        var reports = Directory.CreateTempSubdirectory("querylab-locked").FullName;
        CliRunner.Result r;
        try
        {
            r = await CliRunner.RunAsync(null, "bench", "--profile", "smoke", "--scenario", "lookup-by-tracking-number", "--connection", lab.ConnectionString, "--reports", reports);
        }
        finally
        {
            // Pooled connections are reset lazily: release the session lock explicitly.
            await using var unlock = new Npgsql.NpgsqlCommand("SELECT pg_advisory_unlock($1)", conn);
            unlock.Parameters.AddWithValue(0x5175_6572_794C_6D02L);
            await unlock.ExecuteNonQueryAsync();
        }

        Assert.Equal(3, r.ExitCode);
        Assert.Contains("another QueryLab measuring run", r.Err, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(reports));
    }
}
