using Npgsql;
using QueryLab.Seed.Seeding;

namespace QueryLab.Tests;

/// <summary>The seeder against a real PostgreSQL server: determinism, the manifest's rules, interruption, the lock.</summary>
[Collection(SeedingDatabaseCollection.Name)]
public sealed class SeedingDatabaseTests(SeedingTestDatabase db) : IAsyncLifetime
{
    public Task InitializeAsync() => db.ResetSchemaAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private Seeder NewSeeder(TextWriter? console = null) => new(db.DataSource, console ?? new StringWriter()) { ConsoleIsTerminal = false };

    [Fact]
    public async Task Same_scale_and_seed_give_identical_tables_whatever_the_parallelism()
    {
        Assert.True(Scale.Tiny.Shipments > 3 * GeneratorInfo.ChunkSize, "tiny spans several chunks, so workers race");
        var one = await NewSeeder().SeedAsync(new SeedRequest(Scale.Tiny, 42, Parallelism: 1), CancellationToken.None);
        var checksumsOne = await RecomputeAsync();
        var physicalOne = await PhysicalOrderAsync();

        await db.ResetSchemaAsync();
        var four = await NewSeeder().SeedAsync(new SeedRequest(Scale.Tiny, 42, Parallelism: 4), CancellationToken.None);

        Assert.False(one.WasNoOp);
        Assert.False(four.WasNoOp);
        Assert.Equal(one.Manifest.TableChecksums, four.Manifest.TableChecksums);
        Assert.Equal(one.Manifest.RowCounts, four.Manifest.RowCounts);
        Assert.Equal(checksumsOne, await RecomputeAsync());
        Assert.Equal(physicalOne, await PhysicalOrderAsync());
        Assert.Equal(GeneratorInfo.Tables.Order(), four.Manifest.TableChecksums.Keys.Order());
        Assert.Equal(Scale.Tiny.Shipments, four.Manifest.RowCounts["shipments"]);
    }

    [Fact]
    public async Task A_different_seed_gives_different_tables()
    {
        var a = await NewSeeder().SeedAsync(new SeedRequest(Scale.Tiny, 1), CancellationToken.None);
        var b = await NewSeeder().SeedAsync(new SeedRequest(Scale.Tiny, 2, Force: true), CancellationToken.None);
        Assert.NotEqual(a.Manifest.TableChecksums["shipments"], b.Manifest.TableChecksums["shipments"]);
        Assert.NotEqual(a.Manifest.TableChecksums["tracking_events"], b.Manifest.TableChecksums["tracking_events"]);
    }

    [Fact]
    public async Task Seeding_again_with_a_complete_manifest_is_a_no_op_that_says_so()
    {
        var first = await NewSeeder().SeedAsync(new SeedRequest(Scale.Tiny, 42), CancellationToken.None);
        var finishedAt = first.Manifest.FinishedAt;

        var console = new StringWriter();
        var second = await NewSeeder(console).SeedAsync(new SeedRequest(Scale.Tiny, 42), CancellationToken.None);

        Assert.True(second.WasNoOp);
        Assert.Empty(second.Tables);
        Assert.Contains("nothing to do", console.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Loading", console.ToString(), StringComparison.Ordinal);
        Assert.Equal(finishedAt, (await SeedManifest.ReadAsync(db.DataSource, CancellationToken.None))!.FinishedAt);
    }

    [Fact]
    public async Task Another_scale_or_seed_needs_force_and_then_reseeds()
    {
        await NewSeeder().SeedAsync(new SeedRequest(Scale.Tiny, 42), CancellationToken.None);

        var refused = await Assert.ThrowsAsync<SeedException>(
            () => NewSeeder().SeedAsync(new SeedRequest(Scale.Tiny, 7), CancellationToken.None));
        Assert.Equal("database holds scale tiny seed 42; pass --force to reseed as scale tiny seed 7", refused.Message);
        Assert.Equal(42, (await SeedManifest.ReadAsync(db.DataSource, CancellationToken.None))!.Seed);

        var forced = await NewSeeder().SeedAsync(new SeedRequest(Scale.Tiny, 7, Force: true), CancellationToken.None);
        Assert.False(forced.WasNoOp);
        Assert.Equal(7, forced.Manifest.Seed);
        Assert.True(forced.Manifest.IsComplete);
    }

    [Fact]
    public async Task Data_without_a_manifest_needs_force()
    {
        await db.ScalarAsync<int>("INSERT INTO querylab.carriers (code, name, country_code, tracking_format, created_at) " +
                                  "VALUES ('X', 'Hand made', 'US', 'generic', now()) RETURNING id");
        var refused = await Assert.ThrowsAsync<SeedException>(
            () => NewSeeder().SeedAsync(new SeedRequest(Scale.Tiny, 42), CancellationToken.None));
        Assert.Contains("--force", refused.Message, StringComparison.Ordinal);

        var forced = await NewSeeder().SeedAsync(new SeedRequest(Scale.Tiny, 42, Force: true), CancellationToken.None);
        Assert.Equal(Scale.Tiny.Carriers, forced.Manifest.RowCounts["carriers"]);
    }

    [Fact]
    public async Task An_interrupted_seed_leaves_the_manifest_incomplete_and_the_next_seed_finishes_it_without_force()
    {
        var reference = await NewSeeder().SeedAsync(new SeedRequest(Scale.Small, 42), CancellationToken.None);
        var objectsBefore = await SchemaObjectsAsync();

        // Reseed, and cancel as soon as the server reports rows arriving through COPY.
        using var cts = new CancellationTokenSource();
        var seeding = NewSeeder().SeedAsync(new SeedRequest(Scale.Small, 42, Force: true), cts.Token);
        await WaitForCopyRowsAsync(seeding);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => seeding);

        var interrupted = (await SeedManifest.ReadAsync(db.DataSource, CancellationToken.None))!;
        Assert.Equal(SeedManifest.Incomplete, interrupted.Status);
        Assert.Null(interrupted.FinishedAt);
        Assert.True(await db.ScalarAsync<long>("SELECT count(*) FROM querylab.seed_deferred_ddl") > 0);

        var resumed = await NewSeeder().SeedAsync(new SeedRequest(Scale.Small, 42), CancellationToken.None);
        Assert.False(resumed.WasNoOp);
        Assert.True(resumed.Manifest.IsComplete);
        Assert.Equal(reference.Manifest.TableChecksums, resumed.Manifest.TableChecksums);
        Assert.Equal(reference.Manifest.RowCounts, resumed.Manifest.RowCounts);
        Assert.Equal(objectsBefore, await SchemaObjectsAsync());
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM querylab.seed_deferred_ddl"));
    }

    [Fact]
    public async Task A_seed_killed_after_dropping_the_keys_rebuilds_them_from_the_record()
    {
        await NewSeeder().SeedAsync(new SeedRequest(Scale.Tiny, 42), CancellationToken.None);
        var objectsBefore = await SchemaObjectsAsync();

        // What a seed killed right after the drop leaves behind: an incomplete manifest, the record, no keys or indexes.
        await using (var conn = await db.DataSource.OpenConnectionAsync())
        {
            await using var cmd = new NpgsqlCommand("UPDATE querylab.seed_manifest SET status = 'incomplete', finished_at = NULL", conn);
            await cmd.ExecuteNonQueryAsync();
            await DeferredDdl.RecordAndDropAsync(conn, CancellationToken.None);
        }

        Assert.NotEqual(objectsBefore, await SchemaObjectsAsync());
        var resumed = await NewSeeder().SeedAsync(new SeedRequest(Scale.Tiny, 42), CancellationToken.None);
        Assert.True(resumed.Manifest.IsComplete);
        Assert.Equal(objectsBefore, await SchemaObjectsAsync());
    }

    [Fact]
    public async Task A_second_concurrent_seed_waits_briefly_then_refuses()
    {
        await using var holder = await db.DataSource.OpenConnectionAsync();
        await using (var cmd = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", holder))
        {
            cmd.Parameters.AddWithValue("key", AdvisoryLock.Key);
            await cmd.ExecuteNonQueryAsync();
        }

        try
        {
            var seeder = new Seeder(db.DataSource, new StringWriter()) { LockWait = TimeSpan.FromSeconds(1) };
            var refused = await Assert.ThrowsAsync<SeedException>(
                () => seeder.SeedAsync(new SeedRequest(Scale.Tiny, 42), CancellationToken.None));
            Assert.Contains("another querylab seed is running", refused.Message, StringComparison.Ordinal);
            Assert.Equal(QueryLab.Seed.ExitCode.Environment, refused.Code); // like a second measuring run: the environment is busy, the input is fine
            Assert.Null(await SeedManifest.ReadAsync(db.DataSource, CancellationToken.None));
        }
        finally
        {
            // A pooled connection keeps session locks until it is reset, so release explicitly.
            await using var cmd = new NpgsqlCommand("SELECT pg_advisory_unlock_all()", holder);
            await cmd.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task The_console_gets_the_plan_progress_and_summary()
    {
        var console = new StringWriter();
        await NewSeeder(console).SeedAsync(new SeedRequest(Scale.Tiny, 42), CancellationToken.None);
        var text = console.ToString();
        Assert.Contains("Plan: scale tiny, seed 42", text, StringComparison.Ordinal);
        Assert.Matches(@"shipments\s+1,000/1,000\s+100%\s+\S+ rows/s", text);
        Assert.Contains("Seeded scale tiny seed 42", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pgbench_runs_in_a_scratch_database_that_is_dropped_afterwards()
    {
        var console = new StringWriter();
        var seeder = NewSeeder(console);
        var seeded = await seeder.SeedAsync(new SeedRequest(Scale.Tiny, 42), CancellationToken.None);

        var comparison = await seeder.CompareWithPgbenchAsync(PgbenchLocator.Find(null), seeded, CancellationToken.None);

        Assert.Equal(1, comparison.PgbenchScale); // 7,800 seeded rows round to the minimum scale
        Assert.Equal(100_011, comparison.PgbenchRows);
        Assert.True(comparison.PgbenchBytes > 10_000_000, "pgbench_accounts of scale 1 is about 13 MB with its key");
        Assert.True(comparison.PgbenchRowsPerSecond > 0 && comparison.SeederRowsPerSecond > 0);
        Assert.Equal(seeded.TotalRows, comparison.SeederRows);
        Assert.Contains("pgbench -i", console.ToString(), StringComparison.Ordinal);
        Assert.False(await db.ScalarAsync<bool>(
            $"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{Seeder.PgbenchDatabase}')"));

        var noOp = await seeder.SeedAsync(new SeedRequest(Scale.Tiny, 42), CancellationToken.None);
        await Assert.ThrowsAsync<SeedException>(() => seeder.CompareWithPgbenchAsync(PgbenchLocator.Find(null), noOp, CancellationToken.None));
    }

    /// <summary>Indexes and constraints (other than checks) of the querylab tables.</summary>
    private async Task<string> SchemaObjectsAsync() => await db.ScalarAsync<string>("""
        SELECT string_agg(x, E'\n' ORDER BY x) FROM (
            SELECT indexrelid::regclass::text || ' ' || pg_get_indexdef(indexrelid) AS x FROM pg_index
            WHERE indrelid IN ('querylab.carriers'::regclass, 'querylab.shipments'::regclass,
                               'querylab.tracking_events'::regclass, 'querylab.transactions'::regclass)
            UNION ALL
            SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
            WHERE connamespace = 'querylab'::regnamespace AND contype <> 'c') o
        """);

    /// <summary>The ids in the order rows lie in the heap: COPY wrote chunks in chunk order, so this is deterministic too.</summary>
    private async Task<string> PhysicalOrderAsync() => await db.ScalarAsync<string>("""
        SELECT (SELECT md5(string_agg(id::text, ',' ORDER BY ctid)) FROM querylab.shipments)
            || (SELECT md5(string_agg(id::text, ',' ORDER BY ctid)) FROM querylab.tracking_events)
            || (SELECT md5(string_agg(id::text, ',' ORDER BY ctid)) FROM querylab.transactions)
        """);

    private async Task<IReadOnlyDictionary<string, TableChecksum>> RecomputeAsync()
    {
        var result = new Dictionary<string, TableChecksum>();
        foreach (var table in GeneratorInfo.Tables)
        {
            result[table] = await TableChecksums.ComputeAsync(db.DataSource, table, CancellationToken.None);
        }

        return result;
    }

    private async Task WaitForCopyRowsAsync(Task seeding)
    {
        const string sql = """
            SELECT coalesce(max(tuples_processed), 0) FROM pg_stat_progress_copy
            WHERE datname = current_database() AND relid = 'querylab.tracking_events'::regclass
            """;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !seeding.IsCompleted)
        {
            if (await db.ScalarAsync<long>(sql) > 0)
            {
                return;
            }

            await Task.Delay(20);
        }

        Assert.Fail("the seed never reported COPY progress (or finished before it could be interrupted)");
    }
}
