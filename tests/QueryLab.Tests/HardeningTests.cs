using System.Diagnostics;
using QueryLab.Seed.Server;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>Faults of the environment, through the real command line and a real embedded server of its own.</summary>
public sealed class HardeningTests : IAsyncLifetime
{
    private readonly string _home = Path.Combine(Path.GetTempPath(), "querylab-hardening", Guid.NewGuid().ToString("N"));

    private Dictionary<string, string?> Env => new() { ["QUERYLAB_HOME"] = _home };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await CliRunner.RunAsync(Env, "server", "destroy");
        if (Directory.Exists(_home))
        {
            Directory.Delete(_home, recursive: true);
        }
    }

    private async Task<EmbeddedServer> EmbeddedAsync() =>
        new(_home, await ServerBinaries.FindAsync(ServerBinaries.SearchPlaces.FromEnvironment(), default), TextWriter.Null);

    /// <summary>SIGKILL to the embedded postmaster, from inside a running command (its output callback): no clean shutdown.</summary>
    private static void KillPostmaster(EmbeddedServer embedded)
    {
        var pid = embedded.StatusAsync(default).GetAwaiter().GetResult().Pid ?? throw new InvalidOperationException("the embedded server is not running");
        using var postmaster = Process.GetProcessById(pid);
        postmaster.Kill();
        postmaster.WaitForExit();
    }

    [Fact]
    public async Task A_server_killed_in_the_middle_of_a_run_ends_it_with_exit_3_and_the_next_run_starts_it_again_with_its_data_intact()
    {
        var seeded = await CliRunner.RunAsync(Env, "seed", "--scale", "tiny");
        Assert.True(seeded.ExitCode == 0, seeded.All);
        var started = await CliRunner.RunAsync(Env, "server", "start");
        Assert.True(started.ExitCode == 0, started.All);
        var embedded = await EmbeddedAsync();

        // verify: the postmaster is killed once the first scenario has been verified.
        string? killedAfter = null;
        var verify = await CliRunner.RunAsync(Env, line =>
        {
            if (killedAfter is null && line.StartsWith("verify ", StringComparison.Ordinal) && line.Contains(": ok", StringComparison.Ordinal))
            {
                killedAfter = line;
                KillPostmaster(embedded);
            }
        }, "verify");
        Assert.NotNull(killedAfter);
        Assert.True(verify.ExitCode == 3, verify.All);
        var line = Assert.Single(verify.Err.Trim().Split('\n'));
        Assert.Matches("^error: (lost the connection to the PostgreSQL server|the PostgreSQL server shut down) in the middle of the run .*check the server, then run again$", line);
        Assert.DoesNotContain("MISMATCH", verify.Out, StringComparison.Ordinal); // the server's death is not blamed on a variant

        // bench (which starts the server again for itself): killed the same way, it leaves no run folder.
        Npgsql.NpgsqlConnection.ClearAllPools();
        var reports = Path.Combine(_home, "reports");
        killedAfter = null;
        var bench = await CliRunner.RunAsync(Env, line =>
        {
            if (killedAfter is null && line.StartsWith("verify ", StringComparison.Ordinal) && line.Contains(": ok", StringComparison.Ordinal))
            {
                killedAfter = line;
                KillPostmaster(embedded);
            }
        }, "bench", "--profile", "smoke", "--scenario", "lookup-by-tracking-number,pending-page", "--reports", reports);
        Assert.NotNull(killedAfter);
        Assert.Contains("started for this run", bench.Out, StringComparison.Ordinal);
        Assert.True(bench.ExitCode == 3, bench.All);
        Assert.Single(bench.Err.Trim().Split('\n'));
        Assert.Empty(Directory.GetDirectories(reports));

        // The next run starts the server again and finds the seed complete.
        Npgsql.NpgsqlConnection.ClearAllPools();
        var again = await CliRunner.RunAsync(Env, "verify", "--scenario", "lookup-by-tracking-number");
        Assert.True(again.ExitCode == 0, again.All);
        Assert.Contains("started for this run", again.Out, StringComparison.Ordinal);
        Assert.Contains("scale tiny seed 42 (generator v1, complete)", again.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stopped_server_named_by_connection_is_exit_3_and_the_password_is_not_printed()
    {
        Assert.Equal(0, (await CliRunner.RunAsync(Env, "server", "start")).ExitCode);
        var embedded = new EmbeddedServer(_home, await ServerBinaries.FindAsync(ServerBinaries.SearchPlaces.FromEnvironment(), default), TextWriter.Null);
        var cs = embedded.ConnectionString();
        var password = embedded.ReadPassword()!;
        Assert.Equal(0, (await CliRunner.RunAsync(Env, "server", "stop")).ExitCode);
        var r = await CliRunner.RunAsync(Env, "verify", "--connection", cs);
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("connection refused", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(password, r.All, StringComparison.Ordinal);
    }
}
