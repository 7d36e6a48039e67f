using Npgsql;
using QueryLab.Bench.Rehearsal;
using QueryLab.Seed.Migrations;
using QueryLab.Seed.Seeding;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>
/// <c>querylab migrate --rehearse</c> end to end on a real server: a lab database of its own (tiny), the rehearsal's copy
/// of it, the catalog's traffic, the migration statement by statement. At tiny an index builds in milliseconds; to make a
/// build last as it would at production scale, the index is on an expression whose function sleeps 2 ms per row (1,000
/// shipments: at least 2 s), which the build takes under whatever lock CREATE INDEX takes.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class RehearsalTests(LabFixture lab)
{
    private const string LabName = "ql_rehearse_lab";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _labConnection;

    /// <summary>The slow expression: IMMUTABLE so an index may use it; 2 ms per call.</summary>
    private const string SlowFunction =
        "CREATE FUNCTION querylab.slow_key(t text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN PERFORM pg_sleep(0.002); RETURN t; END $$;\n";

    /// <summary>The traffic: two scenarios, so that half the clients write shipments (mark-delivered) and half read them.</summary>
    private static readonly string[] Traffic = ["--scenario", "mark-delivered,lookup-by-tracking-number", "--clients", "4", "--steady", "1s", "--after", "1s"];

    private async Task<string> LabAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_labConnection is null)
            {
                var cs = await lab.CreateDatabaseAsync(LabName);
                await using var ds = NpgsqlDataSource.Create(cs);
                await new MigrationRunner(ds, MigrationSet.Load(), TextWriter.Null).ApplyAsync(false, LabName, default);
                await new Seeder(ds, TextWriter.Null).SeedAsync(new SeedRequest(Scale.Tiny, SeedRequest.DefaultSeed), default);
                _labConnection = cs;
            }

            return _labConnection;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>The shipped migrations and the given new files, in a folder of their own.</summary>
    private static string Migrations(params (string Name, string Sql)[] files)
    {
        var dir = Directory.CreateTempSubdirectory("querylab-rehearse").FullName;
        foreach (var f in Directory.GetFiles(MigrationSet.DefaultDirectory, "*.sql"))
        {
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        }

        foreach (var (name, sql) in files)
        {
            File.WriteAllText(Path.Combine(dir, name), sql);
        }

        return dir;
    }

    private async Task<(CliRunner.Result Run, string Reports)> RehearseAsync(string dir, params string[] extra)
    {
        var reports = Directory.CreateTempSubdirectory("querylab-rehearse-reports").FullName;
        var r = await CliRunner.RunAsync(null, ["migrate", "--rehearse", "--migrations", dir, "--connection", await LabAsync(), "--reports", reports, .. Traffic, .. extra]);
        return (r, reports);
    }

    private async Task<long> ScalarAsync(string sql, string? connectionString = null)
    {
        await using var conn = new NpgsqlConnection(connectionString ?? lab.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The copy is gone and the lab is as its seed left it: no new index, column or ledger row, the same checksums.</summary>
    private async Task AssertLabUntouchedAsync()
    {
        Assert.Equal(0, await ScalarAsync($"SELECT count(*) FROM pg_database WHERE datname = '{RehearsalCopy.Name}'"));
        var cs = await LabAsync();
        Assert.Equal(0, await ScalarAsync("SELECT count(*) FROM pg_proc WHERE proname = 'slow_key'", cs));
        Assert.Equal(0, await ScalarAsync("SELECT count(*) FROM pg_indexes WHERE schemaname = 'querylab' AND indexname LIKE 'shipments_slow%'", cs));
        Assert.Equal(MigrationSet.Load().Files.Count, await ScalarAsync("SELECT count(*) FROM querylab.schema_migrations", cs));
        await using var ds = NpgsqlDataSource.Create(cs);
        var manifest = await SeedManifest.ReadAsync(ds, default);
        Assert.Empty(await manifest!.ChangedTablesAsync(ds, default));
    }

    [Fact]
    public async Task A_non_concurrent_index_build_blocks_the_writes_and_fails_the_rehearsal()
    {
        var dir = Migrations(("0090_slow_key.sql", SlowFunction), ("0091_index.sql", "CREATE INDEX shipments_slow_idx ON querylab.shipments (querylab.slow_key(origin));\n"));
        var (r, reports) = await RehearseAsync(dir, "--max-block", "1s");

        Assert.True(r.ExitCode == 1, r.All);
        Assert.DoesNotContain(lab.Password!, r.All, StringComparison.Ordinal);
        var folder = Assert.Single(Directory.GetDirectories(reports));
        Assert.EndsWith("-tiny-rehearse", folder, StringComparison.Ordinal);
        var result = RehearsalJson.Read(folder);
        var build = Assert.Single(result.Statements, s => s.File == "0091_index.sql");
        Assert.Contains("SHARE on shipments", build.Locks);
        Assert.True(build.Blocked, r.Out);
        Assert.True(build.WaitingRequests > 0 && build.LongestWaitMs > 1_000, r.Out);
        Assert.Contains("shipments", build.WaitedOn);
        Assert.Contains(build.Latency, l => l.Scenario == "mark-delivered");
        var lint = Assert.Single(build.Lint, l => l.Rule == LintRules.RequireConcurrentIndexCreation);
        Assert.Contains("waited up to", lint.Measured, StringComparison.Ordinal);
        Assert.Empty(build.Rewritten);
        Assert.Contains("blocks the traffic", Assert.Single(result.Files, f => f.File == "0091_index.sql").Verdict, StringComparison.Ordinal);
        Assert.StartsWith("safe", Assert.Single(result.Files, f => f.File == "0090_slow_key.sql").Verdict, StringComparison.Ordinal);
        Assert.Empty(result.LabChanges);

        var md = await File.ReadAllTextAsync(Path.Combine(folder, "rehearsal.md"));
        Assert.Contains("```mermaid", md, StringComparison.Ordinal);
        Assert.Contains("▶S", md, StringComparison.Ordinal);
        Assert.Contains("require-concurrent-index-creation", md, StringComparison.Ordinal);
        await AssertLabUntouchedAsync();
    }

    [Fact]
    public async Task The_concurrent_build_lets_the_writes_through()
    {
        var dir = Migrations(
            ("0090_slow_key.sql", SlowFunction),
            ("0091_index.sql", "-- querylab:no-transaction\nSET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY shipments_slow_idx ON querylab.shipments (querylab.slow_key(origin));\n"));
        var (r, reports) = await RehearseAsync(dir, "--max-block", "1s");

        Assert.True(r.ExitCode == 0, r.All);
        var result = RehearsalJson.Read(Assert.Single(Directory.GetDirectories(reports)));
        var build = Assert.Single(result.Statements, s => s.Sql.StartsWith("CREATE INDEX CONCURRENTLY", StringComparison.Ordinal));
        Assert.False(result.Statements.Single(s => s.Sql.StartsWith("SET", StringComparison.Ordinal)).InTransaction);
        Assert.True(build.DurationMs > 2_000, $"the build took {build.DurationMs} ms: the slow expression did not slow it"); // 2 ms × 1,000 rows at least
        Assert.Equal(0, build.WaitingRequests);
        Assert.False(build.Blocked);
        var writes = Assert.Single(build.Latency, l => l.Scenario == "mark-delivered");
        Assert.True(writes.Requests > writes.Failed, r.Out); // writes completed while the index was being built
        Assert.Equal(0, build.FailedRequests);
        Assert.DoesNotContain(build.Lint, l => l.Rule == LintRules.RequireConcurrentIndexCreation);
        await AssertLabUntouchedAsync();
    }

    [Fact]
    public async Task A_column_type_change_rewrites_the_table_and_a_new_default_does_not()
    {
        var dir = Migrations(("0090_weight.sql",
            "SET lock_timeout = '5s';\nALTER TABLE querylab.shipments ALTER COLUMN status SET DEFAULT 'in_transit';\nALTER TABLE querylab.shipments ALTER COLUMN weight_grams TYPE bigint;\n"));
        var (r, reports) = await RehearseAsync(dir, "--max-block", "1m");

        Assert.True(r.ExitCode == 0, r.All);
        var result = RehearsalJson.Read(Assert.Single(Directory.GetDirectories(reports)));
        var change = Assert.Single(result.Statements, s => s.Sql.Contains("TYPE bigint", StringComparison.Ordinal));
        Assert.Equal(["shipments"], change.Rewritten);
        Assert.Contains("ACCESS EXCLUSIVE on shipments", change.Locks);
        Assert.True(change.WalBytes > 0);
        Assert.Contains(change.Lint, l => l.Rule == LintRules.ChangingColumnType && l.Measured.Contains("rewrote shipments", StringComparison.Ordinal));
        var setDefault = Assert.Single(result.Statements, s => s.Sql.Contains("SET DEFAULT", StringComparison.Ordinal));
        Assert.Empty(setDefault.Rewritten);
        Assert.Contains("rewrote shipments", r.Out, StringComparison.Ordinal);
        Assert.Equal(0, await ScalarAsync("SELECT count(*) FROM information_schema.columns WHERE table_name = 'shipments' AND column_name = 'weight_grams' AND data_type = 'bigint'", await LabAsync()));
        await AssertLabUntouchedAsync();
    }

    [Fact]
    public async Task A_failing_statement_is_reported_as_production_would_see_it_and_the_rest_is_not_run()
    {
        var dir = Migrations(
            ("0090_broken.sql", "ALTER TABLE querylab.shipments ADD COLUMN note text;\n-- a table that does not exist\nALTER TABLE querylab.no_such_table ADD COLUMN y int;\n"),
            ("0091_after.sql", "ALTER TABLE querylab.carriers ADD COLUMN region text;\n"));
        var (r, reports) = await RehearseAsync(dir);

        Assert.True(r.ExitCode == 2, r.All);
        var error = Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => !l.StartsWith("  traffic ", StringComparison.Ordinal)); // and the progress lines
        Assert.StartsWith("error: migration 0090_broken.sql failed at line 3 and was rolled back: 42P01", error, StringComparison.Ordinal);
        var result = RehearsalJson.Read(Assert.Single(Directory.GetDirectories(reports)));
        Assert.Equal(["applied", "failed"], result.Statements.Select(s => s.Outcome));
        Assert.StartsWith("42P01", result.Statements[1].Error, StringComparison.Ordinal);
        Assert.Equal(["failed", "not run"], result.Files.Select(f => f.Outcome));
        Assert.Equal(0, await ScalarAsync("SELECT count(*) FROM information_schema.columns WHERE table_name = 'shipments' AND column_name = 'note'", await LabAsync()));
        await AssertLabUntouchedAsync();
    }

    [Fact]
    public async Task Ctrl_C_stops_the_traffic_and_the_migration_and_drops_the_copy()
    {
        // 10 ms a row: the build runs for 10 s, so the signal lands in it.
        var dir = Migrations(
            ("0090_slow_key.sql", SlowFunction.Replace("0.002", "0.01", StringComparison.Ordinal)),
            ("0091_index.sql", "CREATE INDEX shipments_slow_idx ON querylab.shipments (querylab.slow_key(origin));\n"));
        var reports = Directory.CreateTempSubdirectory("querylab-rehearse-reports").FullName;
        var env = new Dictionary<string, string?> { ["QUERYLAB_CONNECTION"] = await LabAsync(), ["QUERYLAB_HOME"] = LabFixture.TestHome };
        await using (var run = CliRunner.Start(env, ["migrate", "--rehearse", "--migrations", dir, "--reports", reports, .. Traffic]))
        {
            await run.WaitForLineAsync("rehearse: 0091_index.sql (in a transaction)");
            await run.SignalAsync("INT");
            var (code, since) = await run.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(code == 130, run.All);
            Assert.True(since < TimeSpan.FromSeconds(30), run.All);
            Assert.Contains(
                $"interrupted while applying the migration to the copy: the copy {RehearsalCopy.Name} was dropped; no run folder was written; the lab {LabName} was not touched",
                run.Err,
                StringComparison.Ordinal);
        }

        Assert.Empty(Directory.GetFileSystemEntries(reports));
        Assert.Equal(0, await ScalarAsync($"SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'querylab-rehearse%'"));
        await AssertLabUntouchedAsync();
    }

    [Fact]
    public async Task A_lab_that_other_sessions_use_is_not_copied()
    {
        var dir = Migrations(("0090_note.sql", "ALTER TABLE querylab.carriers ADD COLUMN note text;\n"));
        await using (var other = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(await LabAsync()) { ApplicationName = "someone-else" }.ConnectionString))
        {
            await other.OpenAsync();
            var (r, reports) = await RehearseAsync(dir);

            Assert.True(r.ExitCode == 3, r.All);
            var error = Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains($"PostgreSQL refused to copy the lab database {LabName}", error, StringComparison.Ordinal);
            Assert.Contains("someone-else", error, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(reports));
        }

        await AssertLabUntouchedAsync();
    }

    [Fact]
    public async Task A_lab_that_is_not_seeded_or_has_nothing_pending_is_refused_before_anything_is_copied()
    {
        var empty = await lab.CreateDatabaseAsync("ql_rehearse_unseeded");
        var dir = Migrations(("0090_note.sql", "ALTER TABLE querylab.carriers ADD COLUMN note text;\n"));
        var unseeded = await CliRunner.RunAsync(null, "migrate", "--rehearse", "--migrations", dir, "--connection", empty);
        Assert.True(unseeded.ExitCode == 2, unseeded.All);
        Assert.Contains("holds no complete seed (never seeded); a rehearsal copies the seeded lab: run `querylab seed", Assert.Single(unseeded.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);

        var nothing = await CliRunner.RunAsync(null, "migrate", "--rehearse", "--connection", await LabAsync());
        Assert.True(nothing.ExitCode == 2, nothing.All);
        Assert.Contains("nothing to rehearse", nothing.Err, StringComparison.Ordinal);
        await AssertLabUntouchedAsync();
    }
}

/// <summary>The rehearsal's options are checked before any server is opened.</summary>
[Trait("Category", "Serverless")]
public sealed class RehearsalOptionTests
{
    [Theory]
    [InlineData("--clients 0 is refused", "migrate", "--rehearse", "--clients", "0")]
    [InlineData("an unknown scenario", "migrate", "--rehearse", "--scenario", "no-such-scenario")]
    [InlineData("a malformed duration", "migrate", "--rehearse", "--max-block", "soon")]
    [InlineData("--clients without --rehearse", "migrate", "--clients", "4")]
    [InlineData("--rehearse with --check", "migrate", "--rehearse", "--check")]
    [InlineData("--format without --check", "migrate", "--format", "github")]
    public async Task Bad_options_are_one_line_and_exit_2(string why, params string[] args)
    {
        var r = await CliRunner.RunAsync(new Dictionary<string, string?> { ["QUERYLAB_CONNECTION"] = "Host=192.0.2.1;Port=1;Username=u;Password=p;Timeout=1" }, args);
        Assert.True(r.ExitCode == 2, $"{why}: {r.All}");
        Assert.StartsWith("error:", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("server:", r.Out, StringComparison.Ordinal); // refused before a server was asked
    }
}
