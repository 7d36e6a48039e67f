using System.Globalization;
using Npgsql;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Exits;
using QueryLab.Bench.Profiling;
using QueryLab.Bench.Results;
using QueryLab.Queries.Catalog;
using QueryLab.Seed;
using QueryLab.Seed.Server;
using QueryLab.Tests.Infrastructure;
using Xunit.Abstractions;

namespace QueryLab.Tests;

/// <summary>
/// Issue 7's files, disk, foreign databases and input that reaches SQL, each through the real command line
/// against the lab's real server (README, "When something goes wrong").
/// </summary>
[Collection(LabCollection.Name)]
public sealed class FaultAndInputTests(LabFixture lab) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("querylab-faults-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // a temp folder left behind is harmless
        }
    }

    // ---- Files: a reports folder that is not writable ----

    [Fact]
    public async Task A_reports_folder_under_a_regular_file_is_exit_2_before_the_server_is_even_opened()
    {
        var file = Path.Combine(_root, "not-a-folder");
        await File.WriteAllTextAsync(file, "a file where the reports folder's parent should be");
        var reports = Path.Combine(file, "reports");

        var r = await CliRunner.RunAsync(null, "bench", "--profile", "smoke", "--scenario", "lookup-by-tracking-number", "--connection", lab.ConnectionString, "--reports", reports);
        AssertRefusedBeforeTheServer(r, reports);

        var load = await CliRunner.RunAsync(null, "load", "--scenario", "lookup-by-tracking-number", "--duration", "1s", "--connection", lab.ConnectionString, "--reports", reports);
        AssertRefusedBeforeTheServer(load, reports);
    }

    private static void AssertRefusedBeforeTheServer(CliRunner.Result r, string reports)
    {

        Assert.True(r.ExitCode == 2, r.All);
        var line = Assert.Single(r.Err.Trim().Split('\n'));
        Assert.StartsWith($"error: cannot write to the reports folder {reports} (", line, StringComparison.Ordinal);
        Assert.EndsWith("make it writable or pass --reports with another folder", line, StringComparison.Ordinal);
        Assert.DoesNotContain("server:", r.Out, StringComparison.Ordinal); // nothing opened, verified or measured
        Assert.DoesNotContain("verify", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ab_with_a_reports_folder_that_is_not_writable_is_exit_2_before_it_builds_anything()
    {
        var file = Path.Combine(_root, "also-not-a-folder");
        await File.WriteAllTextAsync(file, "");

        var r = await CliRunner.RunAsync(null, "ab", "--base-ref", "HEAD", "--profile", "smoke", "--reports", Path.Combine(file, "reports"));

        Assert.True(r.ExitCode == 2, r.All);
        Assert.StartsWith("error: cannot write to the reports folder", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("worktree", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_immutable_reports_folder_is_exit_2_before_run_seeds_or_measures_anything()
    {
        // Root ignores permission bits, so chmod proves nothing here; the immutable attribute stops root too.
        var reports = Path.Combine(_root, "immutable-reports");
        Directory.CreateDirectory(reports);
        var chattr = await ProcessRunner.RunAsync("chattr", ["+i", reports]);
        Assert.True(chattr.Succeeded, $"chattr +i is needed to make a folder root cannot write: {chattr.LastLine}");
        try
        {
            Assert.ThrowsAny<UnauthorizedAccessException>(() => File.WriteAllText(Path.Combine(reports, "probe"), "")); // the folder really is not writable
            var db = await lab.CreateDatabaseAsync("ql_fault_reports");

            var r = await CliRunner.RunAsync(null, "run", "--scale", "tiny", "--profile", "smoke", "--scenario", "lookup-by-tracking-number", "--connection", db, "--reports", reports);

            Assert.True(r.ExitCode == 2, r.All);
            Assert.Matches($"^error: cannot write to the reports folder {System.Text.RegularExpressions.Regex.Escape(reports)} \\(.+\\); make it writable or pass --reports with another folder$", r.Err.Trim());
            Assert.DoesNotContain("dataset:", r.Out, StringComparison.Ordinal);
            Assert.Equal(0, await LabSql.ScalarAsync(db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'querylab'")); // not even migrated
        }
        finally
        {
            await ProcessRunner.RunAsync("chattr", ["-i", reports]);
        }
    }

    // ---- Disk full ----

    [Fact]
    public void A_real_ENOSPC_from_a_full_device_is_exit_3_with_one_line()
    {
        var ex = Assert.ThrowsAny<IOException>(() => File.WriteAllText("/dev/full", new string('x', 65536)));
        Assert.Equal(ServerFaults.Enospc, ex.HResult);

        var (code, message) = Failures.Describe(ex);
        Assert.Equal(ExitCode.Environment, code);
        Assert.StartsWith("the disk is full: ", message, StringComparison.Ordinal);
        Assert.Contains("No space left on device", message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', message);

        // Wrapped, as a library may wrap it, it is still the disk.
        Assert.Equal(ExitCode.Environment, Failures.Describe(new InvalidOperationException("writing failed", ex)).Code);
    }

    [Fact]
    public async Task Report_writing_to_a_full_disk_is_exit_3_and_keeps_the_previous_report()
    {
        var run = Path.Combine(_root, "run");
        Directory.CreateDirectory(run);
        await File.WriteAllTextAsync(Path.Combine(run, "results.json"), ResultsJson.Serialize(Compare.CompareRuns.Run()));
        await File.WriteAllTextAsync(Path.Combine(run, "report.md"), "the previous report\n");

        // report.md is written to report.md.tmp, then renamed: the temporary file lands on a device that is always full.
        File.CreateSymbolicLink(Path.Combine(run, "report.md.tmp"), "/dev/full");
        var r = await CliRunner.RunAsync(null, "report", run);

        Assert.True(r.ExitCode == 3, r.All);
        var line = Assert.Single(r.Err.Trim().Split('\n'));
        Assert.StartsWith("error: the disk is full: No space left on device", line, StringComparison.Ordinal);
        Assert.EndsWith("free space (or write --reports elsewhere), then run again", line, StringComparison.Ordinal);
        Assert.Equal("the previous report\n", await File.ReadAllTextAsync(Path.Combine(run, "report.md")));
    }

    [Fact]
    public async Task The_server_reporting_disk_full_is_exit_3_and_a_variant_is_not_blamed_for_it()
    {
        // A real PostgresException with SqlState 53100 (disk_full), raised by the server.
        await using var conn = await lab.DataSource.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand(
            "DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'disk_full', MESSAGE = 'could not extend file \"base/16384/16385\": No space left on device'; END $$", conn);
        var pg = await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.DiskFull, pg.SqlState);

        var (code, message) = Failures.Describe(pg);
        Assert.Equal(ExitCode.Environment, code);
        Assert.Equal("the PostgreSQL server's disk is full (53100 could not extend file \"base/16384/16385\": No space left on device); free space on the server (or seed a smaller scale), then run again", message);
        Assert.True(ServerFaults.IsServerFault(new InvalidOperationException("EF Core wraps it", pg)));

        // A statement's own error is the variant's fault, not the environment's.
        await using var conn2 = await lab.DataSource.OpenConnectionAsync();
        await using var bad = new NpgsqlCommand("SELECT no_such_column FROM querylab.carriers", conn2);
        var syntax = await Assert.ThrowsAsync<PostgresException>(() => bad.ExecuteNonQueryAsync());
        Assert.False(ServerFaults.IsServerFault(syntax));
    }

    [Fact]
    public async Task Connections_terminated_under_a_variant_stop_verification_as_a_server_fault_not_a_mismatch()
    {
        const string app = "ql-terminated-under-verify";
        var cs = new NpgsqlConnectionStringBuilder(lab.ConnectionString) { ApplicationName = app }.ConnectionString;
        await using var source = NpgsqlDataSource.Create(cs);
        await using var catalog = new CatalogContext(source, lab.Manifest!.ReferenceTime, cs);
        var scenario = ScenarioCatalog.All.Single(s => s.Name == "lookup-by-tracking-number");
        await using var prepared = new TerminateBeforeFirstVariant(await scenario.PrepareAsync(catalog, default), async () =>
        {
            // What the server does to every session when it shuts down or its postmaster dies: FATAL 57P01.
            await using var cmd = lab.DataSource.CreateCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1");
            cmd.Parameters.AddWithValue(app);
            Assert.True((long)(await cmd.ExecuteScalarAsync())! > 0);
        });

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => QueryLab.Bench.Verification.Verifier.VerifyAsync(prepared, default));

        Assert.True(prepared.Terminated);
        Assert.True(ServerFaults.IsServerFault(ex), ex.ToString());
        var (code, message) = Failures.Describe(ex);
        Assert.Equal(ExitCode.Environment, code);
        Assert.Matches("^(the PostgreSQL server shut down|lost the connection to the PostgreSQL server) in the middle of the run", message);
    }

    /// <summary>The real prepared scenario; the connections are terminated once, after the baseline ran, before the first other variant runs.</summary>
    private sealed class TerminateBeforeFirstVariant(IPreparedScenario inner, Func<Task> terminate) : IPreparedScenario
    {
        public bool Terminated { get; private set; }

        public IScenario Scenario => inner.Scenario;

        public int ParameterCount => inner.ParameterCount;

        public string DescribeParameters(int iteration) => inner.DescribeParameters(iteration);

        public string? NotRunReason(IVariant variant) => inner.NotRunReason(variant);

        public async Task<VariantResult> RunAsync(IVariant variant, int iteration, bool collect, CancellationToken ct)
        {
            if (!variant.IsBaseline && !Terminated)
            {
                Terminated = true;
                await terminate();
            }

            return await inner.RunAsync(variant, iteration, collect, ct);
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    [Theory]
    [InlineData("start")]
    [InlineData("stop")]
    [InlineData("destroy")]
    public async Task Server_start_stop_and_destroy_refuse_a_server_named_by_connection(string verb)
    {
        var r = await CliRunner.RunAsync(null, "server", verb, "--connection", lab.ConnectionString);

        Assert.True(r.ExitCode == 2, r.All);
        Assert.Equal("error: `querylab server` manages the embedded cluster only; drop --connection (a server you name is yours to start and stop)", r.Err.Trim());
        Assert.Equal(1, await LabSql.ScalarAsync(lab.ConnectionString, "SELECT 1")); // the server named is untouched
    }

    [Fact]
    public async Task A_base_ref_that_git_would_read_as_an_option_is_refused()
    {
        var r = await CliRunner.RunAsync(null, "ab", "--base-ref=--output=/tmp/querylab-pwned", "--profile", "smoke");

        Assert.True(r.ExitCode == 2, r.All);
        Assert.Equal("error: --base-ref '--output=/tmp/querylab-pwned' is not a git ref", r.Err.Trim());
        Assert.False(File.Exists("/tmp/querylab-pwned"));
    }
}

/// <summary>What a bug prints needs no server.</summary>
[Trait("Category", "Serverless")]
public sealed class BugLineTests
{
    [Fact]
    public void An_unexpected_error_is_exit_1_one_line_with_the_password_redacted()
    {
        var bug = new InvalidOperationException("boom while using Host=db;Username=u;Password=hunter2-secret;Database=d");

        var (code, message) = Failures.Describe(bug);

        Assert.Equal(ExitCode.Failed, code);
        Assert.StartsWith("unexpected InvalidOperationException: boom while using Host=db;Username=u;Password=***", message, StringComparison.Ordinal);
        Assert.EndsWith("a bug in QueryLab; run with --verbose and report it", message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", message, StringComparison.Ordinal);
    }
}
