using Npgsql;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Pipeline;
using QueryLab.Bench.Results;
using QueryLab.Bench.Timing;
using QueryLab.Queries.Catalog;
using QueryLab.Seed;
using QueryLab.Seed.Seeding;

namespace QueryLab.Bench.Scaling;

/// <summary>What <c>querylab scaling</c> was asked for, checked by the command line before anything is opened.</summary>
public sealed record ScalingOptions(
    ServerChoice Server,
    IReadOnlyList<Scale> Scales,
    IReadOnlyList<IScenario> Scenarios,
    BenchProfile Profile,
    TimingOptions Timing,
    TimeSpan Budget,
    string ReportsDir,
    string Command);

/// <summary>
/// <c>querylab scaling</c>: one database per scale on the same server (<c>querylab_scale_&lt;scale&gt;</c>, each seeded once with
/// seed 42 and reused: a complete seed is a no-op, an incomplete one is reseeded), the catalog verified, timed and profiled on
/// each as bench does (a run folder per scale inside the scaling folder), then scaling.md and scaling.json. The scaling
/// folder stays <c>.partial</c> until the end: an interrupt leaves every finished scale's database intact and no scaling.md
/// that looks complete.
/// </summary>
public static class ScalingRun
{
    public const string DatabasePrefix = "querylab_scale_";

    public static async Task<int> RunAsync(ScalingOptions options, LabContext ctx, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ctx);
        await using var server = await LabSession.OpenAsync(options.Server, ctx, keepRunning: false, ct);
        var started = DateTimeOffset.UtcNow;
        var scales = options.Scales.OrderBy(s => s.Shipments).ToList();
        var folder = RunFolder.Create(options.ReportsDir, $"scaling-{options.Profile.Name}", started);
        ctx.Work.Enter("scaling", () => folder.DescribeUnfinished() + "; the databases of the scales already measured are kept, seeded, for the next run");
        try
        {
            var measured = new List<MeasuredScale>();
            var failed = false;
            foreach (var (scale, i) in scales.Select((s, i) => (s, i + 1)))
            {
                var database = DatabasePrefix + scale.Key;
                ctx.Out.WriteLine($"scaling: [{i}/{scales.Count}] scale {scale.Key} ({scale.Shipments:N0} shipments) in database {database}");
                ctx.Work.Step($"scale {scale.Key}");
                await EnsureDatabaseAsync(server, database, ctx, ct);
                var connection = new NpgsqlConnectionStringBuilder(server.Connection.ConnectionString) { Database = database }.ConnectionString;
                var choice = new ServerChoice(connection, $"scale {scale.Key}") { StatementLimit = options.Server.StatementLimit };
                await using var lab = await LabPipeline.OpenAsync(choice, ctx, new SeedRequest(scale), ct);
                var session = new BenchSession(lab, ctx, options.Profile, folder.WorkDir, options.Command, options.Timing) { UpdateLatest = false };
                var outcome = await session.RunAsync(options.Scenarios, ct);
                failed |= outcome.VerificationFailed;
                long size;
                await using (var cmd = lab.DataSource.CreateCommand("SELECT pg_database_size(current_database())"))
                {
                    size = (long)(await cmd.ExecuteScalarAsync(ct))!;
                }

                measured.Add(new MeasuredScale(scale, database, size, Path.GetRelativePath(folder.WorkDir, outcome.RunFolder), outcome.Results));
                ctx.Out.WriteLine($"scaling: scale {scale.Key} measured ({DiskRoom.Size(size)}): {Path.GetFileName(outcome.RunFolder)}");
            }

            var results = new ScalingResults
            {
                RunId = folder.RunId,
                StartedAt = started,
                FinishedAt = DateTimeOffset.UtcNow,
                Command = options.Command,
                Profile = options.Profile.Name,
                BudgetMs = options.Budget.TotalMilliseconds,
                StatementLimitMs = Seed.Server.StatementLimit.Milliseconds(options.Server.StatementLimit),
                Scales = measured.Select(m => new ScaleRun(m.Scale.Key, m.Scale.Shipments, m.Database, m.DatabaseBytes, m.RunFolder, m.Results.Floor?.LoopMedianNs)).ToList(),
                Scenarios = ScalingAnalysis.Analyse(measured, options.Budget),
            };
            ct.ThrowIfCancellationRequested();
            await File.WriteAllTextAsync(folder.PathOf("scaling.json"), ScalingResults.Serialize(results), ct);
            await File.WriteAllTextAsync(folder.PathOf("scaling.md"), ScalingMarkdown.Render(results), ct);
            var final = folder.Complete(updateLatest: false);
            ctx.Work.Leave();
            Print(results, ctx.Out);
            ctx.Out.WriteLine($"scaling: {Path.Combine(final, "scaling.md")}");
            return failed ? 1 : 0;
        }
        catch
        {
            folder.Abandon();
            throw;
        }
    }

    private static async Task EnsureDatabaseAsync(Seed.Server.LabServer server, string database, LabContext ctx, CancellationToken ct)
    {
        await using var ds = server.CreateDataSource();
        await using (var exists = ds.CreateCommand("SELECT 1 FROM pg_database WHERE datname = $1"))
        {
            exists.Parameters.AddWithValue(database);
            if (await exists.ExecuteScalarAsync(ct) is not null)
            {
                return;
            }
        }

        try
        {
#pragma warning disable CA2100 // The name is QueryLab's own: the prefix and a scale's key.
            await using var create = ds.CreateCommand($"CREATE DATABASE {database}");
#pragma warning restore CA2100
            await create.ExecuteNonQueryAsync(ct);
            ctx.Out.WriteLine($"scaling: created database {database} (kept for later runs; drop it with DROP DATABASE {database})");
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw LabException.Environment($"scaling needs a database per scale, and {server.Description} refused CREATE DATABASE {database} ({e.MessageText}); grant CREATEDB to the role or create the database yourself");
        }
    }

    private static void Print(ScalingResults r, TextWriter o)
    {
        o.WriteLine();
        o.WriteLine($"{"variant",-58} {string.Join(" ", r.Scales.Select(s => $"{s.Scale,12}"))} {"exponent",20}");
        foreach (var s in r.Scenarios)
        {
            foreach (var v in s.Variants)
            {
                var times = r.Scales.Select(x => v.Points.FirstOrDefault(p => p.Scale == x.Scale)?.MedianNs is { } ns ? Reports.Units.Time(ns) : "–");
                var e = v.Time is { } t ? $"{t.Value:0.00} [{t.Lower:0.00}–{t.Upper:0.00}]" : "–";
                o.WriteLine($"{s.Name + "/" + v.Name,-58} {string.Join(" ", times.Select(x => $"{x,12}"))} {e,20}{(v.Finding is null ? "" : "  grows faster than its answer")}");
            }
        }
    }
}
