using Npgsql;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>
/// For the interrupt tests, on the test run's server: a scratch database seeded (tiny) by the real command line, a
/// reports folder holding one complete run (a smoke bench of pending-page) that reports/latest points at, and fresh
/// empty databases on demand. Everything is dropped or deleted at the end; the shared test cluster's own database and
/// .querylab/test are not touched (the child processes get a home of their own).
/// </summary>
public sealed class InterruptLab : IAsyncLifetime
{
    private const string DatabaseName = "querylab_interrupts";
    private readonly List<string> _databases = [];
    private string _admin = "";

    public string ConnectionString { get; private set; } = "";

    public string Password => new NpgsqlConnectionStringBuilder(_admin).Password ?? "";

    public string Reports { get; } = Directory.CreateTempSubdirectory("querylab-interrupt-reports").FullName;

    public string Home { get; } = Directory.CreateTempSubdirectory("querylab-interrupt-home").FullName;

    /// <summary>The run reports/latest points at before any test interrupts anything.</summary>
    public string PreviousRun { get; private set; } = "";

    /// <summary>The environment of a querylab child: the database by QUERYLAB_CONNECTION (never on its command line), a home of its own.</summary>
    public Dictionary<string, string?> Env(string connectionString) => new()
    {
        ["QUERYLAB_CONNECTION"] = connectionString,
        ["QUERYLAB_HOME"] = Home,
    };

    public async Task InitializeAsync()
    {
        _admin = (await TestServer.AcquireAsync()).Connection.ConnectionString;
        ConnectionString = await CreateDatabaseAsync(DatabaseName);

        var seeded = await CliRunner.RunAsync(Env(ConnectionString), "seed", "--scale", "tiny");
        Assert.True(seeded.ExitCode == 0, seeded.All);
        var bench = await CliRunner.RunAsync(Env(ConnectionString), "bench", "--scenario", "pending-page", "--profile", "smoke", "--reports", Reports);
        Assert.True(bench.ExitCode == 0, bench.All);
        PreviousRun = (await File.ReadAllTextAsync(Path.Combine(Reports, "latest", "RUN_ID"))).Trim();
        Assert.True(Directory.Exists(Path.Combine(Reports, PreviousRun)), bench.All);
    }

    /// <summary>A new, empty database (dropped first if a previous test run left it); its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using (var conn = new NpgsqlConnection(_admin))
        {
            await conn.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", conn);
            await drop.ExecuteNonQueryAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
            await create.ExecuteNonQueryAsync();
        }

        _databases.Add(name);
        return new NpgsqlConnectionStringBuilder(_admin) { Database = name }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using (var conn = new NpgsqlConnection(_admin))
        {
            await conn.OpenAsync();
            foreach (var name in _databases)
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", conn);
                await drop.ExecuteNonQueryAsync();
            }
        }

        await TestServer.ReleaseAsync();
        Directory.Delete(Reports, recursive: true);
        Directory.Delete(Home, recursive: true);
    }
}
