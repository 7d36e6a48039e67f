using System.Text.Json;
using Npgsql;
using QueryLab.Bench.Advice;
using QueryLab.Bench.Pipeline;
using QueryLab.Seed.Migrations;
using QueryLab.Seed.Seeding;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Advice;

/// <summary>
/// `querylab advise` against the real server. The test that removes an index does it in a database of its own, seeded
/// like the lab (tiny, seed 42), so the shared lab's indexes never change under other tests; that database is dropped at
/// the end. The others read the shared lab and check it is as they found it.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class AdviseTests(LabFixture lab)
{
    private const string DroppedIndex = "tracking_events_shipment_latest_idx";

    [Fact]
    public async Task Advise_proposes_and_proves_the_index_the_catalog_needs_when_it_is_dropped_and_leaves_the_lab_as_it_was()
    {
        var cs = await lab.CreateDatabaseAsync("querylab_advise");
        try
        {
            await using (var ds = NpgsqlDataSource.Create(cs))
            {
                await new MigrationRunner(ds, MigrationSet.Load(), TextWriter.Null).ApplyAsync(false, "advise test", CancellationToken.None);
                await new Seeder(ds, TextWriter.Null).SeedAsync(new SeedRequest(Scale.Tiny, SeedRequest.DefaultSeed), CancellationToken.None);
                await using var drop = ds.CreateCommand($"DROP INDEX querylab.{DroppedIndex}");
                await drop.ExecuteNonQueryAsync();
            }

            await using var check = NpgsqlDataSource.Create(cs);
            var indexesBefore = await Advising.IndexesAsync(check, CancellationToken.None);
            Assert.DoesNotContain(indexesBefore, i => i.StartsWith(DroppedIndex + " ", StringComparison.Ordinal));

            var reports = Directory.CreateTempSubdirectory("querylab-advise-").FullName;
            var migrations = Directory.CreateTempSubdirectory("querylab-advise-migrations-").FullName;
            foreach (var f in Directory.GetFiles(Path.Combine(LabFixture.RepoRoot, "seed", "Migrations"), "*.sql"))
            {
                File.Copy(f, Path.Combine(migrations, Path.GetFileName(f)));
            }

            // A budget wide enough that the write cost (measured and reported) cannot decide this test: the test is about the read.
            var r = await CliRunner.RunAsync(
                null, "advise", "--connection", cs, "--scenario", "in-transit-with-carrier-and-latest-event", "--variant", "npgsql-lateral,dapper-n-plus-1",
                "--reports", reports, "--write-migration", migrations, "--write-budget", "900%");
            Assert.True(r.ExitCode == 0, r.All);
            Assert.DoesNotContain(lab.Password!, r.All, StringComparison.Ordinal);

            var folder = Assert.Single(Directory.GetDirectories(reports, "*-tiny-advise"));
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "advice.json")));
            var candidates = json.RootElement.GetProperty("candidates").EnumerateArray().ToList();
            var proven = Assert.Single(candidates, c => c.GetProperty("table").GetString() == "tracking_events");
            Assert.StartsWith("(shipment_id", proven.GetProperty("definition").GetString(), StringComparison.Ordinal);
            Assert.Equal("recommended", proven.GetProperty("verdict").GetString());
            Assert.True(proven.GetProperty("sameAnswer").GetBoolean());
            Assert.True(proven.GetProperty("buildMs").GetDouble() > 0);
            Assert.True(proven.GetProperty("sizeBytes").GetInt64() > 0);
            // Proposed by both: the LATERAL's scan per shipment, and the N+1's inner lookup (its repeated statement's own plan).
            Assert.Equal(
                ["in-transit-with-carrier-and-latest-event/dapper-n-plus-1", "in-transit-with-carrier-and-latest-event/npgsql-lateral"],
                proven.GetProperty("reads").EnumerateArray().Select(x => x.GetProperty("operation").GetString()!).Order().ToArray());
            foreach (var read in proven.GetProperty("reads").EnumerateArray())
            {
                Assert.True(read.GetProperty("ratio").GetDouble() < 1, read.ToString());
                Assert.True(read.GetProperty("upper").GetDouble() < 1, read.ToString());
            }

            Assert.Contains(proven.GetProperty("plans").EnumerateArray(), p => p.GetProperty("usesIndex").GetBoolean());
            var write = Assert.Single(proven.GetProperty("writes").EnumerateArray());
            Assert.Equal("record-tracking-events/npgsql-unnest", write.GetProperty("operation").GetString());
            Assert.True(write.GetProperty("pairs").GetInt32() >= 6);

            var restored = json.RootElement.GetProperty("restored");
            Assert.True(restored.GetProperty("indexes").GetBoolean() && restored.GetProperty("checksums").GetBoolean() && restored.GetProperty("plannerStatistics").GetBoolean(), restored.ToString());
            Assert.Equal(indexesBefore, await Advising.IndexesAsync(check, CancellationToken.None));
            var md = await File.ReadAllTextAsync(Path.Combine(folder, "advice.md"));
            Assert.Contains("CREATE INDEX CONCURRENTLY IF NOT EXISTS " + proven.GetProperty("name").GetString(), md, StringComparison.Ordinal);
            Assert.Contains("```mermaid", md, StringComparison.Ordinal);

            // Ctrl+C while a candidate is being timed (its index built, inside the transaction): exit 130, no index, no run folder.
            var interrupted = Directory.CreateTempSubdirectory("querylab-advise-interrupted-").FullName;
            await using (var child = CliRunner.Start(
                new Dictionary<string, string?> { ["QUERYLAB_CONNECTION"] = cs, ["QUERYLAB_HOME"] = Directory.CreateTempSubdirectory("querylab-advise-home-").FullName },
                "advise", "--scenario", "in-transit-with-carrier-and-latest-event", "--variant", "npgsql-lateral", "--reports", interrupted))
            {
                await child.WaitForLineAsync("without and with it (paired slices)");
                await child.SignalAsync("INT");
                var (code, _) = await child.WaitForExitAsync(TimeSpan.FromSeconds(30));
                Assert.True(code == 130, child.All);
                Assert.Contains("interrupted while proving " + proven.GetProperty("name").GetString(), child.Err, StringComparison.Ordinal);
                Assert.Contains("no candidate index was left on the lab", child.Err, StringComparison.Ordinal);
            }

            Assert.Empty(Directory.GetFileSystemEntries(interrupted));
            Assert.Equal(indexesBefore, await Advising.IndexesAsync(check, CancellationToken.None));

            // The migration it wrote is the next file, passes the lint, and applying it creates the index for real.
            var written = Assert.Single(Directory.GetFiles(migrations, "0004_*.sql"));
            Assert.StartsWith("-- querylab:no-transaction\n", await File.ReadAllTextAsync(written), StringComparison.Ordinal);
            var lint = await CliRunner.RunAsync(null, "migrate", "--check", "--connection", cs, "--migrations", migrations);
            Assert.True(lint.ExitCode == 0, lint.All);
            Assert.Contains("1 pending file(s), 0 warning(s)", lint.Out, StringComparison.Ordinal);
            var apply = await CliRunner.RunAsync(null, "migrate", "--connection", cs, "--migrations", migrations);
            Assert.True(apply.ExitCode == 0, apply.All);
            Assert.Contains(await Advising.IndexesAsync(check, CancellationToken.None), i => i.StartsWith(proven.GetProperty("name").GetString() + " ", StringComparison.Ordinal));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var conn = new NpgsqlConnection(lab.ConnectionString);
            await conn.OpenAsync();
            await using var drop = new NpgsqlCommand("DROP DATABASE IF EXISTS querylab_advise WITH (FORCE)", conn);
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task A_unique_candidate_over_duplicate_values_is_reported_and_skipped_and_nothing_stays()
    {
        var before = await Advising.IndexesAsync(lab.DataSource, CancellationToken.None);
        var proof = new IndexProof(lab.DataSource, AdviceSettings.Default, plansDir: null, TextWriter.Null);
        var unique = new IndexCandidate("shipments", ["carrier_id"], null, [], Unique: true); // 1,000 shipments over 10 carriers
        var result = await proof.ProveAsync(unique, [], [], [], CancellationToken.None);
        Assert.Equal(AdviceVerdict.Skipped, result.Verdict);
        Assert.Contains("23505", result.Why, StringComparison.Ordinal);
        Assert.Contains("duplicates", result.Why, StringComparison.Ordinal);
        Assert.Null(result.BuildMs);
        Assert.Equal(before, await Advising.IndexesAsync(lab.DataSource, CancellationToken.None));
    }

    [Fact]
    public async Task HypoPG_screens_out_a_candidate_the_planner_would_not_choose_and_leaves_no_extension_behind_or_says_what_to_install()
    {
        static Task<IReadOnlyList<string>> ExtensionsAsync(NpgsqlDataSource ds) => ListAsync(ds, "SELECT extname FROM pg_extension ORDER BY 1");
        var before = await ExtensionsAsync(lab.DataSource);
        var unavailable = await HypotheticalScreen.UnavailableAsync(lab.DataSource, CancellationToken.None);
        if (unavailable is not null)
        {
            // CI installs no HypoPG: advise then builds every candidate, and says what would screen them.
            Assert.Contains("apt-get install postgresql-", unavailable, StringComparison.Ordinal);
            return;
        }

        var count = new Bench.Profiling.CapturedStatement(1, Bench.Profiling.StatementKind.Command, "SELECT count(*) FROM querylab.shipments WHERE carrier_id = 3", []);
        var onCarriers = new IndexCandidate("carriers", ["code"], null, []);
        Assert.False(await HypotheticalScreen.WouldUseAsync(lab.DataSource, onCarriers, [count], CancellationToken.None));
        var latest = new Bench.Profiling.CapturedStatement(1, Bench.Profiling.StatementKind.Command, "SELECT id FROM querylab.shipments WHERE status = 'in_transit' AND carrier_id = 3 ORDER BY created_at DESC LIMIT 1", []);
        var serving = new IndexCandidate("shipments", ["carrier_id", "status", "created_at DESC"], null, []);
        Assert.True(await HypotheticalScreen.WouldUseAsync(lab.DataSource, serving, [latest], CancellationToken.None));
        Assert.Equal(before, await ExtensionsAsync(lab.DataSource));
    }

    private static async Task<IReadOnlyList<string>> ListAsync(NpgsqlDataSource ds, string sql)
    {
        var list = new List<string>();
        await using var cmd = ds.CreateCommand(sql);
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            list.Add(r.GetString(0));
        }

        return list;
    }

    [Fact]
    public async Task A_scenario_without_an_index_fixable_finding_says_so_and_exits_0()
    {
        var reports = Directory.CreateTempSubdirectory("querylab-advise-none-").FullName;
        var r = await CliRunner.RunAsync(null, "advise", "--connection", lab.ConnectionString, "--scenario", "lookup-by-tracking-number", "--variant", "npgsql-prepared", "--reports", reports);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("advise: no index-fixable finding in the plans of 1 operation(s): nothing to propose", r.Out, StringComparison.Ordinal);
        var md = await File.ReadAllTextAsync(Path.Combine(Assert.Single(Directory.GetDirectories(reports, "*-advise")), "advice.md"));
        Assert.Contains("No index-fixable finding", md, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unseeded_lab_is_exit_2_as_for_bench_and_a_variant_matching_nothing_is_exit_2_before_the_server_is_opened()
    {
        var cs = await lab.CreateDatabaseAsync("querylab_advise_empty");
        var r = await CliRunner.RunAsync(null, "advise", "--connection", cs, "--reports", Directory.CreateTempSubdirectory("querylab-advise-empty-").FullName);
        Assert.True(r.ExitCode == 2, r.All);
        Assert.Contains("holds no complete seed", r.Err, StringComparison.Ordinal);

        var bad = await CliRunner.RunAsync(null, "advise", "--connection", "Host=nowhere.invalid", "--scenario", "pending-page", "--variant", "nope");
        Assert.True(bad.ExitCode == 2, bad.All);
        Assert.Equal("error: no variant of pending-page matches 'nope'; their variants are: ef-no-tracking, dapper, npgsql-prepared", bad.Err.Trim());
    }
}
