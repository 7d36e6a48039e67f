using System.Text.Json;
using Npgsql;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Profiling;
using QueryLab.Bench.Timing;
using QueryLab.Bench.Verification;
using QueryLab.Queries.Catalog;
using QueryLab.Seed.Server;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>
/// A variant too slow for the scale is a result, not a fault (issue "production scale, for real"): the server stops its
/// statement at the limit, the variant is reported as "did not finish" with its estimated plan, and the run goes on.
/// The slow statements here sleep on the server (pg_sleep), several times the limit, so the verdict does not hang on
/// the machine's speed.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class StatementLimitTests(LabFixture lab) : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromMilliseconds(300);
    private readonly string _root = Directory.CreateTempSubdirectory("querylab-limit").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // a temp folder left behind is harmless
        }
    }

    [Fact]
    public async Task Bench_reports_a_variant_that_runs_past_the_limit_as_did_not_finish_with_its_estimated_plan_and_times_the_others()
    {
        var ctx = new LabContext(TextWriter.Null, TextWriter.Null, _ => null, LabFixture.RepoRoot);
        var choice = ServerChoice.Resolve(lab.ConnectionString, ctx) with { StatementLimit = Limit };
        await using var pipeline = await LabPipeline.OpenAsync(choice, ctx, seed: null, CancellationToken.None);

        var outcome = await new Bench.Pipeline.BenchSession(pipeline, ctx, BenchProfile.Smoke, _root, "querylab test").RunAsync([new Sleepy(baselineSleeps: false)], CancellationToken.None);

        Assert.False(outcome.VerificationFailed); // too slow is not a wrong answer
        var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(outcome.RunFolder, "results.json"))).RootElement;
        Assert.Equal(300, results.GetProperty("statementLimitMs").GetInt64());
        var variants = results.GetProperty("scenarios")[0].GetProperty("variants").EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString()!);
        var slow = variants["npgsql-sleeps"];
        Assert.True(slow.GetProperty("didNotFinish").GetBoolean());
        Assert.StartsWith("did not finish within 300 ms at this scale", slow.GetProperty("notRun").GetString(), StringComparison.Ordinal);
        Assert.False(slow.TryGetProperty("timing", out var timing) && timing.ValueKind != JsonValueKind.Null, "a variant that did not finish has no timing");
        var finding = Assert.Single(slow.GetProperty("profile").GetProperty("findings").EnumerateArray(), f => f.GetProperty("code").GetString() == "did-not-finish");
        Assert.Equal("Critical", finding.GetProperty("severity").GetString());
        var statement = Assert.Single(slow.GetProperty("profile").GetProperty("distinctStatements").EnumerateArray());
        Assert.Contains("pg_sleep", statement.GetProperty("sql").GetString(), StringComparison.Ordinal);
        Assert.True(statement.GetProperty("plan").GetProperty("estimated").GetBoolean()); // EXPLAIN without ANALYZE: nothing ran
        Assert.Contains("without ANALYZE", statement.GetProperty("note").GetString(), StringComparison.Ordinal);

        // The others were timed and profiled as usual.
        Assert.False(variants["npgsql"].TryGetProperty("didNotFinish", out _));
        Assert.Equal(JsonValueKind.Object, variants["npgsql"].GetProperty("timing").ValueKind);
        Assert.Equal(JsonValueKind.Object, variants["npgsql-again"].GetProperty("timing").ValueKind);
        var report = File.ReadAllText(Path.Combine(outcome.RunFolder, "report.md"));
        Assert.Contains("**1 variant(s) did not finish within 300 ms at this scale** (e2e-too-slow/npgsql-sleeps)", report, StringComparison.Ordinal);
        var details = File.ReadAllText(Path.Combine(outcome.RunFolder, "scenarios", "e2e-too-slow.md"));
        Assert.Contains("as the planner estimated it", details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_variant_slow_at_this_scale_gets_fewer_iterations_within_its_budget_and_the_report_says_how_many()
    {
        var ctx = new LabContext(TextWriter.Null, TextWriter.Null, _ => null, LabFixture.RepoRoot);
        await using var pipeline = await LabPipeline.OpenAsync(ServerChoice.Resolve(lab.ConnectionString, ctx), ctx, seed: null, CancellationToken.None);
        // 1 s of measured time over ci's 2 rounds, for an operation of ~100 ms: 5 iterations per round instead of 8.
        var profile = BenchProfile.Ci with { VariantBudget = TimeSpan.FromSeconds(1) };

        var outcome = await new Bench.Pipeline.BenchSession(pipeline, ctx, profile, _root, "querylab test", Bench.Timing.TimingOptions.Default with { Profile = false })
            .RunAsync([new Sleepy(baselineSleeps: false, sleepSeconds: 0.1)], CancellationToken.None);

        var results = JsonDocument.Parse(File.ReadAllText(Path.Combine(outcome.RunFolder, "results.json"))).RootElement;
        Assert.Equal(8, results.GetProperty("profile").GetProperty("iterationsPerRound").GetInt32());
        var variants = results.GetProperty("scenarios")[0].GetProperty("variants").EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString()!);
        var slow = variants["npgsql-sleeps"].GetProperty("timing");
        var fewer = slow.GetProperty("iterationsPerRound").GetInt32();
        Assert.InRange(fewer, BenchProfile.MinIterationsPerRound, 7);
        Assert.Equal(2 * fewer, slow.GetProperty("measurementsNs").GetArrayLength()); // BenchmarkDotNet ran that many, no more
        Assert.Equal(16, variants["npgsql"].GetProperty("timing").GetProperty("measurementsNs").GetArrayLength());
        Assert.True(variants["npgsql-sleeps"].TryGetProperty("ratio", out var ratio) && ratio.ValueKind == JsonValueKind.Object, "the paired ratio is still read");
        var report = File.ReadAllText(Path.Combine(outcome.RunFolder, "report.md"));
        Assert.Contains($"`npgsql-sleeps` {fewer} of 8 per round", report, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Serverless")]
    public void The_budget_gives_a_slow_variant_fewer_iterations_but_never_fewer_than_the_pairs_need()
    {
        var ci = BenchProfile.Ci; // 2 rounds of 8, 15 s
        Assert.Equal(8, ci.IterationsFor(TimeSpan.FromMilliseconds(60).TotalNanoseconds));
        Assert.Equal(5, ci.IterationsFor(TimeSpan.FromMilliseconds(1500).TotalNanoseconds));
        Assert.Equal(BenchProfile.MinIterationsPerRound, ci.IterationsFor(TimeSpan.FromSeconds(20).TotalNanoseconds));
        Assert.Equal(8, ci.IterationsFor(double.NaN));
        Assert.Equal(1, BenchProfile.Smoke.IterationsFor(TimeSpan.FromSeconds(20).TotalNanoseconds));
        Assert.Equal(TimeSpan.FromSeconds(60), BenchProfile.Release.VariantBudget);
        // Extra rounds: release by default; ci only when asked, then with ci's own budget for them.
        Assert.Equal(1.08, BenchProfile.Release.TightenTo);
        Assert.Null(ci.TightenTo);
        var asked = Tightening.Parse("1.12").On(ci);
        Assert.Equal((1.12, 0.5, 4), (asked.TightenTo!.Value, asked.TightenBudget, asked.MostExtraRounds));
    }

    [Fact]
    public async Task A_baseline_past_the_limit_leaves_the_scenario_not_verified_rather_than_failed()
    {
        var limited = StatementLimit.Apply(lab.ConnectionString, Limit);
        await using var ds = NpgsqlDataSource.Create(limited);
        await using var prepared = await new Sleepy(baselineSleeps: true).PrepareAsync(new CatalogContext(ds, lab.Manifest!.ReferenceTime, limited), CancellationToken.None);

        var v = await Verifier.VerifyAsync(prepared, CancellationToken.None, statementLimit: Limit);

        Assert.True(v.Passed);
        Assert.False(v.Timeable);
        Assert.StartsWith("did not finish within 300 ms", v.BaselineDidNotFinish, StringComparison.Ordinal);
        var o = new StringWriter();
        Verifier.Print(v, o);
        Assert.Contains("NOT VERIFIED — the baseline did not finish within 300 ms", o.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_EXPLAIN_ANALYZE_past_the_limit_falls_back_to_the_estimate_instead_of_waiting()
    {
        var explain = new ExplainRunner(lab.DataSource, Limit);
        var watch = System.Diagnostics.Stopwatch.StartNew();

        var e = await explain.ExplainAsync(new CapturedStatement(1, StatementKind.Command, "SELECT count(*) FROM querylab.carriers CROSS JOIN pg_sleep(30)", []), CancellationToken.None);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(25), $"waited {watch.Elapsed}"); // stopped at the limit, not after the 30 s sleep
        Assert.NotNull(e.CustomPlanJson);
        Assert.DoesNotContain("Actual Total Time", e.CustomPlanJson, StringComparison.Ordinal);
        Assert.Contains("without ANALYZE", e.Note, StringComparison.Ordinal);
        Assert.False(Bench.Plans.PlanAnalyzer.Analyze(e.CustomPlanJson!).Analyzed);
    }

    [Fact]
    [Trait("Category", "Serverless")]
    public void The_limit_goes_into_the_startup_options_and_the_client_waits_longer_than_the_server()
    {
        var b = new NpgsqlConnectionStringBuilder(StatementLimit.Apply("Host=h;Username=u;Password=p;Options=-c search_path=x", TimeSpan.FromSeconds(30)));

        Assert.Equal("-c search_path=x -c statement_timeout=30000", b.Options);
        Assert.Equal(45, b.CommandTimeout);
        Assert.Equal("30 s", StatementLimit.Display(TimeSpan.FromSeconds(30)));
        Assert.Equal("1.5 s", StatementLimit.Display(TimeSpan.FromMilliseconds(1500)));
        Assert.Equal("300 ms", StatementLimit.Display(Limit));
    }

    [Fact]
    [Trait("Category", "Serverless")]
    public async Task A_statement_limit_that_is_not_a_duration_is_refused_in_one_line()
    {
        var r = await CliRunner.RunAsync(null, "verify", "--statement-limit", "soon", "--connection", "Host=127.0.0.1;Port=1;Username=u;Password=p");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--statement-limit 'soon' is not a duration", r.Err, StringComparison.Ordinal);
    }

    /// <summary>Shipments of a status counted: the baseline, a copy of it, and one that sleeps 5 s on the server first (or the baseline does).</summary>
    private sealed class Sleepy(bool baselineSleeps, double sleepSeconds = 5) : ReadScenario<string, long>
    {
        public override string Name => "e2e-too-slow";

        public override string Description => "Shipments of a status, counted; one variant sleeps (a test scenario).";

        public override string Parameters => "pending, delivered";

        protected override Task<IReadOnlyList<string>> PickParametersAsync(CatalogContext lab, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<string>>(["pending", "delivered"]);

        protected override IEnumerable<ReadVariant<string, long>> DefineVariants()
        {
            yield return new("npgsql", Library.Npgsql, "one command", (lab, status, ct) => CountAsync(lab, status, baselineSleeps, ct), IsBaseline: true);
            yield return new("npgsql-again", Library.Npgsql, "one command", (lab, status, ct) => CountAsync(lab, status, sleep: false, ct));
            yield return new("npgsql-sleeps", Library.Npgsql, "sleeps on the server, then counts", (lab, status, ct) => CountAsync(lab, status, sleep: true, ct));
        }

        private async Task<IReadOnlyList<long>> CountAsync(CatalogContext lab, string status, bool sleep, CancellationToken ct)
        {
            await using var cmd = lab.DataSource.CreateCommand(
                sleep ? "SELECT count(*) FROM querylab.shipments CROSS JOIN pg_sleep($2) WHERE status = $1" : "SELECT count(*) FROM querylab.shipments WHERE status = $1");
            cmd.Parameters.AddWithValue(status);
            if (sleep)
            {
                cmd.Parameters.AddWithValue(sleepSeconds);
            }

            return [(long)(await cmd.ExecuteScalarAsync(ct))!];
        }
    }
}
