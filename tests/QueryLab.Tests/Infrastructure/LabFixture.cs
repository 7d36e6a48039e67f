using Npgsql;
using QueryLab.Bench.Cli;
using QueryLab.Seed.Migrations;
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

    public static string RepoRoot { get; } = new CliContext(TextWriter.Null, TextWriter.Null, _ => null, AppContext.BaseDirectory).RepositoryRoot;

    public static string TestHome => Path.Combine(RepoRoot, ".querylab", "test");

    /// <summary>The connection string of the fixture's main database (password included: never print it).</summary>
    public string ConnectionString => Server.Connection.ConnectionString;

    public string? Password => Server.Connection.Password;

    public async Task InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable("QUERYLAB_TEST_CONNECTION");
        if (!string.IsNullOrWhiteSpace(external))
        {
            _server = await LabServer.ConnectAsync(external, CancellationToken.None);
        }
        else
        {
            var binaries = await ServerBinaries.FindAsync(ServerBinaries.SearchPlaces.FromEnvironment(), CancellationToken.None);
            var embedded = new EmbeddedServer(Home, binaries, TextWriter.Null);
            _server = await LabServer.StartEmbeddedAsync(embedded, keepRunning: false, CancellationToken.None);
        }

        await using var ds = Server.CreateDataSource();
        await new MigrationRunner(ds, MigrationSet.Load(), TextWriter.Null).ApplyAsync(false, Server.Description, CancellationToken.None);
    }

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
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class LabCollection : ICollectionFixture<LabFixture>
{
    public const string Name = "lab";
}
