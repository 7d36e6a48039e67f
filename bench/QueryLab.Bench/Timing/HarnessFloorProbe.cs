using System.Diagnostics;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;
using QueryLab.Queries.Scenarios;
using QueryLab.Seed;
using QueryLab.Seed.Seeding;

namespace QueryLab.Bench.Timing;

/// <summary>
/// The harness floor, measured in every run that times: raw Npgsql's one-row lookup in a plain async loop in this
/// process, and <c>pgbench -S -M prepared -c 1</c> against the same server when pgbench is installed (in a scratch
/// database, dropped afterwards). A reader sees what the simplest operation costs through QueryLab and through
/// PostgreSQL's own client, on this machine, in these minutes.
/// </summary>
public static class HarnessFloorProbe
{
    private const int Batches = 9;

    private static readonly TimeSpan Batch = TimeSpan.FromMilliseconds(60);

    private static readonly TimeSpan PgbenchDuration = TimeSpan.FromSeconds(3);

    public static async Task<HarnessFloor> MeasureAsync(LabPipeline lab, TextWriter o, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lab);
        ArgumentNullException.ThrowIfNull(o);
        var scenario = new LookupByTrackingNumber();
        await using var prepared = await scenario.PrepareAsync(lab.Catalog, ct);
        var variant = ((Queries.Catalog.IScenario)scenario).Baseline;

        // Warm (about a second), then size a batch like an invocation of bench, and time the batches.
        var watch = Stopwatch.StartNew();
        var ops = 0;
        while (watch.Elapsed < TimeSpan.FromSeconds(1) || ops < 100)
        {
            await prepared.RunAsync(variant, ops++, collect: false, ct);
        }

        var estimate = watch.Elapsed.TotalNanoseconds / ops;
        var n = Duet.SliceOperations(estimate, Batch);

        var plan = new CasePlan(prepared, variant, n, 1, 0);
        var batches = new List<double>(Batches);
        for (var i = 0; i < Batches; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await Task.Run(() => OperationLoop.RunAsync(plan, i * n, n, ct), ct);
            batches.Add(Stopwatch.GetElapsedTime(started).TotalNanoseconds / n);
        }

        batches.Sort();
        var (pg, note) = await PgbenchAsync(lab, ct);
        var floor = new HarnessFloor(batches[Batches / 2], batches[0], batches[^1], Batches, pg?.MedianNs, pg?.MinNs, pg?.MaxNs, note);
        o.WriteLine($"bench: harness floor: {MarkdownReport.FloorText(floor).Replace("`", "", StringComparison.Ordinal)}");
        return floor;
    }

    private static async Task<(PgbenchSelectResult? Result, string? Note)> PgbenchAsync(LabPipeline lab, CancellationToken ct)
    {
        string pgbench;
        try
        {
            pgbench = PgbenchLocator.Find(lab.Server.Embedded?.Binaries.BinDir);
        }
        catch (SeedException)
        {
            return (null, "not installed (it ships with the PostgreSQL server packages)");
        }

        try
        {
            return (await PgbenchSelect.RunAsync(lab.DataSource, pgbench, lab.Server.Connection.Password, PgbenchDuration, ct), null);
        }
        catch (SeedException e)
        {
            return (null, "could not run: " + e.Message);
        }
    }
}
