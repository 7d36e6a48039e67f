using Npgsql;

namespace QueryLab.Tests;

/// <summary>
/// A scratch database on the test run's server (<see cref="Infrastructure.TestServer"/>), with the querylab schema
/// migrated by the real migration runner.
/// </summary>
public sealed class SeedingTestDatabase : IAsyncLifetime
{
    private const string DatabaseName = "querylab_seeding_tests";

    private NpgsqlDataSource? _admin;
    private NpgsqlDataSource? _dataSource;

    public NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("not initialised");

    /// <summary>The connection string of the scratch database (password included, for a second data source).</summary>
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var given = (await Infrastructure.TestServer.AcquireAsync()).Connection.ConnectionString;

        _admin = NpgsqlDataSource.Create(given);
        await using (var conn = await _admin.OpenConnectionAsync())
        {
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {DatabaseName} WITH (FORCE)", conn);
            await drop.ExecuteNonQueryAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {DatabaseName}", conn);
            await create.ExecuteNonQueryAsync();
        }

        ConnectionString = new NpgsqlConnectionStringBuilder(given) { Database = DatabaseName, PersistSecurityInfo = true }.ConnectionString;
        _dataSource = NpgsqlDataSource.Create(ConnectionString);
        await ResetSchemaAsync();
    }

    /// <summary>Drops the querylab schema and applies the migrations again: an empty, freshly migrated database.</summary>
    public async Task ResetSchemaAsync()
    {
        await using var conn = await DataSource.OpenConnectionAsync();
        await using (var cmd = new NpgsqlCommand("DROP SCHEMA IF EXISTS querylab CASCADE", conn))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        await new QueryLab.Seed.Migrations.MigrationRunner(DataSource, QueryLab.Seed.Migrations.MigrationSet.Load(), TextWriter.Null)
            .ApplyAsync(dryRun: false, "seeding tests", CancellationToken.None);
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var conn = await DataSource.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        if (_admin is not null)
        {
            await using (var conn = await _admin.OpenConnectionAsync())
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {DatabaseName} WITH (FORCE)", conn);
                await drop.ExecuteNonQueryAsync();
            }

            await _admin.DisposeAsync();
        }

        await Infrastructure.TestServer.ReleaseAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class SeedingDatabaseCollection : ICollectionFixture<SeedingTestDatabase>
{
    public const string Name = "seeding database";
}
