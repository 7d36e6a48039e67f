using Npgsql;
using QueryLab.Queries.Catalog;
using QueryLab.Seed;
using QueryLab.Seed.Migrations;
using QueryLab.Seed.Seeding;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Lab;

/// <summary>
/// The steps every measuring verb shares: open the server, migrate, make sure the data is seeded, and
/// build the one catalog context (one data source for all three libraries) the variants run on.
/// </summary>
public sealed partial class LabPipeline : IAsyncDisposable
{
    private LabPipeline(LabServer server, NpgsqlDataSource dataSource, SeedManifest manifest, TimeSpan statementLimit, IPoolerLauncher? poolers)
    {
        Server = server;
        DataSource = dataSource;
        Manifest = manifest;
        StatementLimit = statementLimit;
        var limited = Seed.Server.StatementLimit.Apply(server.Connection.ConnectionString, statementLimit);
        _catalogSource = new NpgsqlDataSourceBuilder(limited).Build();
        Catalog = new CatalogContext(_catalogSource, manifest.ReferenceTime, limited) { Poolers = poolers, HarnessDataSource = dataSource };
    }

    private readonly NpgsqlDataSource? _catalogSource;

    public LabServer Server { get; }

    public NpgsqlDataSource DataSource { get; }

    public SeedManifest Manifest { get; }

    /// <summary>
    /// The variants' data source and the connection strings they build their own from, under the statement limit; the lab's
    /// own work (migrations, VACUUM, EXPLAIN, counters) goes through <see cref="DataSource"/>, which has none.
    /// </summary>
    public CatalogContext Catalog { get; }

    /// <summary>How long one statement of a variant may run on <see cref="Catalog"/> (the server's statement_timeout).</summary>
    public TimeSpan StatementLimit { get; }

    /// <summary>
    /// A data source for the variants outside <see cref="Catalog"/> (the profiling pass's, with wire capture) on the same
    /// server and connection string as the catalog's, under the same statement limit.
    /// </summary>
    public NpgsqlDataSource CreateCatalogDataSource(Action<NpgsqlDataSourceBuilder>? configure = null)
    {
        var b = new NpgsqlDataSourceBuilder(Catalog.ConnectionString);
        configure?.Invoke(b);
        return b.Build();
    }

    /// <summary>
    /// Opens the server and the catalog. With <paramref name="seed"/> the data is seeded first (a no-op when
    /// it is already there); without it, an unseeded or incompletely seeded database is an error that says what to run.
    /// </summary>
    public static async Task<LabPipeline> OpenAsync(ServerChoice choice, LabContext ctx, SeedRequest? seed, CancellationToken ct)
    {
        var server = await LabSession.OpenAsync(choice, ctx, keepRunning: false, ct);
        try
        {
            var ds = server.CreateDataSource();
            await MigrateAsync(server, ds, ctx, ct);
            SeedManifest? manifest;
            if (seed is not null)
            {
                manifest = (await NewSeeder(ds, ctx).SeedAsync(seed, ct)).Manifest;
            }
            else
            {
                manifest = await SeedManifest.ReadAsync(ds, ct);
                if (manifest is null || !manifest.IsComplete)
                {
                    throw LabException.BadInput($"{server.Description} holds no complete seed ({manifest?.ToString() ?? "never seeded"}); run `querylab seed --scale tiny` (or small) first");
                }
            }

            ctx.Out.WriteLine($"dataset: {manifest}");
            var lab = new LabPipeline(server, ds, manifest!, choice.StatementLimit, PgBouncerLauncher.Instance);
            return choice.RoundTrip is { } rtt ? At(lab, rtt, ctx) : lab;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The migrate step of the pipeline (`run`, `seed`): apply what is pending, say what was done.</summary>
    public static Task MigrateAsync(LabServer lab, NpgsqlDataSource ds, LabContext ctx, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lab);
        ArgumentNullException.ThrowIfNull(ctx);
        return new MigrationRunner(ds, MigrationSet.Load(), ctx.Out).ApplyAsync(dryRun: false, lab.Description, ct);
    }

    /// <summary>The seeder of the pipeline (`run`, `seed`), with progress bars only on a terminal.</summary>
    public static Seeder NewSeeder(NpgsqlDataSource ds, LabContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        return new(ds, ctx.Out) { ConsoleIsTerminal = ReferenceEquals(ctx.Out, Console.Out) && !Console.IsOutputRedirected, Work = ctx.Work };
    }

    /// <summary>
    /// <c>querylab seed</c>: migrate, then seed (a no-op when the data is there); with <paramref name="comparePgbench"/>, time
    /// <c>pgbench -i</c> at an equal row count on the same server and print both.
    /// </summary>
    public static async Task<int> SeedAsync(ServerChoice choice, SeedRequest request, bool comparePgbench, LabContext ctx, CancellationToken ct)
    {
        await using var lab = await LabSession.OpenAsync(choice, ctx, keepRunning: false, ct);
        await using var ds = lab.CreateDataSource();
        await MigrateAsync(lab, ds, ctx, ct);
        var seeder = NewSeeder(ds, ctx);
        var outcome = await seeder.SeedAsync(request, ct);
        if (comparePgbench)
        {
            var pgbench = PgbenchLocator.Find(lab.Embedded?.Binaries.BinDir);
            var comparison = await seeder.CompareWithPgbenchAsync(new PgbenchOptions(pgbench) { Password = lab.Connection.Password }, outcome, ct);
            ctx.Out.WriteLine(comparison.Format());
        }

        return 0;
    }

    /// <summary>
    /// Only one measuring run per database at a time: two would spoil each other's timings. Held on a connection
    /// of its own (a session advisory lock) until the returned handle is disposed, or the process dies.
    /// </summary>
    public async Task<IAsyncDisposable> AcquireBenchLockAsync(CancellationToken ct)
    {
        var conn = await DataSource.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", conn);
        cmd.Parameters.AddWithValue(BenchLockKey);
        if (!(bool)(await cmd.ExecuteScalarAsync(ct))!)
        {
            await using var who = new NpgsqlCommand(
                "SELECT coalesce(string_agg(a.pid::text || ' (' || coalesce(a.application_name, '') || ', since ' || to_char(a.backend_start, 'HH24:MI:SS') || ')', ', '), 'unknown') "
                + "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.objid = $1::bigint % 4294967296",
                conn);
            who.Parameters.AddWithValue(BenchLockKey);
            var holder = await who.ExecuteScalarAsync(ct);
            await conn.DisposeAsync();
            throw LabException.Environment($"another QueryLab measuring run is using {Server.Description} (backend {holder}); wait for it to finish — two runs at once would spoil each other's timings");
        }

        return new BenchLock(conn);
    }

    private const long BenchLockKey = 0x5175_6572_794C_6D02; // "QueryLm" + 2: measuring runs

    private sealed class BenchLock(NpgsqlConnection conn) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            try
            {
                await using var cmd = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", conn);
                cmd.Parameters.AddWithValue(BenchLockKey);
                await cmd.ExecuteNonQueryAsync();
            }
            catch (NpgsqlException)
            {
                // The connection is gone, and the lock with it.
            }

            await conn.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Catalog.DisposeAsync();
        if (_catalogSource is not null)
        {
            await _catalogSource.DisposeAsync();
        }

        await DataSource.DisposeAsync();
        if (_relay is not null)
        {
            await _relay.DisposeAsync(); // a view through the relay: the server belongs to the lab it came from
            if (_owned is not null)
            {
                await _owned.DisposeAsync();
            }

            return;
        }

        await Server.DisposeAsync();
    }
}
