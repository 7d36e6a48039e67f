using System.Diagnostics;
using System.Globalization;
using Npgsql;
using QueryLab.Bench.Exits;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;
using QueryLab.Queries.Catalog;
using QueryLab.Seed;
using QueryLab.Seed.Migrations;
using QueryLab.Seed.Seeding;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Rehearsal;

/// <summary>
/// <c>querylab migrate --rehearse</c>: the staging test of a migration, at the lab's scale. The lab database is copied
/// (<see cref="RehearsalCopy"/>), the catalog's scenarios run on the copy as the application's traffic
/// (<see cref="Traffic"/>), and once it is steady the pending files are applied statement by statement as migrate applies
/// them (<see cref="RehearsalRun"/>), while <see cref="LockSampler"/> watches who waits for the migration; the traffic runs
/// on for a while after. The copy is dropped — also on failure and Ctrl+C —, the lab's checksums are recomputed to prove it
/// untouched, and rehearsal.md / rehearsal.json are written to a run folder.
/// </summary>
public sealed class RehearsalSession(RehearsalPlan plan, LabContext ctx)
{
    private const string TrafficApp = "querylab-rehearse-traffic";
    private const string MigrationApp = "querylab-rehearse-migration";

    /// <summary>The verb: rehearse, write the run folder, say where it is; exit 1 when a statement blocked the traffic longer than --max-block.</summary>
    public static async Task<int> RunVerbAsync(RehearsalPlan plan, ServerChoice server, string reportsDir, string command, LabContext ctx, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(ctx);
        await using var lab = await LabSession.OpenAsync(server, ctx, keepRunning: false, ct);
        var (results, folder, failure) = await new RehearsalSession(plan, ctx).RunAsync(lab, reportsDir, command, ct);
        ctx.Out.WriteLine($"rehearse: {Path.Combine(folder, "rehearsal.md")}");
        if (results.LabChanges.Count > 0)
        {
            throw new InvalidOperationException($"the lab changed during the rehearsal, which only ever writes to its copy: {string.Join("; ", results.LabChanges)}");
        }

        if (failure is not null)
        {
            throw LabException.BadInput($"{failure} (the rehearsal's report: {ctx.Display(Path.Combine(folder, "rehearsal.md"))})");
        }

        return ExitCodes.Code(ExitCodes.If(results.Statements.Any(s => s.Blocked), Ending.TrafficBlocked));
    }

    public async Task<(RehearsalResults Results, string Folder, string? Failure)> RunAsync(LabServer lab, string reportsDir, string command, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var loadAtStart = LoadAverage();
        var (labDb, manifest, files, pending, lint) = await ReadLabAsync(lab, ct);
        var started = DateTimeOffset.UtcNow;
        var folder = RunFolder.Create(reportsDir, $"{manifest.Scale}-rehearse", started);
        RehearsalCopy? copyRef = null;
        ctx.Work.Enter("copying the lab", () =>
            $"{(copyRef is null || copyRef.Dropped ? $"the copy {RehearsalCopy.Name} was dropped" : $"the copy {RehearsalCopy.Name} could not be dropped (see the warning)")}; "
            + $"no run folder was written; the lab {labDb} was not touched (every statement ran on the copy)");
        try
        {
            RehearsalRecording recording;
            string? failure;
            IReadOnlyList<string> notRun;
            int ticks;
            ServerInfo serverInfo;
            TimeSpan copyTime;
            await using (var copy = await RehearsalCopy.CreateAsync(lab, labDb, ctx.Out, ctx.Err, ct))
            {
                copyRef = copy;
                copyTime = copy.CopyTime;
                (recording, failure, notRun, ticks, serverInfo) = await RehearseAsync(lab, copy, manifest, pending, ct);
            }

            ctx.Work.Step("checking the lab");
            ctx.Out.WriteLine($"rehearse: dropped {RehearsalCopy.Name}; checking the lab's tables against the seed's manifest");
            IReadOnlyList<string> changes;
            await using (var ds = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(lab.Connection.ConnectionString) { Pooling = false }))
            {
                changes = await manifest.ChangedTablesAsync(ds, ct);
            }

            ctx.Work.Step("writing the report");
            var (statements, fileResults, phases, timeline) = RehearsalAnalysis.Analyse(recording, lint, plan.MaxBlock, manifest.Scale);
            var blocked = statements.Where(s => s.Blocked).ToList();
            var verdict = failure is not null ? $"fails: {failure}"
                : blocked.Count > 0 ? $"blocks the traffic: {string.Join("; ", blocked.Select(b => $"{b.File}:{b.Line} made requests wait up to {Units.Duration(b.LongestWaitMs)}"))} (--max-block {Units.Duration(plan.MaxBlock.TotalMilliseconds)})"
                : $"safe at {manifest.Scale}: no statement made a request wait longer than --max-block {Units.Duration(plan.MaxBlock.TotalMilliseconds)}";
            var results = new RehearsalResults
            {
                RunId = folder.RunId,
                StartedAt = started,
                FinishedAt = DateTimeOffset.UtcNow,
                Command = command,
                Git = await RunEnvironment.GitAsync(ctx.RepositoryRoot, CancellationToken.None),
                Machine = RunEnvironment.Machine(),
                LoadAverage = loadAtStart is null ? null : $"{loadAtStart} at the start, {LoadAverage()} at the end",
                Server = serverInfo,
                Dataset = RunEnvironment.Dataset(manifest),
                Settings = new RehearsalSettings(
                    ctx.Display(files.Directory), recording.Scenarios, notRun, plan.Clients, plan.MaxBlock.TotalMilliseconds, plan.Steady.TotalMilliseconds,
                    plan.After.TotalMilliseconds, LockSampler.Interval.TotalMilliseconds, copyTime.TotalMilliseconds, RehearsalCopy.Name),
                Files = fileResults,
                Statements = statements,
                Phases = phases,
                Timeline = timeline,
                Failures = RehearsalAnalysis.Failures(recording),
                LabChanges = changes,
                SamplerTicks = ticks,
                Verdict = verdict,
            };
            await File.WriteAllTextAsync(folder.PathOf("rehearsal.json"), RehearsalJson.Serialize(results), ct);
            await File.WriteAllTextAsync(folder.PathOf("rehearsal.md"), RehearsalMarkdown.Render(results), ct);
            var final = folder.Complete(updateLatest: false);
            ctx.Work.Leave();
            RehearsalMarkdown.PrintTerminal(results, ctx.Out);
            return (results, final, failure);
        }
        catch
        {
            folder.Abandon();
            throw;
        }
    }

    /// <summary>The lab as the rehearsal needs it: seeded, its applied migrations unedited, something pending. Read on a connection that is closed before the copy.</summary>
    private async Task<(string Database, SeedManifest Manifest, MigrationSet Files, IReadOnlyList<MigrationFile> Pending, IReadOnlyList<LintFinding> Lint)> ReadLabAsync(LabServer lab, CancellationToken ct)
    {
        await using var ds = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(lab.Connection.ConnectionString) { Pooling = false });
        string database;
        await using (var cmd = ds.CreateCommand("SELECT current_database()"))
        {
            database = (string)(await cmd.ExecuteScalarAsync(ct))!;
        }

        SeedManifest? manifest;
        try
        {
            manifest = await SeedManifest.ReadAsync(ds, ct);
        }
        catch (SeedException)
        {
            manifest = null; // the schema was never migrated
        }

        if (manifest is null || !manifest.IsComplete)
        {
            throw LabException.BadInput(
                $"{lab.Description} holds no complete seed ({manifest?.ToString() ?? "never seeded"}); a rehearsal copies the seeded lab: run `querylab seed --scale small` (or the scale to rehearse at) first");
        }

        var files = MigrationSet.Load(plan.Folder);
        var status = await new MigrationRunner(ds, files, TextWriter.Null).StatusAsync(ct);
        MigrationRunner.CheckConsistent(status, files, lab.Description);
        if (status.Pending.Count == 0)
        {
            throw LabException.BadInput(
                $"nothing to rehearse: every migration in {ctx.Display(files.Directory)} is applied to {lab.Description}; put the new file beside the applied ones in a folder and pass it with --migrations DIR");
        }

        var lint = MigrationLinter.Lint(status.Pending, await Migration.ExistingTablesAsync(ds, ct));
        ctx.Out.WriteLine($"dataset: {manifest}");
        ctx.Out.WriteLine($"rehearse: {status.Pending.Count} pending file(s) from {ctx.Display(files.Directory)} ({string.Join(", ", status.Pending.Select(p => Path.GetFileName(p.Path)))}), "
            + $"{lint.Count(l => l.Severity == LintSeverity.Warning)} lint warning(s)");
        return (database, manifest, files, status.Pending, lint);
    }

    private async Task<(RehearsalRecording Recording, string? Failure, IReadOnlyList<string> NotRun, int Ticks, ServerInfo Server)> RehearseAsync(
        LabServer lab, RehearsalCopy copy, SeedManifest manifest, IReadOnlyList<MigrationFile> pending, CancellationToken ct)
    {
        var csb = new NpgsqlConnectionStringBuilder(copy.ConnectionString(TrafficApp));
        csb.MaxPoolSize = Math.Max(csb.MaxPoolSize, plan.Clients + 2);
        await using var ds = new NpgsqlDataSourceBuilder(csb.ConnectionString).Build();
        var serverInfo = await RunEnvironment.ServerAsync(lab, ds, ct);
        await using var catalog = new CatalogContext(ds, manifest.ReferenceTime, csb.ConnectionString) { Poolers = PgBouncerLauncher.Instance };
        var prepared = new List<(IPreparedScenario Prepared, IVariant Variant)>();
        var notRun = new List<string>();
        Traffic? traffic = null;
        try
        {
            ctx.Work.Step("preparing the traffic");
            foreach (var s in plan.Scenarios)
            {
                var p = await s.PrepareAsync(catalog, ct);
                if (p.NotRunReason(s.Baseline) is { } reason)
                {
                    notRun.Add($"{s.Name}: {reason}");
                    ctx.Out.WriteLine($"rehearse: {s.Name} is left out of the traffic: {reason}");
                    await p.DisposeAsync();
                    continue;
                }

                prepared.Add((p, s.Baseline));
            }

            if (prepared.Count == 0)
            {
                throw LabException.Environment($"none of the selected scenarios can run here ({string.Join("; ", notRun)}); pick others with --scenario");
            }

            await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(copy.ConnectionString(MigrationApp)) { Pooling = false }.ConnectionString);
            await conn.OpenAsync(ct);
            await using var sampler = await LockSampler.StartAsync(copy.ConnectionString("querylab-rehearse-sampler"), conn.ProcessID, ct);
            var names = prepared.Select(p => p.Prepared.Scenario.Name).ToList();
            ctx.Out.WriteLine($"rehearse: traffic of {plan.Clients} client(s) on the copy: {string.Join(", ", prepared.Select(p => $"{p.Prepared.Scenario.Name}/{p.Variant.Name}"))}"
                + " (writes rolled back); progress once a second on stderr");
            ctx.Work.Step("running the traffic before the migration");
            traffic = new Traffic(prepared, plan.Clients, ct);
            var warmStart = Stopwatch.GetTimestamp();
            while ((!traffic.Warm || Stopwatch.GetElapsedTime(warmStart) < TimeSpan.FromSeconds(1)) && Stopwatch.GetElapsedTime(warmStart) < TimeSpan.FromMinutes(1))
            {
                await Task.Delay(20, ct);
            }

            var measureStart = Stopwatch.GetTimestamp();
            await RunForAsync(traffic, plan.Steady, "before the migration", ct);
            var migrationStart = Stopwatch.GetTimestamp();
            ctx.Work.Step("applying the migration to the copy");
            var run = new RehearsalRun(conn, sampler, ctx.Out);
            await run.RunAsync(pending, ct);
            var migrationEnd = Stopwatch.GetTimestamp();
            ctx.Work.Step("running the traffic after the migration");
            await RunForAsync(traffic, plan.After, "after the migration", ct);
            var requests = await traffic.StopAsync();
            var end = Stopwatch.GetTimestamp();
            ct.ThrowIfCancellationRequested();
            var recording = new RehearsalRecording(measureStart, migrationStart, migrationEnd, end, names, requests, sampler.Waits.ToList(), sampler.Held.ToList(), run.Files, run.Statements, new Dictionary<int, double>(sampler.MigrationWaits));
            return (recording, run.Failure, notRun, (int)sampler.Ticks, serverInfo);
        }
        finally
        {
            if (traffic is not null)
            {
                await traffic.StopAsync(); // on Ctrl+C or a failure too: no client may outlive its prepared scenario
            }

            foreach (var (p, _) in prepared)
            {
                await p.DisposeAsync();
            }
        }
    }

    /// <summary>Lets the traffic run for <paramref name="duration"/>, a progress line a second on stderr.</summary>
    private async Task RunForAsync(Traffic traffic, TimeSpan duration, string what, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        var last = traffic.Completed;
        while (duration - Stopwatch.GetElapsedTime(start) is var left && left > TimeSpan.FromMilliseconds(20))
        {
            await Task.Delay(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), ct);
            var now = traffic.Completed;
            ctx.Err.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  traffic {what}: {Stopwatch.GetElapsedTime(start).TotalSeconds:0} s, {now - last:N0} requests in the last second, {traffic.Failed:N0} failed so far"));
            last = now;
        }
    }

    private static string? LoadAverage()
    {
        try
        {
            var text = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ') : null;
            return text is { Length: >= 3 } ? $"{text[0]} {text[1]} {text[2]}" : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
