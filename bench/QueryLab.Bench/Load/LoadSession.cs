using System.Globalization;
using Npgsql;
using QueryLab.Bench.Exits;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;
using QueryLab.Queries.Catalog;

namespace QueryLab.Bench.Load;

/// <summary>
/// One load run: under the bench lock, every selected variant at every client count of the sweep, one step after the
/// other (never two at once). Each step gets a data source of its own — the one the clients share, with the run's
/// Maximum Pool Size and Timeout and an application name of its own — and a freshly prepared scenario; both are closed
/// after the step, and the server is then asked whether any backend of that application name is still there.
/// The run folder (load.json, load.md) is written only when every step finished.
/// </summary>
public sealed class LoadSession(LabPipeline lab, LabContext ctx, LoadPlan plan, string reportsDir, string command)
{
    /// <summary>How long closed connections get to leave pg_stat_activity before they count as leaked.</summary>
    private static readonly TimeSpan LeakGrace = TimeSpan.FromSeconds(5);

    public sealed record Outcome(LoadResults Results, string RunFolder);

    /// <summary>`querylab load`: open the lab, run the plan, say where load.md is; exit 1 when connections were left open.</summary>
    public static async Task<int> RunVerbAsync(LoadPlan plan, ServerChoice server, string reportsDir, string command, LabContext ctx, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        await using var lab = await LabPipeline.OpenAsync(server, ctx, seed: null, ct);
        var outcome = await new LoadSession(lab, ctx, plan, reportsDir, command).RunAsync(ct);
        ctx.Out.WriteLine($"load: {Path.Combine(outcome.RunFolder, "load.md")}");
        var leaked = outcome.Results.Findings.Any(f => f.Code == Findings.FindingCodes.LeakedConnections);
        return ExitCodes.Code(ExitCodes.If(leaked, Ending.ConnectionsLeftOpen));
    }

    /// <summary>Runs the plan and writes the run folder. Ctrl+C prints what was measured, writes nothing, and throws OperationCanceledException.</summary>
    public async Task<Outcome> RunAsync(CancellationToken ct)
    {
        await using var benchLock = await lab.AcquireBenchLockAsync(ct);
        var started = DateTimeOffset.UtcNow;
        var folder = RunFolder.Create(reportsDir, $"{lab.Manifest.Scale}-load", started);
        try
        {
            var appName = $"querylab-load-{Environment.ProcessId}";
            var csb = new NpgsqlConnectionStringBuilder(lab.Catalog.ConnectionString) { ApplicationName = appName }; // through the relay with --latency
            if (plan.PoolSize is { } size)
            {
                csb.MaxPoolSize = size;
                csb.MinPoolSize = Math.Min(csb.MinPoolSize, size);
            }

            if (plan.PoolTimeoutSeconds is { } timeout)
            {
                csb.Timeout = timeout;
            }

            var limits = await ServerConnections.LimitsAsync(lab.DataSource, ct);
            limits = limits with { FreeAtStart = await ServerConnections.FreeAsync(lab.DataSource, limits, ct) };
            var settings = new LoadSettings(
                plan.Scenario.Name,
                plan.Scenario.Writes,
                plan.Variants.Select(v => v.Name).ToList(),
                plan.Clients,
                plan.Duration.TotalMilliseconds,
                plan.Warmup.TotalMilliseconds,
                csb.MaxPoolSize,
                csb.Timeout,
                appName,
                limits,
                "exact: every completed request's time is recorded; percentiles by nearest rank; failed requests are counted, not timed");
            PrintPlan(settings);
            var findings = new List<LoadFinding>();
            if (LoadFindings.PoolAboveLimit(settings) is { } above)
            {
                findings.Add(above);
                ctx.Out.WriteLine($"note: {above.Message}");
            }

            var steps = new List<LoadStep>();
            var notRun = new List<NotRunVariant>();
            var interrupted = false;
            try
            {
                foreach (var variant in plan.Variants)
                {
                    foreach (var clients in plan.Clients)
                    {
                        var (step, reason) = await RunStepAsync(variant, clients, csb.ConnectionString, settings, ct);
                        if (reason is not null)
                        {
                            notRun.Add(new NotRunVariant(variant.Name, reason));
                            ctx.Out.WriteLine($"{variant.Name}: not run: {reason}");
                            break;
                        }

                        steps.Add(step!);
                        var found = LoadFindings.For(step!, settings).ToList();
                        if (LoadFindings.PoolLimitsThroughput(step!, steps, settings, lab.RoundTrip?.TotalMilliseconds) is { } capped)
                        {
                            found.Add(capped);
                        }

                        findings.AddRange(found);
                        PrintStep(step!, found);
                        if (step!.Interrupted)
                        {
                            throw new OperationCanceledException(ct);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                interrupted = true;
            }

            if (steps.Count == 0 && !interrupted)
            {
                throw QueryLab.Seed.LabException.Environment($"no selected variant of {plan.Scenario.Name} can run here: {string.Join("; ", notRun.Select(n => $"{n.Variant}: {n.Reason}"))}");
            }

            var left = await ServerConnections.LeftOpenAsync(lab.DataSource, appName, LeakGrace, CancellationToken.None);
            if (left.Count > 0)
            {
                findings.Add(LoadFindings.Leak(left.Count, appName, $"at the end of the run (pids {string.Join(", ", left.Select(b => $"{b.Pid} {b.State}"))})"));
            }

            var results = new LoadResults
            {
                RunId = folder.RunId,
                StartedAt = started,
                FinishedAt = DateTimeOffset.UtcNow,
                Command = command,
                Git = await RunEnvironment.GitAsync(ctx.RepositoryRoot, CancellationToken.None),
                Machine = RunEnvironment.Machine(),
                Server = await RunEnvironment.ServerAsync(lab.Server, lab.DataSource, CancellationToken.None),
                Dataset = RunEnvironment.Dataset(lab.Manifest),
                Settings = settings,
                Steps = steps,
                NotRun = notRun,
                Findings = findings,
                LeakedBackendsAtEnd = left.Count,
                LatencyMs = lab.RoundTrip?.TotalMilliseconds,
            };
            LoadTerminal.Print(results, ctx.Out);
            if (interrupted)
            {
                ctx.Out.WriteLine("load: interrupted; the steps above were measured, no run folder was written");
                throw new OperationCanceledException(ct);
            }

            await File.WriteAllTextAsync(folder.PathOf("load.json"), LoadJson.Serialize(results), ct);
            await File.WriteAllTextAsync(folder.PathOf("load.md"), LoadMarkdown.Render(results), ct);
            return new Outcome(results, folder.Complete(updateLatest: false));
        }
        catch
        {
            folder.Abandon();
            throw;
        }
    }

    /// <summary>One (variant, clients) step on a data source and prepared scenario of its own, then the leak check. A variant that cannot run here gives its reason instead.</summary>
    private async Task<(LoadStep? Step, string? NotRun)> RunStepAsync(IVariant variant, int clients, string connectionString, LoadSettings settings, CancellationToken ct)
    {
        StepMeasurement m;
        await using (var ds = new NpgsqlDataSourceBuilder(connectionString).Build())
        {
            var catalog = new CatalogContext(ds, lab.Manifest.ReferenceTime, connectionString) { Poolers = lab.Catalog.Poolers, HarnessDataSource = lab.Catalog.HarnessDataSource };
            var prepared = await plan.Scenario.PrepareAsync(catalog, ct);
            try
            {
                if (prepared.NotRunReason(variant) is { } reason)
                {
                    return (null, reason);
                }

                ctx.Out.WriteLine($"{variant.Name} × {clients} client(s): {Seconds(plan.Warmup)} warm-up, then {Seconds(plan.Duration)}");
                m = await new LoadStepRunner(prepared, variant, clients).RunAsync(plan.Warmup, plan.Duration, ctx.Err, $"{variant.Name} × {clients}", ct);
            }
            finally
            {
                await prepared.DisposeAsync();
            }
        }

        var left = await ServerConnections.LeftOpenAsync(lab.DataSource, settings.ApplicationName, LeakGrace, CancellationToken.None);
        return (new LoadStep
        {
            Variant = variant.Name,
            Library = variant.Library.Display(),
            Technique = variant.Technique,
            Clients = clients,
            Sent = m.Sent,
            Completed = m.Completed,
            Failed = m.Failed,
            ElapsedMs = m.ElapsedMs,
            Throughput = m.Throughput,
            Latency = Latency.From(m.LatencyTicks),
            Failures = m.Failures,
            LeakedBackends = left.Count,
            Interrupted = m.Interrupted,
        }, null);
    }

    private void PrintPlan(LoadSettings s)
    {
        var o = ctx.Out;
        o.WriteLine($"load: {s.Scenario}{(s.Writes ? " (writes, each operation rolled back)" : "")}; variants {string.Join(", ", s.Variants)}; clients {string.Join(", ", s.Clients)}");
        o.WriteLine($"      each step: {Seconds(plan.Warmup)} warm-up (not counted), then {Seconds(plan.Duration)} measured; "
            + $"{s.Variants.Count * s.Clients.Count} step(s), at least {Seconds((plan.Warmup + plan.Duration) * (s.Variants.Count * s.Clients.Count))}");
        var l = s.Limits;
        o.WriteLine($"      pool: Maximum Pool Size {s.MaxPoolSize}, Timeout {s.PoolTimeoutSeconds} s, application_name {s.ApplicationName}; "
            + $"server: max_connections {l.MaxConnections}, {l.FreeAtStart} more connections free for role {l.Role}");
        o.WriteLine("      progress once a second on stderr");
    }

    private void PrintStep(LoadStep s, IReadOnlyList<LoadFinding> found)
    {
        var lat = s.Latency is { } l ? $"; p50 {Units.Time(l.P50Ns)}, p99 {Units.Time(l.P99Ns)}, max {Units.Time(l.MaxNs)}" : "";
        ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {Units.Count(s.Sent)} sent, {Units.Count(s.Completed)} completed, {Units.Count(s.Failed)} failed; {Units.Throughput(s.Throughput)} ops/s{lat}{(s.Interrupted ? " (interrupted)" : "")}"));
        foreach (var f in found)
        {
            ctx.Out.WriteLine($"  {f.Severity.ToString().ToUpperInvariant()} {f.Code}: {f.Message}");
        }
    }

    internal static string Seconds(TimeSpan t) =>
        t.TotalMilliseconds < 1_000 ? $"{t.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms"
        : t.TotalSeconds < 120 ? $"{t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s"
        : $"{t.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture)} min";
}
