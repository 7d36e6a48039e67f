using Npgsql;
using QueryLab.Queries.Catalog;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Lab;

/// <summary>seed/'s <see cref="PgBouncer"/> as the pooler the catalog's scenarios are given (<see cref="CatalogContext.Poolers"/>).</summary>
public sealed class PgBouncerLauncher : IPoolerLauncher
{
    public static PgBouncerLauncher Instance { get; } = new();

    private PgBouncerLauncher()
    {
    }

    public string? CannotServe(string serverConnectionString) => PgBouncer.CannotServe(new NpgsqlConnectionStringBuilder(serverConnectionString));

    public async Task<IPooler> StartAsync(string serverConnectionString, CancellationToken ct) =>
        new Running(await PgBouncer.StartAsync(new NpgsqlConnectionStringBuilder(serverConnectionString), ct));

    private sealed class Running(PgBouncer bouncer) : IPooler
    {
        public string Version => bouncer.Version;

        public string ClientConnectionString(bool pooling) => bouncer.ClientConnectionString(pooling);

        public ValueTask DisposeAsync() => bouncer.DisposeAsync();
    }
}
