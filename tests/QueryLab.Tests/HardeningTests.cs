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

    [Fact]
    public async Task A_server_killed_with_SIGKILL_is_started_again_by_the_next_run_with_its_data_intact()
    {
        var seeded = await CliRunner.RunAsync(Env, "seed", "--scale", "tiny");
        Assert.True(seeded.ExitCode == 0, seeded.All);
        var started = await CliRunner.RunAsync(Env, "server", "start");
        Assert.True(started.ExitCode == 0, started.All);

        var status = await new EmbeddedServer(_home, await ServerBinaries.FindAsync(ServerBinaries.SearchPlaces.FromEnvironment(), default), TextWriter.Null).StatusAsync(default);
        using (var postmaster = Process.GetProcessById(status.Pid!.Value))
        {
            postmaster.Kill();
            await postmaster.WaitForExitAsync();
        }

        Npgsql.NpgsqlConnection.ClearAllPools();
        var verify = await CliRunner.RunAsync(Env, "verify", "--scenario", "lookup-by-tracking-number");
        Assert.True(verify.ExitCode == 0, verify.All);
        Assert.Contains("started for this run", verify.Out, StringComparison.Ordinal);
        Assert.Contains("scale tiny seed 42 (generator v1, complete)", verify.Out, StringComparison.Ordinal);
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
