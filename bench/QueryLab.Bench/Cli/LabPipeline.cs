using Npgsql;
using QueryLab.Queries.Catalog;
using QueryLab.Seed;
using QueryLab.Seed.Seeding;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Cli;

/// <summary>
/// The steps every measuring verb shares: open the server, migrate, make sure the data is seeded, and
/// build the one catalog context (one data source for all three libraries) the variants run on.
/// </summary>
public sealed class LabPipeline : IAsyncDisposable
{
    private LabPipeline(LabServer server, NpgsqlDataSource dataSource, SeedManifest manifest, CatalogContext catalog)
    {
        Server = server;
        DataSource = dataSource;
        Manifest = manifest;
        Catalog = catalog;
    }

    public LabServer Server { get; }

    public NpgsqlDataSource DataSource { get; }

    public SeedManifest Manifest { get; }

    public CatalogContext Catalog { get; }

    /// <summary>
    /// Opens the server and the catalog. With <paramref name="seed"/> the data is seeded first (a no-op when
    /// it is already there); without it, an unseeded or incompletely seeded database is an error that says what to run.
    /// </summary>
    public static async Task<LabPipeline> OpenAsync(ServerChoice choice, CliContext ctx, SeedRequest? seed, CancellationToken ct)
    {
        var server = await LabSession.OpenAsync(choice, ctx, keepRunning: false, ct);
        try
        {
            var ds = server.CreateDataSource();
            await MigrateCommand.ApplyAsync(server, ds, ctx, ct);
            SeedManifest? manifest;
            if (seed is not null)
            {
                manifest = (await SeedCommand.NewSeeder(ds, ctx).SeedAsync(seed, ct)).Manifest;
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
            return new LabPipeline(server, ds, manifest!, new CatalogContext(ds, manifest!.ReferenceTime, server.Connection.ConnectionString));
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Catalog.DisposeAsync();
        await DataSource.DisposeAsync();
        await Server.DisposeAsync();
    }
}
