using System.Text.Json;
using QueryLab.Bench.Results;
using QueryLab.Queries.Catalog;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>A smoke bench of the whole catalog on tiny: every variant timed once, BenchmarkDotNet's exports and the run folder written.</summary>
[Collection(LabCollection.Name)]
public sealed class BenchSmokeTests(LabFixture lab)
{
    [Fact]
    public async Task Smoke_bench_of_the_whole_catalog_writes_the_run_folder_and_BenchmarkDotNet_json()
    {
        var reports = Directory.CreateTempSubdirectory("querylab-reports").FullName;
        var r = await CliRunner.RunAsync(null, "bench", "--profile", "smoke", "--connection", lab.ConnectionString, "--reports", reports);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.DoesNotContain(lab.Password!, r.All, StringComparison.Ordinal);

        var runs = Directory.GetDirectories(reports).Where(d => !Path.GetFileName(d).StartsWith('.') && Path.GetFileName(d) != "latest").ToList();
        var run = Assert.Single(runs);
        Assert.True(File.Exists(Path.Combine(run, "report.md")));
        var bdnJson = Directory.GetFiles(Path.Combine(run, "benchmarkdotnet"), "*-report-full.json", SearchOption.AllDirectories);
        Assert.Single(bdnJson);
        using (var doc = JsonDocument.Parse(await File.ReadAllTextAsync(bdnJson[0])))
        {
            var expected = ScenarioCatalog.All.Sum(s => s.Variants.Count);
            Assert.InRange(doc.RootElement.GetProperty("Benchmarks").GetArrayLength(), 1, expected);
        }

        Assert.NotEmpty(Directory.GetFiles(Path.Combine(run, "benchmarkdotnet"), "*-report-github.md", SearchOption.AllDirectories));
        var results = ResultsJson.Read(run);
        Assert.Equal(ScenarioCatalog.All.Select(s => s.Name), results.Scenarios.Select(s => s.Name));
        Assert.Equal("tiny", results.Dataset.Scale);
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
        var password = lab.Password!;
        foreach (var f in Directory.GetFiles(reports, "*", SearchOption.AllDirectories))
        {
            Assert.DoesNotContain(password, await File.ReadAllTextAsync(f), StringComparison.Ordinal);
        }
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
