using QueryLab.Seed.Server;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM sent to a real <c>querylab upgrade</c>: exit 130, no run folder, and one line that says
/// what became of each major's cluster — stopped, or left running as it was before the run — where it lives, and the
/// <c>server destroy --pg N</c> that removes it.
/// </summary>
public sealed partial class UpgradeTests
{
    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task An_upgrade_interrupted_while_writing_its_report_leaves_no_run_folder_and_stops_the_clusters_it_started(string signal)
    {
        var reports = Directory.CreateTempSubdirectory("querylab-upgrade-int-").FullName;
        try
        {
            var env = Env();
            env["QUERYLAB_TEST_PAUSE_AT"] = "upgrade-report";
            await using (var p = CliRunner.Start(
                env, "upgrade", "--pg", "15,17", "--pg-bin", $"15={Debian15}", "--scale", "tiny", "--profile", "smoke", "--scenario", "pending-page", "--reports", reports))
            {
                await p.WaitForLineAsync("QUERYLAB_TEST_PAUSE_AT=upgrade-report: paused", TimeSpan.FromMinutes(3));
                await p.SignalAsync(signal);
                var (code, since) = await p.WaitForExitAsync(TimeSpan.FromSeconds(30));
                Assert.True(code == 130, $"exit {code}:\n{p.All}");
                Assert.True(since < TimeSpan.FromSeconds(20), $"stopped {since.TotalSeconds:0.0} s after SIG{signal}:\n{p.All}");
                Assert.Contains($"SIG{signal}: stopping…", p.Err, StringComparison.Ordinal);
                var match = System.Text.RegularExpressions.Regex.Match(
                    p.Err,
                    @"interrupted while writing upgrade\.md and upgrade\.json: the run \S+-tiny-smoke-upgrade-15-17 was not completed \(its temporary folder was removed, no \S+ was written\); "
                    + @"the PostgreSQL 15 cluster \((?<c15>[^)]+)\) was stopped, the PostgreSQL 17 cluster \((?<c17>[^)]+)\) was stopped; "
                    + @"their data stays for the next run \(`querylab server destroy --pg 15`, `querylab server destroy --pg 17` remove them\); the download cache holds only checked packages");
                Assert.True(match.Success, p.Err);
                Assert.StartsWith(Path.Combine(Home, "clusters", "15"), match.Groups["c15"].Value, StringComparison.Ordinal);
                Assert.StartsWith(Path.Combine(Home, "clusters", "17"), match.Groups["c17"].Value, StringComparison.Ordinal);
                Assert.DoesNotContain("   at ", p.All, StringComparison.Ordinal);
            }

            Assert.Empty(Directory.GetFileSystemEntries(reports)); // not even the hidden .partial folder
            foreach (var major in new[] { "15", "17" })
            {
                var status = await CliRunner.RunAsync(Env(), "server", "status", "--pg", major);
                Assert.Contains("running: no", status.Out, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(reports, recursive: true);
        }
    }

    [Fact]
    public async Task An_upgrade_interrupted_inside_a_majors_stage_leaves_a_cluster_that_was_running_running_and_says_where_and_how_to_remove_it()
    {
        var reports = Directory.CreateTempSubdirectory("querylab-upgrade-int-").FullName;

        // PostgreSQL 15's cluster runs before the upgrade does (another run, or a crash, can leave it so): not the run's to stop.
        var clusters = new MajorClusters(Home, new PackageCache(Path.Combine(LabFixture.RepoRoot, ".querylab", "cache"), null, TextWriter.Null), TextWriter.Null);
        var fifteen = clusters.Server((await ServerBinaries.ProbeAsync(Debian15, CancellationToken.None))!);
        await fifteen.StartAsync(CancellationToken.None);
        try
        {
            var dir = (await fifteen.StatusAsync(CancellationToken.None)).ClusterDir;
            await using (var p = CliRunner.Start(
                Env(), "upgrade", "--pg", "15,17", "--pg-bin", $"15={Debian15}", "--scale", "tiny", "--profile", "smoke", "--scenario", "pending-page", "--reports", reports))
            {
                // Interrupted in 15's migration, seed or bench (a stage of its own, inside the upgrade's), before 17 is reached.
                await p.WaitForLineAsync("upgrade: PostgreSQL 15: cluster ", TimeSpan.FromMinutes(2));
                await p.SignalAsync("INT");
                var (code, _) = await p.WaitForExitAsync(TimeSpan.FromSeconds(30));
                Assert.True(code == 130, $"exit {code}:\n{p.All}");
                Assert.Contains("(already running)", p.Out, StringComparison.Ordinal);
                var line = Assert.Single(p.Err.Split('\n'), l => l.StartsWith("interrupted while ", StringComparison.Ordinal));
                Assert.Contains("-tiny-smoke-upgrade-15-17 was not completed (its temporary folder was removed", line, StringComparison.Ordinal);
                Assert.EndsWith(
                    $"; the PostgreSQL 15 cluster ({dir}) was left running, as it was before this run, PostgreSQL 17 was not reached; "
                    + "its data stays for the next run (`querylab server destroy --pg 15` removes it); the download cache holds only checked packages",
                    line.TrimEnd(),
                    StringComparison.Ordinal);
            }

            Assert.Empty(Directory.GetFileSystemEntries(reports));
            Assert.True((await fifteen.StatusAsync(CancellationToken.None)).Running, "the cluster that was running before the upgrade still runs");
        }
        finally
        {
            await fifteen.StopAsync(CancellationToken.None);
            Directory.Delete(reports, recursive: true);
        }
    }
}
