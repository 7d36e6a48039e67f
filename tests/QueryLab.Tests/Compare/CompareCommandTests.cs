using System.Text.Json;
using QueryLab.Bench.Results;
using static QueryLab.Tests.Compare.CompareRuns;

namespace QueryLab.Tests.Compare;

/// <summary>`querylab compare` end to end on runs written to temporary folders: verdicts, exit codes, compare.md and compare.json.</summary>
[Trait("Category", "Serverless")]
public class CompareCommandTests
{
    [Fact]
    public async Task Identical_runs_have_no_regression()
    {
        using var t = TempRuns.Of(Run(), Run());
        var r = await t.CompareAsync();

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("compare: no regression", r.Out);
        Assert.Contains("**Verdict: no regression**", t.CompareMd);
        using var json = JsonDocument.Parse(t.CompareJson);
        Assert.Equal(1, json.RootElement.GetProperty("schemaVersion").GetInt32());
        Assert.Equal("no regression", json.RootElement.GetProperty("verdict").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("regressions").GetArrayLength());
        Assert.Equal(0, json.RootElement.GetProperty("improvements").GetArrayLength());
        Assert.Equal(0, json.RootElement.GetProperty("unknown").GetArrayLength());
        Assert.True(json.RootElement.GetProperty("unchanged").GetArrayLength() > 11 * 5); // every counter, plan and time of 11 variants
    }

    [Fact]
    public async Task An_extra_round_trip_is_a_counter_regression_whatever_the_clock_says()
    {
        var candidate = With(Run(), "lookup-by-tracking-number", "dapper", v => WithProfile(v, p => p with { RoundTrips = 2, Statements = 2 }));
        using var t = TempRuns.Of(Run(), candidate);
        var r = await t.CompareAsync();

        Assert.True(r.ExitCode == 1, r.All);
        Assert.Contains("lookup-by-tracking-number / dapper: counter round trips: 1 → 2, +1", r.Out);
        Assert.Contains("| lookup-by-tracking-number | dapper | counter | round trips | 1 | 2 | +1 |", t.CompareMd);
        Assert.Contains("| lookup-by-tracking-number | dapper | counter | statements | 1 | 2 | +1 |", t.CompareMd);
        using var json = JsonDocument.Parse(t.CompareJson);
        var regressions = json.RootElement.GetProperty("regressions").EnumerateArray().ToList();
        Assert.Equal(2, regressions.Count);
        Assert.All(regressions, x => Assert.Equal("counter", x.GetProperty("kind").GetString()));
        Assert.Equal(2, regressions[0].GetProperty("candidate").GetDouble());
    }

    [Fact]
    public async Task A_changed_plan_shape_is_a_plan_regression_shown_with_both_plans()
    {
        var candidate = With(Run(), "pending-page", "dapper", v => WithPlans(v, _ => Plan(PendingSeqShape, 57)));
        using var t = TempRuns.Of(Run(), candidate);
        var r = await t.CompareAsync();

        Assert.True(r.ExitCode == 1, r.All);
        var md = t.CompareMd;
        Assert.Contains("| pending-page | dapper | plan | plan shape of `SELECT s.id, s.tracking_number, s.created_at FROM querylab.…` | `cf0a6d30ac1062cb` | `4e7d3dc86fc448b5` | added Sort above", md);
        Assert.Contains("### pending-page / dapper: plan shape changed", md);
        Assert.Contains("- added Sort above Index Scan using shipments_status_created_at_idx on shipments (under Limit)", md);
        Assert.Contains("- scan changed: Index Scan using shipments_status_created_at_idx on shipments → Seq Scan on shipments (under Sort)", md);
        Assert.Contains("<pre>Limit\n  Index Scan using shipments_status_created_at_idx on shipments</pre>", md);
        Assert.Contains("<pre>Limit\n  Sort\n    Seq Scan on shipments</pre>", md);
        Assert.Contains($"<code>{Bench.Plans.PlanShape.Hash(PendingShape)}</code>", md);
        Assert.Contains($"<code>{Bench.Plans.PlanShape.Hash(PendingSeqShape)}</code>", md);

        using var json = JsonDocument.Parse(t.CompareJson);
        var plan = json.RootElement.GetProperty("regressions")[0].GetProperty("plan");
        Assert.Equal(PendingShape, plan.GetProperty("baselineShape").GetString());
        Assert.Equal(PendingSeqShape, plan.GetProperty("candidateShape").GetString());
        Assert.Equal(2, plan.GetProperty("changes").GetArrayLength());
    }

    [Fact]
    public async Task Measurements_25_percent_slower_are_a_time_regression()
    {
        var candidate = With(Run(seed: 2), "pending-page", "ef-no-tracking", v => Scaled(v, 1.25));
        using var t = TempRuns.Of(Run(seed: 1), candidate);
        var r = await t.CompareAsync();

        Assert.True(r.ExitCode == 1, r.All);
        Assert.Contains("pending-page / ef-no-tracking: time median time:", r.Out);
        using var json = JsonDocument.Parse(t.CompareJson);
        var regression = Assert.Single(json.RootElement.GetProperty("regressions").EnumerateArray());
        Assert.Equal("time", regression.GetProperty("kind").GetString());
        var time = regression.GetProperty("time");
        Assert.InRange(time.GetProperty("ratio").GetDouble(), 1.20, 1.30);
        Assert.True(time.GetProperty("ratioLower").GetDouble() > 1.10);
        Assert.True(time.GetProperty("ratioUpper").GetDouble() < 1.40);
        Assert.True(time.GetProperty("adjustedPValue").GetDouble() <= 0.01);
        Assert.Equal(15, time.GetProperty("baselineSamples").GetInt32());
        Assert.Matches(@"\| pending-page \| ef-no-tracking \| time \| median time \| \d+ µs \| \d+ µs \| \+2\d\.\d% \(99% CI \+\d+\.\d% … \+\d+\.\d%\) \|", t.CompareMd);
    }

    [Fact]
    public async Task Measurements_3_percent_slower_are_unchanged()
    {
        var candidate = With(Run(seed: 2), "pending-page", "ef-no-tracking", v => Scaled(v, 1.03));
        using var t = TempRuns.Of(Run(seed: 1), candidate);
        var r = await t.CompareAsync();

        Assert.True(r.ExitCode == 0, r.All);
        using var json = JsonDocument.Parse(t.CompareJson);
        Assert.Equal(0, json.RootElement.GetProperty("regressions").GetArrayLength());
        var time = json.RootElement.GetProperty("unchanged").EnumerateArray()
            .Single(c => c.GetProperty("variant").GetString() == "ef-no-tracking" && c.GetProperty("scenario").GetString() == "pending-page" && c.GetProperty("kind").GetString() == "time");
        Assert.InRange(time.GetProperty("relativeChange").GetDouble(), 0.0, 0.06);
    }

    [Fact]
    public async Task Noisy_runs_of_the_same_distribution_are_unchanged()
    {
        using var t = TempRuns.Of(Run(seed: 11, cv: 0.12), Run(seed: 12, cv: 0.12, runId: "20260102-120000-small-ci"));
        var r = await t.CompareAsync();

        Assert.True(r.ExitCode == 0, r.All);
        using var json = JsonDocument.Parse(t.CompareJson);
        Assert.Equal(0, json.RootElement.GetProperty("regressions").GetArrayLength());
        Assert.Equal(0, json.RootElement.GetProperty("improvements").GetArrayLength());
        Assert.Equal(11, json.RootElement.GetProperty("unchanged").EnumerateArray().Count(c => c.GetProperty("kind").GetString() == "time"));
    }

    public static TheoryData<string, string> Manifests => new()
    {
        { "scale", "scale small vs medium" },
        { "seed", "seed 42 vs 7" },
        { "rows", "row counts shipments 100,000 vs 99,999" },
        { "generator", "generator version 3 vs 4" },
    };

    [Theory]
    [MemberData(nameof(Manifests))]
    public async Task Another_dataset_cannot_be_compared(string what, string reason)
    {
        var c = Run();
        var d = c.Dataset;
        c = c with
        {
            Dataset = what switch
            {
                "scale" => d with { Scale = "medium" },
                "seed" => d with { Seed = 7 },
                "rows" => d with { RowCounts = new Dictionary<string, long>(d.RowCounts) { ["shipments"] = 99_999 } },
                _ => d with { GeneratorVersion = "4" },
            },
        };
        using var t = TempRuns.Of(Run(), c);
        var r = await t.CompareAsync();

        Assert.True(r.ExitCode == 2, r.All);
        Assert.Contains(reason, r.Err);
        Assert.Single(r.Err.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(t.Candidate, "compare.md")));
    }

    [Fact]
    public async Task Another_profile_or_server_major_version_cannot_be_compared()
    {
        var c = Run() with { Profile = new ProfileInfo("release", "BenchmarkDotNet's default accuracy", "default") };
        c = c with { Server = c.Server with { MajorVersion = 17, Version = "PostgreSQL 17.2" } };
        using var t = TempRuns.Of(Run(), c);
        var r = await t.CompareAsync();

        Assert.True(r.ExitCode == 2, r.All);
        Assert.Contains("PostgreSQL 16 vs 17; profile ci vs release", r.Err);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("not json")]
    [InlineData("other schema")]
    public async Task A_corrupt_results_file_is_a_clear_error(string how)
    {
        using var t = TempRuns.Of(Run(), Run());
        var file = Path.Combine(t.Candidate, "results.json");
        var text = File.ReadAllText(file);
        File.WriteAllText(file, how switch
        {
            "truncated" => text[..(text.Length / 2)],
            "not json" => "<html>502 Bad Gateway</html>",
            _ => text.Replace("\"schemaVersion\": 1", "\"schemaVersion\": 99", StringComparison.Ordinal),
        });
        var r = await t.CompareAsync();

        Assert.True(r.ExitCode == 2, r.All);
        Assert.StartsWith($"error: {file}", r.Err);
        Assert.Matches("truncated or corrupt|schema version 99", r.Err);
    }

    [Theory]
    [InlineData("truncated", "is not valid JSON (truncated or corrupt")]
    [InlineData("corrupt", "is not valid JSON (truncated or corrupt")]
    [InlineData("empty", "is not valid JSON (truncated or corrupt")]
    [InlineData("no schema version", "is not a QueryLab results.json (no schemaVersion)")]
    [InlineData("other schema version", "has schema version 2, this QueryLab reads version 1")]
    [InlineData("other manifest", "seed 7 vs 42 (baseline vs candidate)")]
    public async Task A_baseline_that_cannot_be_used_is_exit_2_with_one_line_and_no_comparison(string how, string reason)
    {
        var baseline = how == "other manifest" ? Run() with { Dataset = Run().Dataset with { Seed = 7 } } : Run();
        using var t = TempRuns.Of(baseline, Run());
        var file = Path.Combine(t.Baseline, "results.json");
        var text = File.ReadAllText(file);
        switch (how)
        {
            case "truncated": File.WriteAllText(file, text[..(text.Length * 2 / 3)]); break;
            case "corrupt": File.WriteAllText(file, text.Replace("\"scenarios\": [", "\"scenarios\": [}{", StringComparison.Ordinal)); break;
            case "empty": File.WriteAllText(file, ""); break;
            case "no schema version": File.WriteAllText(file, "{\"runId\": \"x\"}"); break;
            case "other schema version": File.WriteAllText(file, text.Replace("\"schemaVersion\": 1", "\"schemaVersion\": 2", StringComparison.Ordinal)); break;
        }

        var r = await t.CompareAsync();

        Assert.True(r.ExitCode == 2, r.All);
        var line = Assert.Single(r.Err.Trim().Split('\n'));
        Assert.Contains(reason, line, StringComparison.Ordinal);
        Assert.StartsWith(how == "other manifest" ? "error: cannot compare" : $"error: {file}", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(t.Candidate, "compare.md")));
        Assert.False(File.Exists(Path.Combine(t.Candidate, "compare.json")));
    }

    [Fact]
    public async Task A_missing_run_is_a_clear_error()
    {
        using var t = TempRuns.Of(Run(), Run());
        var r = await Infrastructure.CliRunner.RunAsync(null, "compare", "--baseline", t.Baseline, "--candidate", Path.Combine(t.Root, "nope"));

        Assert.True(r.ExitCode == 2, r.All);
        Assert.Contains("does not exist", r.Err);
    }

    [Fact]
    public async Task Another_machine_is_compared_with_a_warning()
    {
        var c = Run();
        c = c with { Machine = c.Machine with { Cores = 4, MemoryBytes = 16L * 1024 * 1024 * 1024 } };
        using var t = TempRuns.Of(Run(), c);
        var r = await t.CompareAsync();

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("warning: the runs were on different machines (2 vs 4 cores, 8.0 GiB vs 16.0 GiB memory", r.Err);
        Assert.Contains("> **Warning:** the runs were on different machines", t.CompareMd);
        Assert.DoesNotContain("::warning", r.Out); // not on GitHub Actions
    }

    [Fact]
    public async Task A_run_timed_while_the_host_took_much_of_the_CPU_is_compared_with_a_warning()
    {
        using var t = TempRuns.Of(Run() with { StealPercent = 2.5 }, Run() with { StealPercent = 23 });
        var r = await t.CompareAsync();

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("warning: the candidate was timed while the host took 23% of its machine's CPU time (steal)", r.Err);
        Assert.DoesNotContain("the baseline was timed while", r.Err); // 2.5% is a quiet host
    }

    [Theory]
    [InlineData("--threshold-time", "10")]
    [InlineData("--threshold-counters", "abc%")]
    [InlineData("--alpha", "5%")]
    public async Task A_bad_threshold_is_refused(string option, string value)
    {
        using var t = TempRuns.Of(Run(), Run());
        var r = await t.CompareAsync(null, option, value);

        Assert.True(r.ExitCode == 2, r.All);
        Assert.Contains(option, r.Err);
    }

    [Fact]
    public async Task A_candidate_given_as_its_results_file_gets_the_comparison_beside_it()
    {
        using var t = TempRuns.Of(Run(), Run());
        var r = await Infrastructure.CliRunner.RunAsync(null, "compare", "-b", Path.Combine(t.Baseline, "results.json"), "--candidate", Path.Combine(t.Candidate, "results.json"));

        Assert.True(r.ExitCode == 0, r.All);
        Assert.True(File.Exists(Path.Combine(t.Candidate, "compare.md")));
        Assert.True(File.Exists(Path.Combine(t.Candidate, "compare.json")));
        Assert.False(File.Exists(Path.Combine(t.Baseline, "compare.md")));
    }
}
