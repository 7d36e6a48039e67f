using System.Text.Json;
using Npgsql;
using QueryLab.Bench.Compare;
using QueryLab.Bench.Results;
using QueryLab.Tests.Infrastructure;
using QueryLab.Tests.Reports;

namespace QueryLab.Tests;

/// <summary>
/// `querylab ab` against the real server, with bases that a scratch clone commits (<see cref="AbScratchRepo"/>): each side
/// seeds its own database with its own build; a base whose migrations differ is compared and the plan change reported; a
/// seed mismatch and a base that cannot migrate are one line and exit 2; an interrupt stops it; and every time the two ab
/// databases, the base's worktree and its temporary folder are gone afterwards. Kept short: tiny, smoke, one round.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class AbSchemaTests(LabFixture lab, AbScratchRepo repo) : IClassFixture<AbScratchRepo>
{
    private const string LookupPlanChange = "scan changed: Seq Scan on shipments → Index Scan using shipments_tracking_number_key on shipments";

    private Dictionary<string, string?> Env => new() { ["QUERYLAB_CONNECTION"] = lab.ConnectionString };

    private Task<CliRunner.Result> AbAsync(string baseRef, string scenarios, string reports) =>
        CliRunner.RunInAsync(repo.Repo, Env, null, "ab", "--base-ref", baseRef, "--scale", "tiny", "--profile", "smoke", "--scenario", scenarios, "--rounds", "1", "--reports", reports);

    [Fact]
    public async Task A_base_whose_migrations_differ_is_compared_on_a_database_of_its_own_and_the_plan_change_is_reported()
    {
        // What an ab that was killed leaves: its database, dropped by the next one before it starts.
        await using (var conn = new NpgsqlConnection(lab.ConnectionString))
        {
            await conn.OpenAsync();
            await using var create = new NpgsqlCommand("DROP DATABASE IF EXISTS querylab_ab_base; CREATE DATABASE querylab_ab_base", conn);
            await create.ExecuteNonQueryAsync();
        }

        var reports = repo.Reports("schema-change");
        var r = await AbAsync(AbScratchRepo.SchemaChange, "lookup-by-tracking-number,carrier-scorecard", reports);

        Assert.True(r.ExitCode == 1, r.All); // a changed plan is a regression whatever the clock says
        Assert.Contains("ab: dropping querylab_ab_base, left on the server by an ab that did not finish", r.Out, StringComparison.Ordinal);
        Assert.Contains(
            "ab: querylab.carriers: the head drops column note text; its data differs between the two databases, so variants that read it are compared on counters and plans, not on time",
            r.Out,
            StringComparison.Ordinal);
        Assert.Contains(
            "ab: querylab.shipments: the same data in both databases; the head adds unique index shipments_tracking_number_key (btree (tracking_number)): compared on counters, plans and time",
            r.Out,
            StringComparison.Ordinal);
        Assert.Contains("ab: migrations: only the base applied 0004_ab_test_schema_change", r.Out, StringComparison.Ordinal);
        Assert.Contains("ab: both databases hold scale tiny seed 42 (generator v1); the data agrees in 3 of 4 seeded tables (shipments, tracking_events, transactions) and differs in carriers", r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("error:", r.Err, StringComparison.Ordinal);
        // carrier-scorecard's time is not compared, so the workers do not warm or interleave it: only the lookup's five.
        Assert.Contains(
            "ab: not interleaving 5 variant(s) whose time is not compared (they read data that differs): carrier-scorecard/dapper, carrier-scorecard/ef-linq, carrier-scorecard/ef-linq-client-median, carrier-scorecard/ef-sqlquery, carrier-scorecard/npgsql",
            r.Out,
            StringComparison.Ordinal);
        Assert.Contains("ab: interleaving 5 variant(s), base and head alternating", r.Out, StringComparison.Ordinal);

        var report = JsonSerializer.Deserialize<CompareReport>(await File.ReadAllTextAsync(Path.Combine(reports, "latest", "compare.json")), ResultsJson.Options)!;
        var lookupPlans = report.Regressions.Where(c => c.Scenario == "lookup-by-tracking-number" && c.Kind == ChangeKind.Plan).ToList();
        Assert.Equal(5, lookupPlans.Select(c => c.Variant).Distinct().Count()); // every variant's lookup plan changed
        Assert.All(lookupPlans, c => Assert.Contains(LookupPlanChange, c.ChangeText, StringComparison.Ordinal));
        var times = report.All.Where(c => c.Kind == ChangeKind.Time).ToList();
        Assert.All(times.Where(c => c.Scenario == "carrier-scorecard"), c => Assert.StartsWith("time not compared: querylab.carriers holds other data in the two databases (the head drops column note text)", c.Note, StringComparison.Ordinal));
        Assert.Equal(5, times.Count(c => c.Scenario == "carrier-scorecard"));
        Assert.All(times.Where(c => c.Scenario == "lookup-by-tracking-number"), c => Assert.DoesNotContain("time not compared", c.Note ?? "", StringComparison.Ordinal));
        Assert.Contains(report.All, c => c.Scenario == "carrier-scorecard" && c.Kind == ChangeKind.Counter); // counters still compared there
        var latest = Path.Combine(reports, "latest");
        ReportFolder.AssertLinksResolve(latest, ResultsJson.Read(latest)); // the merged report.md and its scenario files, of each side
        ReportFolder.AssertLinksResolve(Path.Combine(latest, "base"), ResultsJson.Read(Path.Combine(latest, "base")));
        await AssertNothingLeftAsync(r.Out);
    }

    [Fact]
    public async Task Where_the_data_agrees_the_head_runs_on_a_copy_of_the_base_with_its_own_migrations_applied()
    {
        // Two seeds of the same rows get different planner statistics (ANALYZE samples at random); the copy has the base's.
        var reports = repo.Reports("older-migrations");
        var r = await AbAsync(AbScratchRepo.OlderMigrations, "lookup-by-tracking-number", reports);

        Assert.True(r.ExitCode is 0 or 1, r.All);
        Assert.Contains("ab: migrations: only the head applied 0003_lab_tables_without_autovacuum", r.Out, StringComparison.Ordinal);
        Assert.Contains("[head-migrate] migrations: applied 0003_lab_tables_without_autovacuum.sql", r.Out, StringComparison.Ordinal);
        Assert.Contains(
            "ab: querylab_ab_head is now a copy of querylab_ab_base with the head's migrations applied: the same pages and planner statistics on both sides",
            r.Out,
            StringComparison.Ordinal);
        var report = JsonSerializer.Deserialize<CompareReport>(await File.ReadAllTextAsync(Path.Combine(reports, "latest", "compare.json")), ResultsJson.Options)!;
        Assert.DoesNotContain(report.Regressions, c => c.Kind is ChangeKind.Plan or ChangeKind.Counter); // same pages, same statistics
        await AssertNothingLeftAsync(r.Out);
    }

    [Fact]
    public async Task A_generator_change_without_a_new_version_is_a_seed_mismatch_exit_2_in_one_line()
    {
        var reports = repo.Reports("generator-change");
        var r = await AbAsync(AbScratchRepo.GeneratorChange, "lookup-by-tracking-number", reports);

        Assert.True(r.ExitCode == 2, r.All);
        var line = Assert.Single(r.Err.Trim().Split('\n'));
        Assert.StartsWith("error: seed mismatch: the two ab databases hold other data where their schemas agree: querylab.carriers (checksum ", line, StringComparison.Ordinal);
        Assert.Contains("with the same columns and generator v1 on both sides, seeded with scale tiny seed 42", line, StringComparison.Ordinal);
        Assert.DoesNotContain("ab: round", r.Out, StringComparison.Ordinal); // refused before anything is measured
        Assert.False(Directory.Exists(reports) && Directory.EnumerateFileSystemEntries(reports).Any(), "no run folder is written");
        await AssertNothingLeftAsync(r.Out);
    }

    [Fact]
    public async Task A_base_that_cannot_migrate_its_own_database_is_exit_2_in_one_line()
    {
        var reports = repo.Reports("broken-migration");
        var r = await AbAsync(AbScratchRepo.BrokenMigration, "lookup-by-tracking-number", reports);

        Assert.True(r.ExitCode == 2, r.All);
        var line = Assert.Single(r.Err.Trim().Split('\n'));
        Assert.Matches(
            "^error: the base ab-test-broken-migration \\([0-9a-f]{12}\\) cannot migrate and seed its own database querylab_ab_base: "
            + "migration 0004_ab_test_broken.sql failed and was rolled back: 42P01 relation \"querylab.no_such_table\" does not exist; .*pick a --base-ref whose migrations and seed work$",
            line);
        Assert.DoesNotContain("querylab_ab_head: migrated", r.Out, StringComparison.Ordinal); // the head's seed never started
        Assert.False(Directory.Exists(reports) && Directory.EnumerateFileSystemEntries(reports).Any(), "no run folder is written");
        await AssertNothingLeftAsync(r.Out);
    }

    [Fact]
    public async Task Another_ab_on_the_server_is_refused_before_anything_is_built_or_created()
    {
        await using var conn = new NpgsqlConnection(lab.ConnectionString);
        await conn.OpenAsync();
        await using (var hold = new NpgsqlCommand("SELECT pg_advisory_lock($1)", conn))
        {
            hold.Parameters.AddWithValue(0x5175_6572_794C_6D03L); // ab's lock: "QueryLm" + 3
            await hold.ExecuteNonQueryAsync();
        }

        var r = await AbAsync("HEAD", "lookup-by-tracking-number", repo.Reports("locked"));

        Assert.True(r.ExitCode == 3, r.All);
        Assert.Matches("^error: another querylab ab is running on .+ \\(backend [0-9]+ \\(since [0-9:]+\\)\\); wait for it to finish", r.Err.Trim());
        Assert.DoesNotContain("worktree", r.Out, StringComparison.Ordinal);
        Assert.Empty(await AbScratchRepo.AbDatabasesAsync(lab.ConnectionString));
    }

    [Fact]
    public async Task A_role_that_may_not_create_databases_is_exit_2_before_anything_is_built()
    {
        var role = $"querylab_ab_nocreatedb_{Environment.ProcessId}";
        var password = Guid.NewGuid().ToString("N");
        await ExecAsync($"DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN NOCREATEDB PASSWORD '{password}'");
        try
        {
            var cs = new NpgsqlConnectionStringBuilder(lab.ConnectionString) { Username = role, Password = password }.ConnectionString;
            var r = await CliRunner.RunInAsync(repo.Repo, new Dictionary<string, string?> { ["QUERYLAB_CONNECTION"] = cs }, null, "ab", "--base-ref", "HEAD", "--scale", "tiny", "--profile", "smoke", "--reports", repo.Reports("nocreatedb"));

            Assert.True(r.ExitCode == 2, r.All);
            Assert.Matches("^error: querylab ab creates two databases \\(querylab_ab_base and querylab_ab_head\\) on .+, and its role may not \\(42501 .+\\); grant it CREATEDB \\(ALTER ROLE … CREATEDB\\), or run ab on the embedded server$", r.Err.Trim());
            Assert.DoesNotContain(password, r.All, StringComparison.Ordinal);
            Assert.DoesNotContain("worktree", r.Out, StringComparison.Ordinal);
            Assert.Empty(await AbScratchRepo.AbDatabasesAsync(lab.ConnectionString));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecAsync($"DROP ROLE IF EXISTS {role}");
        }
    }

    private async Task ExecAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(lab.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    [Theory]
    [InlineData("INT", "ab: building the base's", "building the base")]
    [InlineData("TERM", "[base-1] verify", "running base-1, the base's bench of round 1/1")]
    public async Task An_interrupted_ab_drops_both_databases_and_removes_the_worktree(string signal, string waitFor, string stage)
    {
        var reports = repo.Reports("interrupted-" + signal);
        await using var ab = CliProcess.StartIn(
            repo.Repo,
            Env,
            "ab", "--base-ref", "HEAD", "--scale", "tiny", "--profile", "smoke", "--scenario", "lookup-by-tracking-number", "--rounds", "1", "--reports", reports);
        await ab.WaitForLineAsync(waitFor);
        Assert.NotEmpty(await AbScratchRepo.AbDatabasesAsync(lab.ConnectionString)); // they exist while it runs
        await ab.SignalAsync(signal);
        var (code, since) = await ab.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(code == 130, ab.All);
        Assert.True(since < TimeSpan.FromSeconds(15), $"stopped {since.TotalSeconds:0.0} s after SIG{signal}");
        Assert.Contains(
            $"interrupted while {stage}: no run folder was written; the ab databases querylab_ab_base and querylab_ab_head were dropped; the base's worktree was removed",
            ab.Err,
            StringComparison.Ordinal);
        Assert.False(Directory.Exists(reports) && Directory.EnumerateFileSystemEntries(reports).Any(), "no run folder is written");
        await AssertNothingLeftAsync(ab.Out);
    }

    /// <summary>No ab database on the server, no worktree but the clone's own, and the temporary folder of the base removed.</summary>
    private async Task AssertNothingLeftAsync(string output)
    {
        Assert.Empty(await AbScratchRepo.AbDatabasesAsync(lab.ConnectionString));
        Assert.Single(await repo.WorktreesAsync());
        var line = output.Split('\n').Single(l => l.StartsWith("ab: base ", StringComparison.Ordinal) && l.Contains(" → worktree ", StringComparison.Ordinal));
        var tree = line[(line.IndexOf(" → worktree ", StringComparison.Ordinal) + " → worktree ".Length)..].Trim();
        Assert.False(Directory.Exists(Path.GetDirectoryName(tree)), $"{Path.GetDirectoryName(tree)} was removed");
    }
}
