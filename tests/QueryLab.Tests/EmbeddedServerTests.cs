using System.Net;
using System.Net.Sockets;
using Npgsql;
using QueryLab.Seed;
using QueryLab.Seed.Server;

namespace QueryLab.Tests;

/// <summary>The embedded cluster, each test with a home of its own (a real initdb and a real server).</summary>
public sealed class EmbeddedServerTests : IAsyncLifetime
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "querylab-tests", Guid.NewGuid().ToString("N"));
    private EmbeddedServer? _server;

    private EmbeddedServer Server => _server!;

    public async Task InitializeAsync()
    {
        var binaries = await ServerBinaries.FindAsync(ServerBinaries.SearchPlaces.FromEnvironment(), CancellationToken.None);
        _server = new EmbeddedServer(_home, binaries, TextWriter.Null);
    }

    public async Task DisposeAsync()
    {
        try
        {
            await Server.DestroyAsync(CancellationToken.None);
        }
        finally
        {
            if (Directory.Exists(_home))
            {
                Directory.Delete(_home, recursive: true);
            }
        }
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Server.ConnectionString()) { Pooling = false }.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Data_persists_across_stop_and_start_and_the_password_file_is_owner_only()
    {
        Assert.True(await Server.StartAsync(CancellationToken.None));
        Assert.False(await Server.StartAsync(CancellationToken.None)); // already running
        await ScalarAsync("CREATE TABLE kept AS SELECT 42 AS answer; SELECT 1");
        Assert.True(await Server.StopAsync(CancellationToken.None));
        var stopped = await Server.StatusAsync(CancellationToken.None);
        Assert.True(stopped.Exists);
        Assert.False(stopped.Running);
        Assert.True(await Server.StartAsync(CancellationToken.None));
        Assert.Equal(42, await ScalarAsync("SELECT answer FROM kept"));

        var mode = File.GetUnixFileMode(Path.Combine(_home, "password"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
    }

    [Fact]
    public async Task A_command_that_started_the_server_leaves_it_running_while_another_command_uses_it()
    {
        var log = new StringWriter();
        var server = new EmbeddedServer(_home, Server.Binaries, log);
        var lab = await LabServer.StartEmbeddedAsync(server, keepRunning: false, CancellationToken.None);
        Assert.True(lab.StopsOnDispose);
        await using (var other = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.ConnectionString()) { Pooling = false }.ConnectionString))
        {
            await other.OpenAsync(); // another command's connection, say a run started on the cluster this one started

            await lab.DisposeAsync();

            Assert.True((await server.StatusAsync(CancellationToken.None)).Running);
            Assert.Contains("server: left running: 1 other connection(s) use it", log.ToString(), StringComparison.Ordinal);
            await using var cmd = new NpgsqlCommand("SELECT 1", other);
            Assert.Equal(1, await cmd.ExecuteScalarAsync()); // not cut off (57P01)
        }

        // Alone, it stops the server it started, as before.
        await server.StopAsync(CancellationToken.None);
        var again = await LabServer.StartEmbeddedAsync(server, keepRunning: false, CancellationToken.None);
        await again.DisposeAsync();
        Assert.False((await server.StatusAsync(CancellationToken.None)).Running);
    }

    [Fact]
    public async Task Listens_on_loopback_with_scram_and_no_trust_entry()
    {
        await Server.StartAsync(CancellationToken.None);
        Assert.Equal(1, await ScalarAsync("SELECT count(*) FROM pg_settings WHERE name = 'listen_addresses' AND setting = '127.0.0.1'"));
        Assert.Equal(0, await ScalarAsync("SELECT count(*) FROM pg_hba_file_rules WHERE auth_method <> 'scram-sha-256'"));
        Assert.Equal(1, await ScalarAsync("SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'"));

        var wrong = new NpgsqlConnectionStringBuilder(Server.ConnectionString()) { Password = "not-the-password" };
        var ex = await Assert.ThrowsAsync<LabException>(() => LabServer.ConnectAsync(wrong.ConnectionString, CancellationToken.None));
        Assert.Equal(ExitCode.BadInput, ex.Code);
        Assert.Contains("password authentication failed", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_taken_since_the_last_run_is_replaced_by_a_free_one()
    {
        await Server.StartAsync(CancellationToken.None);
        var first = (await Server.StatusAsync(CancellationToken.None)).Port!.Value;
        await Server.StopAsync(CancellationToken.None);
        using var squatter = new TcpListener(IPAddress.Loopback, first);
        squatter.Start();
        await Server.StartAsync(CancellationToken.None);
        var second = (await Server.StatusAsync(CancellationToken.None)).Port!.Value;
        Assert.NotEqual(first, second);
        Assert.Equal(1, await ScalarAsync("SELECT 1"));
    }

    [Fact]
    public async Task A_port_taken_between_choosing_it_and_the_server_binding_it_is_retried_on_another()
    {
        var log = new StringWriter();
        var server = new EmbeddedServer(_home, Server.Binaries, log);
        var chosen = new List<int>();
        TcpListener? squatter = null;

        // Another process takes the port in the window between QueryLab's choice and the postmaster's bind.
        server.PortChosen = port =>
        {
            chosen.Add(port);
            if (squatter is null)
            {
                squatter = new TcpListener(IPAddress.Loopback, port);
                squatter.Start();
            }
        };
        try
        {
            Assert.True(await server.StartAsync(CancellationToken.None));
            Assert.True(chosen.Count >= 2, string.Join(",", chosen));
            var running = (await server.StatusAsync(CancellationToken.None)).Port!.Value;
            Assert.NotEqual(chosen[0], running);
            Assert.Equal(chosen[^1], running);
            Assert.Contains($"port {chosen[0]} was taken before the server could bind it; trying another", log.ToString(), StringComparison.Ordinal);
            Assert.Equal(1, await ScalarAsync("SELECT 1"));
        }
        finally
        {
            squatter?.Stop();
            squatter?.Dispose();
        }
    }

    [Fact]
    public async Task A_stale_postmaster_pid_from_a_killed_server_does_not_block_the_next_start()
    {
        await Server.StartAsync(CancellationToken.None);
        var status = await Server.StatusAsync(CancellationToken.None);
        using (var p = System.Diagnostics.Process.GetProcessById(status.Pid!.Value))
        {
            p.Kill();
            await p.WaitForExitAsync();
        }

        // The postmaster died with SIGKILL: its pid file is left behind.
        var pidFile = Path.Combine(status.ClusterDir!, "data", "postmaster.pid");
        await WaitUntilAsync(() => !IsAlive(status.Pid!.Value));
        Assert.True(File.Exists(pidFile));
        NpgsqlConnection.ClearAllPools();
        Assert.True(await Server.StartAsync(CancellationToken.None));
        Assert.Equal(1, await ScalarAsync("SELECT 1"));
    }

    [Fact]
    public async Task A_data_folder_of_another_major_version_is_refused_with_the_fix()
    {
        await Server.StartAsync(CancellationToken.None);
        var status = await Server.StatusAsync(CancellationToken.None);
        await Server.StopAsync(CancellationToken.None);
        var versionFile = Path.Combine(status.ClusterDir!, "data", "PG_VERSION");
        await File.WriteAllTextAsync(versionFile, "11\n");
        var ex = await Assert.ThrowsAsync<LabException>(() => Server.StartAsync(CancellationToken.None));
        Assert.Equal(ExitCode.Environment, ex.Code);
        Assert.Contains("created by PostgreSQL 11", ex.Message, StringComparison.Ordinal);
        Assert.Contains("server destroy", ex.Message, StringComparison.Ordinal);
        await File.WriteAllTextAsync(versionFile, $"{Server.Binaries.MajorVersion}\n");
    }

    [Fact]
    public async Task Destroy_refuses_a_cluster_that_is_not_its_own()
    {
        await Server.StartAsync(CancellationToken.None);
        var status = await Server.StatusAsync(CancellationToken.None);
        var marker = Path.Combine(status.ClusterDir!, "querylab-cluster.id");
        var original = await File.ReadAllTextAsync(marker);
        await File.WriteAllTextAsync(marker, "someone-else\n");
        var ex = await Assert.ThrowsAsync<LabException>(() => Server.DestroyAsync(CancellationToken.None));
        Assert.Contains("refusing to delete", ex.Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(status.ClusterDir));
        await File.WriteAllTextAsync(marker, original);
    }

    [Fact]
    public async Task Missing_server_binaries_name_the_places_and_the_fix()
    {
        var empty = Directory.CreateTempSubdirectory("querylab-nobin").FullName;
        var places = new ServerBinaries.SearchPlaces(null, empty, AskPgConfig: false, DistroRoot: Path.Combine(empty, "nothing"));
        var ex = await Assert.ThrowsAsync<LabException>(() => ServerBinaries.FindAsync(places, CancellationToken.None));
        Assert.Equal(ExitCode.Environment, ex.Code);
        Assert.Contains("no PostgreSQL server binaries", ex.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install postgresql", ex.Message, StringComparison.Ordinal);
    }

    private static bool IsAlive(int pid) => File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(100);
        }
    }
}
