using System.Text.Json;
using Npgsql;
using Xunit.Abstractions;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Results;
using QueryLab.Bench.Timing;
using QueryLab.Queries.Catalog;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Compare;

/// <summary>
/// `bench --baseline`, `run --baseline` and `compare` on real runs against the real server: every candidate
/// is a real change (a dropped index, planner settings, a variant that sends one more statement, another
/// seed), measured and profiled for real, never an edited results.json. Each test works in scratch
/// databases of its own, so the fixture's main database is never altered.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class CompareEndToEndTests(LabFixture lab, ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("querylab-e2e").FullName;
    private int _runs;

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
    public async Task Two_runs_of_the_same_build_have_no_regression()
    {
        var db = await ScratchAsync("ql_e2e_same");
        var (_, baseline) = await BenchAsync(db, "pending-page");
        var (r, candidate) = await BenchAsync(db, "pending-page", "--baseline", baseline);

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("compare: no regression", r.Out, StringComparison.Ordinal);
        using var json = CompareJson(candidate);
        Assert.Equal("no regression", json.RootElement.GetProperty("verdict").GetString());
        Assert.Equal(0, json.RootElement.GetProperty("regressions").GetArrayLength());
        Assert.Equal(0, json.RootElement.GetProperty("improvements").GetArrayLength());
        Assert.Equal(3, json.RootElement.GetProperty("compared").GetArrayLength());
        Assert.Contains("**Verdict: no regression**", await File.ReadAllTextAsync(Path.Combine(candidate, "compare.md")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dropped_index_is_a_plan_regression_on_pending_page_with_both_plans_shown()
    {
        var db = await ScratchAsync("ql_e2e_index");
        var (_, baseline) = await BenchAsync(db, "pending-page");
        await ExecuteAsync(db, "DROP INDEX querylab.shipments_status_idx; ANALYZE querylab.shipments;");
        var (r, candidate) = await BenchAsync(db, "pending-page", "--baseline", baseline);

        Assert.True(r.ExitCode == 1, r.All);
        Assert.Contains("compare: regression", r.Out, StringComparison.Ordinal);
        using var json = CompareJson(candidate);
        var plans = Regressions(json).Where(c => c.GetProperty("kind").GetString() == "plan").ToList();
        Assert.NotEmpty(plans);
        Assert.All(plans, c => Assert.Equal("pending-page", c.GetProperty("scenario").GetString()));
        var plan = plans[0].GetProperty("plan");
        Assert.Contains("shipments_status_idx", plan.GetProperty("baselineShape").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("shipments_status_idx", plan.GetProperty("candidateShape").GetString(), StringComparison.Ordinal);

        var md = await File.ReadAllTextAsync(Path.Combine(candidate, "compare.md"));
        Assert.Contains("### pending-page / ", md, StringComparison.Ordinal);
        Assert.Contains("plan shape changed", md, StringComparison.Ordinal);
        Assert.Contains("shipments_status_idx", md, StringComparison.Ordinal);
        Assert.Contains(Pre(plan.GetProperty("baselineShape").GetString()!), md, StringComparison.Ordinal);
        Assert.Contains(Pre(plan.GetProperty("candidateShape").GetString()!), md, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_variant_that_sends_one_more_statement_is_a_counter_regression()
    {
        // Two builds of one scenario, run through the real pipeline (verify, BenchmarkDotNet, profiling
        // pass at the wire): in the candidate's build the chatty variant sends a SELECT 1 before its query.
        var db = await ScratchAsync("ql_e2e_trips");
        var baseline = await SessionAsync(db, new RoundTrips(extraStatement: false));
        var candidate = await SessionAsync(db, new RoundTrips(extraStatement: true));
        Assert.Equal(1, ResultsJson.Read(baseline).Scenarios[0].Variants.Single(v => v.Name == "npgsql-chatty").Profile!.RoundTrips);
        Assert.Equal(2, ResultsJson.Read(candidate).Scenarios[0].Variants.Single(v => v.Name == "npgsql-chatty").Profile!.RoundTrips);

        var r = await CliRunner.RunAsync(null, "compare", "--baseline", baseline, "--candidate", candidate);

        Assert.True(r.ExitCode == 1, r.All);
        Assert.Contains("e2e-round-trips / npgsql-chatty: counter round trips: 1 → 2, +1", r.Out, StringComparison.Ordinal);
        Assert.Contains("e2e-round-trips / npgsql-chatty: counter statements: 1 → 2, +1", r.Out, StringComparison.Ordinal);
        using var json = CompareJson(candidate);
        var regressions = Regressions(json).ToList();
        Assert.All(regressions, c => Assert.Equal("npgsql-chatty", c.GetProperty("variant").GetString()));
        Assert.Contains(regressions, c => c.GetProperty("kind").GetString() == "counter" && c.GetProperty("metric").GetString() == "round trips");
    }

    [Fact]
    public async Task A_statement_that_processes_more_rows_for_the_same_answer_is_a_counter_regression()
    {
        // Two builds of one scenario through the real pipeline: the same SQL and the same one-row answer, but the
        // candidate's build sums the weights of the first 400 shipments where the baseline's summed 100. Round trips,
        // statements and rows returned are equal; the executor handed four times as many rows between the plan's nodes.
        var db = await ScratchAsync("ql_e2e_rows_processed");
        var baseline = await SessionAsync(db, new RowsProcessed(first: 100));
        var candidate = await SessionAsync(db, new RowsProcessed(first: 400));
        var before = ResultsJson.Read(baseline).Scenarios[0].Variants.Single(v => v.Name == "npgsql-sum").Profile!;
        var after = ResultsJson.Read(candidate).Scenarios[0].Variants.Single(v => v.Name == "npgsql-sum").Profile!;
        Assert.Equal((1, 1L), (before.RoundTrips, before.Rows));
        Assert.Equal((1, 1L), (after.RoundTrips, after.Rows));
        Assert.Equal(before.DistinctStatements[0].Sql, after.DistinctStatements[0].Sql);
        Assert.Equal(100 + 100 + 1, before.RowsProcessed); // Index Scan 100, Limit 100, Aggregate 1
        Assert.Equal(400 + 400 + 1, after.RowsProcessed);

        var r = await CliRunner.RunAsync(null, "compare", "--baseline", baseline, "--candidate", candidate);

        Assert.True(r.ExitCode == 1, r.All);
        Assert.Contains("e2e-rows-processed / npgsql-sum: counter rows processed (one statement): 201 rows → 801 rows, +299%", r.Out, StringComparison.Ordinal);
        using var json = CompareJson(candidate);
        var rows = Assert.Single(Regressions(json), c => c.GetProperty("metric").GetString() == "rows processed" && c.GetProperty("variant").GetString() == "npgsql-sum");
        Assert.Equal("counter", rows.GetProperty("kind").GetString());
        Assert.DoesNotContain(Regressions(json), c => c.GetProperty("metric").GetString() is "rows" or "round trips" or "statements" or "plan shape");

        // The same build twice: every executor counter agrees exactly.
        var again = await SessionAsync(db, new RowsProcessed(first: 400));
        var aa = await CliRunner.RunAsync(null, "compare", "--baseline", candidate, "--candidate", again);
        Assert.True(aa.ExitCode == 0, aa.All);
        using var aaJson = CompareJson(again);
        var counters = aaJson.RootElement.GetProperty("unchanged").EnumerateArray().Where(c => c.GetProperty("metric").GetString() == "rows processed").ToList();
        Assert.Equal(2, counters.Count);
        Assert.All(counters, c => Assert.Equal(c.GetProperty("baseline").GetDouble(), c.GetProperty("candidate").GetDouble()));
    }

    [Fact]
    public async Task Index_and_bitmap_scans_turned_off_are_caught_on_lookup_by_tracking_number()
    {
        var db = await ScratchAsync("ql_e2e_slow");
        var (_, baseline) = await BenchAsync(db, "lookup-by-tracking-number", "--profile", "ci", "--tighten", "off");
        await ExecuteAsync(lab.ConnectionString, "ALTER DATABASE ql_e2e_slow SET enable_indexscan = off; ALTER DATABASE ql_e2e_slow SET enable_bitmapscan = off;");
        var (r, candidate) = await BenchAsync(db, "lookup-by-tracking-number", "--profile", "ci", "--tighten", "off", "--baseline", baseline);

        Assert.True(r.ExitCode == 1, r.All);
        Assert.Contains("enable_indexscan on vs off", r.Err, StringComparison.Ordinal); // the settings warning
        using var json = CompareJson(candidate);
        var regressions = Regressions(json).ToList();
        var plans = regressions.Where(c => c.GetProperty("kind").GetString() == "plan").ToList();
        Assert.Equal(5, plans.Select(c => c.GetProperty("variant").GetString()).Distinct().Count());
        Assert.All(plans, c => Assert.Contains("Seq Scan on shipments", c.GetProperty("plan").GetProperty("candidateShape").GetString(), StringComparison.Ordinal));

        // Time, per variant (ci profile: 16 measurements a side), is reported, not asserted. On tiny a Seq Scan of
        // 1,000 shipments costs tens of µs against operations of 0.3–1 ms on two shared cores, inside the run-to-run
        // noise. Measured: "unknown" (ef-compiled +10.7%, dapper −41.9%, 99% intervals spanning ±30%) and
        // "unchanged" (ef-tracked +6.7%, ef-no-tracking +2.8%, npgsql-prepared +0.6%, not significant) — never a time
        // regression, so this run is caught by its plans, not its clock. A direction cannot be asserted: an A/A pair
        // of ci runs of this scenario on the same machine once gave ef-compiled a significant +106% (a false alarm),
        // and an earlier unpooled pair a significant −12% "improvement".
        var times = json.RootElement.EnumerateObject()
            .Where(p => p.Name is "regressions" or "improvements" or "unknown" or "unchanged")
            .SelectMany(p => p.Value.EnumerateArray().Select(c => (Outcome: p.Name, Change: c)))
            .Where(x => x.Change.GetProperty("kind").GetString() == "time")
            .ToList();
        var shown = string.Join("; ", times.Select(t => $"{t.Change.GetProperty("variant").GetString()}: {t.Outcome} {t.Change.GetProperty("changeText").GetString()}"));
        output.WriteLine($"time verdicts: {shown}");
        Assert.True(times.Count == 5, shown);
        Assert.All(times, t => Assert.InRange(t.Change.GetProperty("time").GetProperty("candidateSamples").GetInt32(), 10, 16));
    }

    [Fact]
    public async Task Runs_of_another_seed_cannot_be_compared_and_the_reason_names_the_seed()
    {
        var seed42 = await ScratchAsync("ql_e2e_seed42");
        var (_, baseline) = await BenchAsync(seed42, "pending-page");
        var seed7 = Pooled(await lab.CreateDatabaseAsync("ql_e2e_seed7"));
        var reports = Path.Combine(_root, "run-seed7");

        var r = await CliRunner.RunAsync(null, "run", "--scale", "tiny", "--seed", "7", "--scenario", "pending-page", "--profile", "smoke",
            "--connection", seed7, "--reports", reports, "--baseline", baseline);

        Assert.True(r.ExitCode == 2, r.All);
        Assert.Contains("seed 42 vs 7", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(lab.Password!, r.All, StringComparison.Ordinal);
        var run = Assert.Single(RunFolders(reports)); // the new run is still written, only not compared
        Assert.False(File.Exists(Path.Combine(run, "compare.md")));
    }

    [Fact]
    public async Task A_truncated_results_json_as_baseline_is_exit_2_before_anything_runs()
    {
        var bad = Path.Combine(_root, "truncated");
        Directory.CreateDirectory(bad);
        await File.WriteAllTextAsync(Path.Combine(bad, "results.json"), "{\"schemaVersion\": 1, \"runId\": \"x\", \"scen");
        var reports = Path.Combine(_root, "never");

        var r = await CliRunner.RunAsync(null, "bench", "--profile", "smoke", "--scenario", "pending-page", "--connection", lab.ConnectionString,
            "--reports", reports, "--baseline", bad);

        Assert.True(r.ExitCode == 2, r.All);
        Assert.Contains("truncated or corrupt", r.Err, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(bad, "results.json"), r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("verify:", r.Out, StringComparison.Ordinal);
        Assert.False(Directory.Exists(reports));

        var unknown = await CliRunner.RunAsync(null, "run", "--scale", "tiny", "--connection", lab.ConnectionString, "--reports", reports,
            "--baseline", "no-such-baseline", "--baselines", Path.Combine(_root, "baselines"));
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("no run folder, results.json or saved baseline called 'no-such-baseline'", unknown.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(reports));
    }

    /// <summary>
    /// A scratch database, migrated and seeded (tiny) through the CLI. Pooling on, as for the fixture's own
    /// database: without it every operation opens a connection (tens of ms of authentication), which is then what gets timed.
    /// </summary>
    private async Task<string> ScratchAsync(string name, int seed = 42) => Pooled(await CreateSeededAsync(name, seed));

    private static string Pooled(string cs) => new NpgsqlConnectionStringBuilder(cs) { Pooling = true }.ConnectionString;

    private async Task<string> CreateSeededAsync(string name, int seed)
    {
        var cs = await lab.CreateDatabaseAsync(name);
        var r = await CliRunner.RunAsync(null, "seed", "--scale", "tiny", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--connection", cs);
        Assert.True(r.ExitCode == 0, r.All);
        return cs;
    }

    /// <summary>`querylab bench` of one scenario (smoke unless --profile is given) into a reports folder of its own; returns the run folder.</summary>
    private async Task<(CliRunner.Result Result, string Run)> BenchAsync(string connection, string scenario, params string[] extra)
    {
        var reports = Path.Combine(_root, $"reports-{++_runs}");
        string[] profile = extra.Contains("--profile") ? [] : ["--profile", "smoke"];
        var r = await CliRunner.RunAsync(null, ["bench", "--scenario", scenario, .. profile, "--connection", connection, "--reports", reports, .. extra]);
        Assert.True(r.ExitCode is 0 or 1, r.All);
        Assert.DoesNotContain(lab.Password!, r.All, StringComparison.Ordinal);
        return (r, Assert.Single(RunFolders(reports)));
    }

    /// <summary>The real BenchSession (verify, time, profile, write the run folder) on scenarios defined here.</summary>
    private async Task<string> SessionAsync(string connection, IScenario scenario)
    {
        var reports = Path.Combine(_root, $"reports-{++_runs}");
        var ctx = new LabContext(TextWriter.Null, TextWriter.Null, _ => null, LabFixture.RepoRoot);
        await using var pipeline = await LabPipeline.OpenAsync(ServerChoice.Resolve(connection, ctx), ctx, seed: null, CancellationToken.None);
        var outcome = await new Bench.Pipeline.BenchSession(pipeline, ctx, BenchProfile.Smoke, reports, "querylab test").RunAsync([scenario], CancellationToken.None);
        Assert.False(outcome.VerificationFailed);
        return outcome.RunFolder;
    }

    private static IEnumerable<string> RunFolders(string reports) =>
        Directory.Exists(reports)
            ? Directory.GetDirectories(reports).Where(d => !Path.GetFileName(d).StartsWith('.') && Path.GetFileName(d) != "latest")
            : [];

    private static JsonDocument CompareJson(string run) => JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "compare.json")));

    private static IEnumerable<JsonElement> Regressions(JsonDocument json) => json.RootElement.GetProperty("regressions").EnumerateArray();

    /// <summary>A plan shape as compare.md shows it, side by side with the other run's.</summary>
    private static string Pre(string shape) => $"<pre>{System.Net.WebUtility.HtmlEncode(shape.TrimEnd())}</pre>";

    private static async Task ExecuteAsync(string connection, string sql)
    {
        await using var conn = new NpgsqlConnection(connection);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Two raw Npgsql variants summing the weights of the first <paramref name="first"/> shipments by id: one statement,
    /// one row, whatever <paramref name="first"/> is. A bigger <paramref name="first"/> is more rows through the plan.
    /// </summary>
    private sealed class RowsProcessed(int first) : ReadScenario<int, long>
    {
        private const string Sql = "SELECT sum(weight_grams)::bigint FROM (SELECT weight_grams FROM querylab.shipments ORDER BY id LIMIT $1) AS s";

        public override string Name => "e2e-rows-processed";

        public override string Description => "The weight of the first shipments by id (a test scenario).";

        public override string Parameters => "how many shipments";

        protected override Task<IReadOnlyList<int>> PickParametersAsync(CatalogContext lab, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<int>>([first]);

        protected override IEnumerable<ReadVariant<int, long>> DefineVariants()
        {
            yield return new("npgsql", Library.Npgsql, "one command", SumAsync, IsBaseline: true);
            yield return new("npgsql-sum", Library.Npgsql, "one command", SumAsync);
        }

        private static async Task<IReadOnlyList<long>> SumAsync(CatalogContext lab, int n, CancellationToken ct)
        {
            await using var cmd = lab.DataSource.CreateCommand(Sql);
            cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = n });
            return [(long)(await cmd.ExecuteScalarAsync(ct))!];
        }
    }

    /// <summary>
    /// A scenario of two raw Npgsql variants counting shipments of a status. With <c>extraStatement</c>,
    /// npgsql-chatty sends a <c>SELECT 1</c> of its own first: one more round trip and statement per operation,
    /// the same answer.
    /// </summary>
    private sealed class RoundTrips(bool extraStatement) : ReadScenario<string, long>
    {
        private const string Sql = "SELECT count(*) FROM querylab.shipments WHERE status = $1";

        public override string Name => "e2e-round-trips";

        public override string Description => "Shipments of a status, counted (a test scenario).";

        public override string Parameters => "pending, delivered";

        protected override Task<IReadOnlyList<string>> PickParametersAsync(CatalogContext lab, CancellationToken ct) =>
            Task.FromResult<IReadOnlyList<string>>(["pending", "delivered"]);

        protected override IEnumerable<ReadVariant<string, long>> DefineVariants()
        {
            yield return new("npgsql", Library.Npgsql, "one command", (lab, status, ct) => CountAsync(lab, status, extra: false, ct), IsBaseline: true);
            yield return new("npgsql-chatty", Library.Npgsql, extraStatement ? "SELECT 1, then the command" : "one command", (lab, status, ct) => CountAsync(lab, status, extraStatement, ct));
        }

        private static async Task<IReadOnlyList<long>> CountAsync(CatalogContext lab, string status, bool extra, CancellationToken ct)
        {
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            if (extra)
            {
                await using var ping = new NpgsqlCommand("SELECT 1", conn);
                await ping.ExecuteScalarAsync(ct);
            }

            await using var cmd = new NpgsqlCommand(Sql, conn);
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = status });
            return [(long)(await cmd.ExecuteScalarAsync(ct))!];
        }
    }
}
