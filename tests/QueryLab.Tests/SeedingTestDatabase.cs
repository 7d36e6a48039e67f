using Npgsql;

namespace QueryLab.Tests;

/// <summary>
/// A scratch database on the server named by QUERYLAB_TEST_CONNECTION, with the querylab schema migrated the way the
/// migration runner does it (schema, then the .sql files in order). Stand-in until the shared fixture lands.
/// </summary>
public sealed class SeedingTestDatabase : IAsyncLifetime
{
    public const string EnvironmentVariable = "QUERYLAB_TEST_CONNECTION";
    private const string DatabaseName = "querylab_seeding_tests";

    private NpgsqlDataSource? _admin;
    private NpgsqlDataSource? _dataSource;

    public NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("not initialised");

    /// <summary>The connection string of the scratch database (password included, for a second data source).</summary>
    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var given = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(given))
        {
            throw new InvalidOperationException(
                $"{EnvironmentVariable} is not set: the seeding tests need a PostgreSQL 14+ server, e.g. " +
                $"{EnvironmentVariable}=\"Host=127.0.0.1;Port=5432;Username=postgres;Password=…\" (a role that may create databases)");
        }

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
        await using (var cmd = new NpgsqlCommand("DROP SCHEMA IF EXISTS querylab CASCADE; CREATE SCHEMA querylab", conn))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        var dir = Path.Combine(AppContext.BaseDirectory, "Migrations");
        foreach (var file in Directory.GetFiles(dir, "*.sql").Order(StringComparer.Ordinal))
        {
            await using var cmd = new NpgsqlCommand(await File.ReadAllTextAsync(file), conn);
            await cmd.ExecuteNonQueryAsync();
        }
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
    }
}

[CollectionDefinition(Name)]
public sealed class SeedingDatabaseCollection : ICollectionFixture<SeedingTestDatabase>
{
    public const string Name = "seeding database";
}
