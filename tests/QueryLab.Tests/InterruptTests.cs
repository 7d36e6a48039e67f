using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Npgsql;
using QueryLab.Queries.Scenarios;
using QueryLab.Seed.Seeding;
using QueryLab.Tests.Infrastructure;
using Xunit.Abstractions;

namespace QueryLab.Tests;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM sent to the real <c>querylab</c> process in each stage — seeding, verifying, timing,
/// profiling, writing the report — and SIGKILL mid-seed: it stops within seconds with exit 130, says what was left
/// unfinished, and leaves no half-done state that looks finished (README, "When something goes wrong").
/// To interrupt a write for certain, the test holds a row lock on the last shipment of every mark-delivered set: the
/// variant's write transaction blocks on it (a statement the cancellation has to reach), and the signal is sent once
/// the server shows the querylab backend waiting.
/// </summary>
[Collection(LabCollection.Name)]
public sealed partial class InterruptTests(InterruptLab lab, ITestOutputHelper output) : IClassFixture<InterruptLab>
{
    /// <summary>How soon after the signal the process must have exited (it takes 1–3 s here).</summary>
    private static readonly TimeSpan StopsWithin = TimeSpan.FromSeconds(10);

    private const string DataUnchanged = "the data is unchanged (every write is rolled back)";

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task A_seed_interrupted_while_loading_leaves_the_manifest_incomplete_and_the_next_seed_reseeds_without_force(string signal)
    {
        var cs = await lab.CreateDatabaseAsync($"querylab_interrupt_seed_{signal.ToLowerInvariant()}");
        await using (var seed = CliRunner.Start(lab.Env(cs), "seed", "--scale", "small"))
        {
            // small: the tables take seconds to load, so the signal lands in the load for certain.
            await seed.WaitForLineAsync("Loading with binary COPY");
            await seed.SignalAsync(signal);
            var (code, since) = await seed.WaitForExitAsync(StopsWithin * 3);

            AssertInterrupted(seed, signal, code, since);
            Assert.Contains("interrupted while seeding scale small seed 42 (", seed.Err, StringComparison.Ordinal);
            Assert.Contains(
                "the seed manifest is marked incomplete: verify and bench refuse this database, and the next `querylab seed` (or `run`) reseeds it from scratch without --force",
                seed.Err,
                StringComparison.Ordinal);
        }

        await AssertIncompleteSeedIsDetectedAndReseededAsync(cs);
    }

    [Fact]
    public async Task A_seed_killed_with_SIGKILL_is_detected_verify_and_bench_refuse_and_the_next_seed_reseeds_without_force()
    {
        var cs = await lab.CreateDatabaseAsync("querylab_interrupt_seed_kill");
        await using (var seed = CliRunner.Start(lab.Env(cs), "seed", "--scale", "small"))
        {
            await seed.WaitForLineAsync("Loading with binary COPY");
            seed.Kill();
            var (code, _) = await seed.WaitForExitAsync(StopsWithin);
            Assert.Equal(128 + 9, code);
        }

        var bench = await CliRunner.RunAsync(lab.Env(cs), "bench", "--scenario", "pending-page", "--profile", "smoke", "--reports", Path.Combine(lab.Home, "refused"));
        Assert.True(bench.ExitCode == 2, bench.All);
        Assert.Contains("holds no complete seed (scale small seed 42 (generator v1, incomplete)); run `querylab seed", bench.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(lab.Home, "refused")), "a refused bench creates no run folder");
        await AssertIncompleteSeedIsDetectedAndReseededAsync(cs);
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Verify_interrupted_during_a_write_names_the_scenarios_not_verified_and_the_write_is_rolled_back(string signal)
    {
        await using var rowLock = await LockDeliverySetsAsync();
        var before = await DataStateAsync();
        await using var verify = CliRunner.Start(lab.Env(lab.ConnectionString), "verify", "--scenario", "pending-page,mark-delivered,record-tracking-events");
        await verify.WaitForLineAsync("verify pending-page: ok");
        await WaitUntilBlockedAsync(verify);
        await verify.SignalAsync(signal);
        var (code, since) = await verify.WaitForExitAsync(StopsWithin);
        await AssertNoStatementLeftWaitingAsync();
        await rowLock.DisposeAsync();

        AssertInterrupted(verify, signal, code, since);
        Assert.Contains(
            "interrupted while verifying mark-delivered: 2 of 3 scenario(s) were not verified (mark-delivered, record-tracking-events); " + DataUnchanged,
            verify.Err,
            StringComparison.Ordinal);
        Assert.DoesNotContain("verify mark-delivered", verify.Out, StringComparison.Ordinal); // no verdict, no false mismatch
        Assert.Equal(before, await DataStateAsync());
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Bench_interrupted_while_verifying_a_write_leaves_no_run_folder_latest_unchanged_and_the_data_as_seeded(string signal)
    {
        await using var rowLock = await LockDeliverySetsAsync();
        await InterruptBenchAsync(
            signal,
            ["--scenario", "pending-page,mark-delivered", "--profile", "smoke"],
            async bench =>
            {
                await bench.WaitForLineAsync("verify pending-page: ok");
                await WaitUntilBlockedAsync(bench);
            },
            "interrupted while verifying mark-delivered: ",
            () => rowLock);
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Bench_interrupted_while_timing_a_write_leaves_no_run_folder_latest_unchanged_and_the_data_as_seeded(string signal)
    {
        // The ci profile: BenchmarkDotNet times each variant for seconds, so the lock lands while it times.
        RowLock? rowLock = null;
        await InterruptBenchAsync(
            signal,
            ["--scenario", "mark-delivered", "--profile", "ci"],
            async bench =>
            {
                await bench.WaitForLineAsync("bench: timing 5 variant(s)");
                rowLock = await LockDeliverySetsAsync();
                await WaitUntilBlockedAsync(bench);
            },
            "interrupted while timing mark-delivered/",
            () => rowLock);
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Bench_interrupted_while_profiling_a_write_leaves_no_run_folder_latest_unchanged_and_the_data_as_seeded(string signal)
    {
        RowLock? rowLock = null;
        var resume = Path.Combine(Path.GetTempPath(), $"querylab-resume-{Guid.NewGuid():N}");
        await InterruptBenchAsync(
            signal,
            ["--scenario", "mark-delivered", "--profile", "smoke"],
            async bench =>
            {
                // Profiling tiny takes a fraction of a second: the run pauses before it until the lock is held.
                await bench.WaitForLineAsync("QUERYLAB_TEST_PAUSE_AT=profile: paused");
                rowLock = await LockDeliverySetsAsync();
                await File.WriteAllTextAsync(resume, "");
                await WaitUntilBlockedAsync(bench);
            },
            "interrupted while profiling mark-delivered/",
            () => rowLock,
            pauseAt: "profile",
            resumeFile: resume);
        File.Delete(resume);
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Bench_interrupted_while_writing_the_report_removes_the_half_written_folder_and_latest_is_unchanged(string signal)
    {
        // Writing the report takes milliseconds: QUERYLAB_TEST_PAUSE_AT=report holds the run there, after results.json,
        // report.md and scenarios/ are written into the temporary folder and before the rename: a run interrupted even then
        // leaves no run folder.
        string? partial = null;
        await InterruptBenchAsync(
            signal,
            ["--scenario", "pending-page", "--profile", "smoke"],
            async bench =>
            {
                var writing = await bench.WaitForLineAsync("report: writing results.json, report.md and scenarios/ into ");
                partial = writing[(writing.IndexOf(" into ", StringComparison.Ordinal) + 6)..];
                await bench.WaitForLineAsync("QUERYLAB_TEST_PAUSE_AT=report: paused");
                Assert.True(File.Exists(Path.Combine(partial, "results.json")), "results.json is written before the pause");
                Assert.Contains("(scenarios/pending-page.md)", await File.ReadAllTextAsync(Path.Combine(partial, "report.md")), StringComparison.Ordinal);
                Assert.Contains("```sql", await File.ReadAllTextAsync(Path.Combine(partial, "scenarios", "pending-page.md")), StringComparison.Ordinal);
            },
            "interrupted while writing the report: ",
            pauseAt: "report");
        Assert.NotNull(partial);
        Assert.StartsWith(Path.Combine(lab.Reports, "."), partial, StringComparison.Ordinal);
        Assert.False(Directory.Exists(partial), $"{partial} was removed");
    }

    /// <summary>
    /// Starts a bench, waits until it is in the stage, sends the signal, and checks what every interrupted bench must
    /// leave: exit 130 within seconds, a line naming the stage and what was not completed, no new run folder (complete or
    /// temporary), reports/latest still the previous complete run, and the data as seeded.
    /// </summary>
    private async Task InterruptBenchAsync(string signal, string[] args, Func<CliProcess, Task> untilInStage, string interruptedWhile, Func<RowLock?>? rowLock = null, string? pauseAt = null, string? resumeFile = null)
    {
        var reportsBefore = ReportsState();
        var dataBefore = await DataStateAsync();
        var env = lab.Env(lab.ConnectionString);
        env["QUERYLAB_TEST_PAUSE_AT"] = pauseAt;
        env["QUERYLAB_TEST_RESUME"] = resumeFile;
        await using var bench = CliRunner.Start(env, ["bench", .. args, "--reports", lab.Reports]);
        int code;
        TimeSpan since;
        try
        {
            await untilInStage(bench);
            await bench.SignalAsync(signal);
            (code, since) = await bench.WaitForExitAsync(StopsWithin);
            if (rowLock?.Invoke() is not null)
            {
                await AssertNoStatementLeftWaitingAsync();
            }
        }
        finally
        {
            if (rowLock?.Invoke() is { } held)
            {
                await held.DisposeAsync();
            }
        }

        AssertInterrupted(bench, signal, code, since);
        var line = bench.Err.Split('\n').Single(l => l.StartsWith("interrupted", StringComparison.Ordinal));
        Assert.StartsWith(interruptedWhile, line, StringComparison.Ordinal);
        var runId = RunIdOf(line);
        Assert.Contains(
            $"the run {runId} was not completed (its temporary folder was removed; no {Path.Combine(lab.Reports, runId)} was written); "
            + $"{Path.Combine(lab.Reports, "latest")} still holds the run {lab.PreviousRun}; " + DataUnchanged,
            line,
            StringComparison.Ordinal);

        Assert.Equal(reportsBefore, ReportsState());
        Assert.False(Directory.Exists(Path.Combine(lab.Reports, runId)));
        Assert.False(Directory.Exists(Path.Combine(lab.Reports, $".{runId}.partial")));
        Assert.Equal(lab.PreviousRun, (await File.ReadAllTextAsync(Path.Combine(lab.Reports, "latest", "RUN_ID"))).Trim());
        Assert.Equal(dataBefore, await DataStateAsync());
    }

    private void AssertInterrupted(CliProcess p, string signal, int code, TimeSpan since)
    {
        output.WriteLine($"SIG{signal}: exit {code} {since.TotalSeconds:0.0} s after the signal; stderr:\n{p.Err}");
        Assert.True(code == 130, $"exit {code}:\n{p.All}");
        Assert.True(since < StopsWithin, $"stopped {since.TotalSeconds:0.0} s after SIG{signal}:\n{p.All}");
        Assert.Contains($"SIG{signal}: stopping…", p.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(lab.Password, p.All, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", p.All, StringComparison.Ordinal); // no stack trace
        Assert.DoesNotContain("BenchmarkDotNet:", p.Out, StringComparison.Ordinal); // no error spam from the cases failed on the way out
    }

    /// <summary>The next run detects the incomplete seed: bench/verify refuse, and `seed` (no --force) reseeds it in full.</summary>
    private async Task AssertIncompleteSeedIsDetectedAndReseededAsync(string cs)
    {
        await using var ds = NpgsqlDataSource.Create(cs);
        var manifest = await SeedManifest.ReadAsync(ds, CancellationToken.None);
        Assert.NotNull(manifest);
        Assert.Equal(SeedManifest.Incomplete, manifest.Status);
        Assert.Null(manifest.FinishedAt);

        var verify = await CliRunner.RunAsync(lab.Env(cs), "verify");
        Assert.True(verify.ExitCode == 2, verify.All);
        Assert.Contains("holds no complete seed (scale small seed 42 (generator v1, incomplete)); run `querylab seed", verify.Err, StringComparison.Ordinal);

        // Over complete data of another scale a seed needs --force; over an incomplete one it reseeds without it.
        // (tiny, to keep the test short: the decision is the same whatever the scale asked for.)
        var reseed = await CliRunner.RunAsync(lab.Env(cs), "seed", "--scale", "tiny");
        Assert.True(reseed.ExitCode == 0, reseed.All);
        Assert.Contains("the previous seed (scale small seed 42) did not finish; seeding scale tiny seed 42 from scratch", reseed.Out, StringComparison.Ordinal);
        var complete = (await SeedManifest.ReadAsync(ds, CancellationToken.None))!;
        Assert.True(complete.IsComplete);
        Assert.Equal(Scale.Tiny.Shipments, complete.RowCounts["shipments"]);
        var recomputed = await TableChecksums.ComputeAsync(ds, CancellationToken.None);
        Assert.Equal(
            string.Join(", ", complete.TableChecksums.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}")),
            string.Join(", ", recomputed.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value.Checksum}")));
    }

    /// <summary>The manifest of the shared database and its tables' row counts and checksums as the server computes them now.</summary>
    private async Task<string> DataStateAsync()
    {
        await using var ds = NpgsqlDataSource.Create(lab.ConnectionString);
        var manifest = (await SeedManifest.ReadAsync(ds, CancellationToken.None))!;
        Assert.True(manifest.IsComplete);
        var now = await TableChecksums.ComputeAsync(ds, CancellationToken.None);
        foreach (var (table, c) in now)
        {
            Assert.True(manifest.TableChecksums[table] == c.Checksum, $"{table} changed: checksum {c.Checksum}, the seed's {manifest.TableChecksums[table]}");
            Assert.Equal(manifest.RowCounts[table], c.Rows);
        }

        return string.Join(", ", now.Select(c => $"{c.Key} {c.Value.Rows} {c.Value.Checksum}"));
    }

    /// <summary>Every entry under the reports folder (hidden ones too) and the hash of every file in latest/.</summary>
    private string ReportsState()
    {
        var entries = Directory.GetFileSystemEntries(lab.Reports).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        var latest = Directory.GetFiles(Path.Combine(lab.Reports, "latest"), "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(f => $"{Path.GetRelativePath(lab.Reports, f)} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))}");
        return string.Join('\n', entries.Concat(latest));
    }

    private static string RunIdOf(string line) => RunIdPattern().Match(line) is { Success: true } m ? m.Groups[1].Value : throw new Xunit.Sdk.XunitException($"no run id in: {line}");

    [GeneratedRegex(@"the run (\S+) was not completed")]
    private static partial Regex RunIdPattern();

    /// <summary>
    /// Locks, in a transaction of the test's own, the last shipment (by id) of every set mark-delivered writes: a
    /// variant's write transaction then blocks on it (npgsql-batch and ef-tracked after updating the 99 before it).
    /// </summary>
    private async Task<RowLock> LockDeliverySetsAsync()
    {
        var conn = new NpgsqlConnection(lab.ConnectionString);
        await conn.OpenAsync();
        var tx = await conn.BeginTransactionAsync();
        await using var cmd = new NpgsqlCommand(
            $"""
            SELECT count(*) FROM (
                SELECT id FROM querylab.shipments
                WHERE id = ANY (ARRAY(
                    SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM querylab.shipments
                                    WHERE status IN ('in_transit', 'out_for_delivery')) s
                    WHERE n % {MarkDelivered.BatchSize} = 0))
                FOR UPDATE) locked
            """,
            conn,
            tx);
        Assert.True((long)(await cmd.ExecuteScalarAsync())! > 0, "tiny holds at least one set of 100 shipments on their way");
        return new RowLock(conn, tx);
    }

    /// <summary>Waits until a querylab backend of the database waits for a lock (the row lock above).</summary>
    private async Task WaitUntilBlockedAsync(CliProcess querylab)
    {
        await using var ds = NpgsqlDataSource.Create(lab.ConnectionString);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            await using var cmd = ds.CreateCommand("""
                SELECT count(*) FROM pg_stat_activity
                WHERE datname = current_database() AND backend_type = 'client backend' AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
                """);
            if ((long)(await cmd.ExecuteScalarAsync())! > 0)
            {
                return;
            }

            Assert.False(querylab.All.Contains("report: /", StringComparison.Ordinal), $"the run finished before it blocked on the lock:\n{querylab.All}");
            await Task.Delay(10);
        }

        Assert.Fail($"querylab never waited for the row lock:\n{querylab.All}");
    }

    /// <summary>
    /// Before the test lets go of its lock: the blocked statement was cancelled on the server, not abandoned there by a
    /// process that merely exited (a backend waiting for a lock does not notice its client is gone).
    /// </summary>
    private async Task AssertNoStatementLeftWaitingAsync()
    {
        await using var ds = NpgsqlDataSource.Create(lab.ConnectionString);
        var deadline = DateTime.UtcNow.AddSeconds(3);
        string? waiting;
        do
        {
            await using var cmd = ds.CreateCommand("""
                SELECT string_agg(pid || ': ' || left(query, 60), '; ') FROM pg_stat_activity
                WHERE datname = current_database() AND backend_type = 'client backend' AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
                """);
            waiting = await cmd.ExecuteScalarAsync() as string;
            if (waiting is null)
            {
                return;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail($"querylab exited, but its statement still waits on the server: {waiting}");
    }

    /// <summary>The test's row lock: rolled back (releasing the rows) when disposed.</summary>
    private sealed class RowLock(NpgsqlConnection conn, NpgsqlTransaction tx) : IAsyncDisposable
    {
        private bool _disposed;

        public async ValueTask DisposeAsync()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await tx.RollbackAsync();
            await tx.DisposeAsync();
            await conn.DisposeAsync();
        }
    }
}
