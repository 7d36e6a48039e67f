using Npgsql;
using QueryLab.Bench.Lab;
using QueryLab.Queries.Catalog;
using QueryLab.Seed.Migrations;
using QueryLab.Seed.Seeding;
using QueryLab.Seed.Server;

namespace QueryLab.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL server for the whole test run: QueryLab's own embedded cluster under
/// .querylab/test (or the server QUERYLAB_TEST_CONNECTION names). Tests that change a database make
/// their own scratch database with <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class LabFixture : IAsyncLifetime
{
    private LabServer? _server;

    public LabServer Server => _server ?? throw new InvalidOperationException("fixture not started");

    public string Home => TestHome;

    public static string RepoRoot { get; } = new LabContext(TextWriter.Null, TextWriter.Null, _ => null, AppContext.BaseDirectory).RepositoryRoot;

    public static string TestHome => Path.Combine(RepoRoot, ".querylab", "test");

    /// <summary>The connection string of the fixture's main database (password included: never print it).</summary>
    public string ConnectionString => Server.Connection.ConnectionString;

    public string? Password => Server.Connection.Password;

    public async Task InitializeAsync()
    {
        _server = await TestServer.AcquireAsync();

        _dataSource = Server.CreateDataSource();
        await new MigrationRunner(_dataSource, MigrationSet.Load(), TextWriter.Null).ApplyAsync(false, Server.Description, CancellationToken.None);
        var outcome = await new Seeder(_dataSource, TextWriter.Null).SeedAsync(new SeedRequest(Scale.Tiny, SeedRequest.DefaultSeed), CancellationToken.None);
        Manifest = outcome.Manifest;
        _catalog = new CatalogContext(_dataSource, Manifest.ReferenceTime, ConnectionString) { Poolers = PgBouncerLauncher.Instance };
    }

    private NpgsqlDataSource? _dataSource;
    private CatalogContext? _catalog;

    /// <summary>The fixture's main database, migrated and seeded at scale tiny, seed 42.</summary>
    public NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("fixture not started");

    public CatalogContext Catalog => _catalog ?? throw new InvalidOperationException("fixture not started");

    public SeedManifest? Manifest { get; private set; }

    /// <summary>A new, empty database on the fixture's server (dropped first if a previous run left it).</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using (var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", conn))
        {
            await drop.ExecuteNonQueryAsync();
        }

        await using (var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn))
        {
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name, Pooling = false }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        await TestServer.ReleaseAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class LabCollection : ICollectionFixture<LabFixture>
{
    public const string Name = "lab";
}
