using QueryLab.Bench.Findings;
using System.Diagnostics;
using Npgsql;
using QueryLab.Bench.Cli;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Load;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>
/// <c>querylab load</c> through the real command line on the tiny dataset: pool exhaustion and server connection limits
/// are findings, every request is accounted for, and no connection of the run is left on the server.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class LoadTests(LabFixture lab)
{
    /// <summary>The application name of the load data source when the command runs in this process.</summary>
    private static string LoadApplicationName => $"querylab-load-{Environment.ProcessId}";

    [Fact]
    public async Task More_clients_than_the_pool_is_a_pool_exhaustion_finding_and_every_request_is_accounted_for()
    {
        // On tiny an update takes a millisecond or two, so 8 clients on 2 pooled connections never wait a whole second
        // for one. A lock held elsewhere (a migration, a long transaction) is what makes a pool run dry in production:
        // the test holds a SHARE lock on shipments, which lets the scenario pick its parameters (SELECT) but blocks its
        // UPDATEs, so both pooled connections hang and the other 6 clients time out waiting for one (Timeout 1 s).
        var reports = Directory.CreateTempSubdirectory("querylab-load").FullName;
        var delivered = await DeliveredAsync();
        await using var locker = await lab.DataSource.OpenConnectionAsync();
        var tx = await locker.BeginTransactionAsync();
        await using (var lk = new NpgsqlCommand("LOCK TABLE querylab.shipments IN SHARE MODE", locker, tx))
        {
            await lk.ExecuteNonQueryAsync();
        }

        var run = Task.Run(() => CliRunner.RunAsync(null,
            "load", "--scenario", "mark-delivered", "--variant", "npgsql-*", "--clients", "8", "--pool-size", "2", "--pool-timeout", "1s",
            "--duration", "2s", "--warmup", "0", "--connection", lab.ConnectionString, "--reports", reports));
        try
        {
            var blocked = await WaitUntilAsync(async () => await BackendsAsync("AND wait_event_type = 'Lock'") >= 2 || run.IsCompleted, TimeSpan.FromSeconds(120));
            Assert.True(blocked && !run.IsCompleted, "the load's two pooled connections never blocked on the lock");
            await Task.Delay(TimeSpan.FromSeconds(2.5)); // the 6 waiting clients' Timeout (1 s) runs out, twice
        }
        finally
        {
            await tx.RollbackAsync();
            await tx.DisposeAsync();
        }

        var r = await run;
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("pool exhausted:", r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(lab.Password!, r.All, StringComparison.Ordinal);

        var folder = Assert.Single(Directory.GetDirectories(reports));
        Assert.EndsWith("-tiny-load", folder, StringComparison.Ordinal);
        var load = LoadJson.Read(folder);
        Assert.Equal(["npgsql-batch", "npgsql-any"], load.Steps.Select(s => s.Variant));
        AssertAccountedFor(load);
        var first = load.Steps[0];
        Assert.Equal(8, first.Clients);
        Assert.True(first.Failures.Where(f => f.Kind == FailureKind.PoolExhausted).Sum(f => f.Count) >= 6, r.Out);
        Assert.True(first.Completed >= 2, r.Out); // the two blocked updates finish once the lock is gone
        var finding = Assert.Single(load.Findings, f => f.Code == FindingCodes.PoolExhausted && f.Variant == "npgsql-batch");
        Assert.Contains("Timeout=1 s", finding.Message, StringComparison.Ordinal);
        Assert.Contains("Maximum Pool Size 2", finding.Message, StringComparison.Ordinal);
        Assert.Equal(2, load.Settings.MaxPoolSize);
        Assert.Equal(LoadApplicationName, load.Settings.ApplicationName);
        Assert.Contains("pool-exhausted", await File.ReadAllTextAsync(Path.Combine(folder, "load.md")), StringComparison.Ordinal);

        // Nothing of the run is left on the server, and the writes were rolled back.
        Assert.All(load.Steps, s => Assert.Equal(0, s.LeakedBackends));
        Assert.Equal(0, load.LeakedBackendsAtEnd);
        Assert.DoesNotContain(load.Findings, f => f.Code == FindingCodes.LeakedConnections);
        Assert.Equal(0, await BackendsAsync(""));
        Assert.Equal(delivered, await DeliveredAsync());
    }

    [Fact]
    public async Task A_sweep_writes_load_json_with_every_step_and_load_md_with_the_charts()
    {
        var reports = Directory.CreateTempSubdirectory("querylab-load").FullName;
        var r = await CliRunner.RunAsync(null,
            "load", "--scenario", "lookup-by-tracking-number", "--variant", "npgsql-prepared,ef-compiled", "--clients", "2,1",
            "--duration", "1s", "--warmup", "200ms", "--connection", lab.ConnectionString, "--reports", reports);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("findings: none", r.Out, StringComparison.Ordinal);
        Assert.Contains("completed", r.Err, StringComparison.Ordinal); // progress, once a second

        var folder = Assert.Single(Directory.GetDirectories(reports));
        Assert.False(Directory.Exists(Path.Combine(reports, "latest")), "a load run must not replace reports/latest (compare reads it)");
        var load = LoadJson.Read(folder);
        Assert.Equal([("ef-compiled", 1), ("ef-compiled", 2), ("npgsql-prepared", 1), ("npgsql-prepared", 2)], load.Steps.Select(s => (s.Variant, s.Clients)));
        Assert.Equal([1, 2], load.Settings.Clients);
        AssertAccountedFor(load);
        foreach (var s in load.Steps)
        {
            Assert.Equal(0, s.Failed);
            Assert.True(s.Throughput > 0, s.Variant);
            var l = s.Latency!;
            Assert.True(l.MinNs > 0 && l.MinNs <= l.P50Ns && l.P50Ns <= l.P90Ns && l.P90Ns <= l.P99Ns && l.P99Ns <= l.P999Ns && l.P999Ns <= l.MaxNs, $"{s.Variant} × {s.Clients}: {l}");
            Assert.InRange(l.MeanNs, l.MinNs, l.MaxNs);
        }

        var md = await File.ReadAllTextAsync(Path.Combine(folder, "load.md"));
        Assert.Equal(2, md.Split("```mermaid").Length - 1);
        Assert.Contains("xychart-beta horizontal", md, StringComparison.Ordinal);
        Assert.Matches(@"throughput \((k )?ops/s\)", md); // thousands on the axis from 1,000 ops/s
        Assert.Contains("p99 latency", md, StringComparison.Ordinal);
        Assert.Contains("\"npgsql-prepared, 2 clients · ", md, StringComparison.Ordinal); // each bar labelled with its figure
        Assert.Contains("| ef-compiled | EF Core | 1 |", md, StringComparison.Ordinal);
        Assert.Equal(0, await BackendsAsync(""));
    }

    [Theory]
    [InlineData("no scenario matches 'no-such'", "--scenario", "no-such")]
    [InlineData("load runs one scenario; 'pending-*' matches 2", "--scenario", "pending-*")]
    [InlineData("load needs one scenario", "--clients", "2")]
    [InlineData("has no variant matching 'nope'", "--scenario", "pending-page", "--variant", "nope")]
    [InlineData("--duration '30' is not a duration", "--scenario", "pending-page", "--duration", "30")]
    [InlineData("--duration 'soon' is not a duration", "--scenario", "pending-page", "--duration", "soon")]
    [InlineData("--clients '0'", "--scenario", "pending-page", "--clients", "0")]
    [InlineData("--clients '1,,8'", "--scenario", "pending-page", "--clients", "1,,8")]
    [InlineData("--pool-size '0'", "--scenario", "pending-page", "--pool-size", "0")]
    [InlineData("--pool-timeout '500ms'", "--scenario", "pending-page", "--pool-timeout", "500ms")]
    [InlineData("--warmup 'x' is not a duration", "--scenario", "pending-page", "--warmup", "x")]
    public async Task Bad_options_are_exit_2_with_one_line(string expected, params string[] args)
    {
        var r = await CliRunner.RunAsync(null, ["load", .. args, "--connection", lab.ConnectionString]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', r.Err.Trim());
        Assert.Equal("", r.Out); // refused before the server is opened
        if (expected.StartsWith("no scenario", StringComparison.Ordinal) || expected.StartsWith("load needs", StringComparison.Ordinal))
        {
            Assert.Contains("lookup-by-tracking-number", r.Err, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_role_connection_limit_is_a_server_connection_limit_finding_not_a_crash()
    {
        // A role of its own with CONNECTION LIMIT 3 (it may use the fixture role's objects): the run's own connections
        // (the bench lock and the pipeline's pooled one) take two, so the load's pool of 6 gets one and the server refuses the rest.
        var role = $"querylab_load_limited_{Environment.ProcessId}";
        var password = Guid.NewGuid().ToString("N");
        var owner = new NpgsqlConnectionStringBuilder(lab.ConnectionString).Username!;
        await ExecAsync($"DROP ROLE IF EXISTS {role}");
        await ExecAsync($"CREATE ROLE {role} LOGIN PASSWORD '{password}' CONNECTION LIMIT 3 IN ROLE \"{owner}\"");
        try
        {
            var cs = new NpgsqlConnectionStringBuilder(lab.ConnectionString) { Username = role, Password = password }.ConnectionString;
            var reports = Directory.CreateTempSubdirectory("querylab-load").FullName;
            var r = await CliRunner.RunAsync(null,
                "load", "--scenario", "lookup-by-tracking-number", "--variant", "npgsql-prepared", "--clients", "6", "--pool-size", "6",
                "--duration", "1s", "--warmup", "0", "--connection", cs, "--reports", reports);
            Assert.True(r.ExitCode == 0, r.All);
            Assert.DoesNotContain(password, r.All, StringComparison.Ordinal);
            var load = LoadJson.Read(Assert.Single(Directory.GetDirectories(reports)));
            AssertAccountedFor(load);
            var step = Assert.Single(load.Steps);
            var refused = Assert.Single(step.Failures, f => f.Kind == FailureKind.ServerRefused);
            Assert.Equal("53300", refused.SqlState);
            Assert.Equal(3, load.Settings.Limits.RoleLimit);
            var finding = Assert.Single(load.Findings, f => f.Code == FindingCodes.ServerConnectionLimit);
            Assert.Contains("CONNECTION LIMIT 3", finding.Message, StringComparison.Ordinal);
            Assert.Contains(load.Findings, f => f.Code == FindingCodes.PoolAboveServerLimit);
            Assert.Equal(0, load.LeakedBackendsAtEnd);
            Assert.Equal(0, await BackendsAsync(""));
        }
        finally
        {
            await ExecAsync($"DROP ROLE IF EXISTS {role}");
        }
    }

    [Fact]
    public async Task Ctrl_C_stops_the_clients_writes_no_run_folder_and_leaves_no_connection()
    {
        var reports = Directory.CreateTempSubdirectory("querylab-load").FullName;
        var o = new StringWriter();
        var e = new StringWriter();
        var vars = new Dictionary<string, string?> { ["QUERYLAB_HOME"] = LabFixture.TestHome, ["PATH"] = Environment.GetEnvironmentVariable("PATH") };
        var ctx = new LabContext(TextWriter.Synchronized(o), TextWriter.Synchronized(e), n => vars.GetValueOrDefault(n), LabFixture.RepoRoot);
        using var cts = new CancellationTokenSource();
        var run = Task.Run(() => CliApp.RunAsync(
            ["load", "--scenario", "lookup-by-tracking-number", "--variant", "npgsql-prepared", "--clients", "4", "--duration", "2m", "--warmup", "0",
             "--connection", lab.ConnectionString, "--reports", reports], ctx, cts.Token));
        var running = await WaitUntilAsync(async () => await BackendsAsync("") > 0 || run.IsCompleted, TimeSpan.FromSeconds(120));
        Assert.True(running && !run.IsCompleted, o.ToString() + e);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var watch = Stopwatch.StartNew();
        await cts.CancelAsync();
        var code = await run;
        Assert.True(code == 130, o.ToString() + e);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"stopping took {watch.Elapsed}");
        Assert.Contains("load: interrupted", o.ToString(), StringComparison.Ordinal);
        Assert.Contains("(interrupted)", o.ToString(), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(reports));
        Assert.Equal(0, await BackendsAsync(""));
    }

    /// <summary>sent = completed + failed for every step, something was sent, and the failures add up to the failed count.</summary>
    private static void AssertAccountedFor(LoadResults load)
    {
        Assert.NotEmpty(load.Steps);
        foreach (var s in load.Steps)
        {
            Assert.True(s.Sent > 0, $"{s.Variant} × {s.Clients} sent nothing");
            Assert.True(s.Completed + s.Failed == s.Sent, $"{s.Variant} × {s.Clients}: {s.Completed} completed + {s.Failed} failed ≠ {s.Sent} sent");
            Assert.Equal(s.Failed, s.Failures.Sum(f => f.Count));
            Assert.False(s.Interrupted);
        }
    }

    private async Task<long> BackendsAsync(string and)
    {
        await using var cmd = lab.DataSource.CreateCommand($"SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 {and}");
        cmd.Parameters.AddWithValue(LoadApplicationName);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task<long> DeliveredAsync()
    {
        await using var cmd = lab.DataSource.CreateCommand("SELECT count(*) FROM querylab.shipments WHERE status = 'delivered'");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    private async Task ExecAsync(string sql)
    {
        await using var cmd = lab.DataSource.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }
}

/// <summary>The parts of load that need no server: option values, percentiles, how failures are classified.</summary>
[Trait("Category", "Serverless")]
public sealed class LoadArithmeticTests
{
    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("2m", 120_000)]
    [InlineData("500ms", 500)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5s", 1_500)]
    public void Durations_take_a_unit(string text, double ms) =>
        Assert.Equal(ms, LoadPlan.ParseDuration(text, "--duration", allowZero: false).TotalMilliseconds);

    [Fact]
    public void A_sweep_is_run_in_ascending_order_once_per_count() =>
        Assert.Equal([1, 8, 32], LoadPlan.ParseClients("32, 1,8,8"));

    [Fact]
    public void Percentiles_are_by_nearest_rank()
    {
        Assert.Equal(989, Latency.NearestRank(0.99, 1000)); // the 990th of 1..1000
        Assert.Equal(998, Latency.NearestRank(0.999, 1000)); // the 999th
        Assert.Equal(999, Latency.NearestRank(0.9999, 1000));
        Assert.Equal(0, Latency.NearestRank(0.5, 1));
        Assert.Equal(49, Latency.NearestRank(0.5, 99)); // the 50th of 99: the median
        var ticks = Enumerable.Range(1, 1000).Select(i => (long)i).Reverse().ToArray();
        var l = Latency.From(ticks)!;
        var ns = 1e9 / Stopwatch.Frequency;
        Assert.Equal(990 * ns, l.P99Ns, 6);
        Assert.Equal(500 * ns, l.P50Ns, 6);
        Assert.Equal(1000 * ns, l.MaxNs, 6);
        Assert.Equal(500.5 * ns, l.MeanNs, 6);
    }

    [Fact]
    public void Failures_are_classified_by_SqlState_and_Npgsql_pool_exhaustion()
    {
        var pool = new NpgsqlException("The connection pool has been exhausted, either raise 'Max Pool Size' (currently 2) or 'Timeout' (currently 1 seconds) in your connection string.", new TimeoutException());
        Assert.Equal(FailureKind.PoolExhausted, LoadFailures.Classify(new InvalidOperationException("EF wrapped it", pool)).Kind);
        Assert.Equal(FailureKind.Timeout, LoadFailures.Classify(new NpgsqlException("Exception while reading from stream", new TimeoutException())).Kind);
        var tooMany = LoadFailures.Classify(new PostgresException("too many connections for role \"x\"", "FATAL", "FATAL", "53300"));
        Assert.Equal((FailureKind.ServerRefused, "53300"), (tooMany.Kind, tooMany.SqlState));
        Assert.Equal(FailureKind.Timeout, LoadFailures.Classify(new PostgresException("canceling statement due to statement timeout", "ERROR", "ERROR", "57014")).Kind);
        var deadlock = LoadFailures.Classify(new PostgresException("deadlock detected", "ERROR", "ERROR", "40P01"));
        Assert.Equal((FailureKind.Error, "40P01"), (deadlock.Kind, deadlock.SqlState));
        Assert.Equal(FailureKind.Error, LoadFailures.Classify(new InvalidOperationException("boom")).Kind);
    }
}
