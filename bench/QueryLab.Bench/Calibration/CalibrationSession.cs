using QueryLab.Bench.Lab;
using QueryLab.Bench.Results;
using QueryLab.Bench.Timing;
using QueryLab.Queries.Catalog;

namespace QueryLab.Bench.Calibration;

/// <summary>What <c>querylab calibrate</c> was asked for, checked once.</summary>
/// <param name="Injection">"auto", "server" or "client".</param>
public sealed record CalibrationRequest(IReadOnlyList<IScenario> Scenarios, string ReportsDir, int Trials, IReadOnlyList<double> Slowdowns, double Threshold, double Alpha, string Injection, string Command)
{
    /// <summary>What the issue asks of the whole catalog on small: ten minutes.</summary>
    public static readonly TimeSpan DefaultBudget = TimeSpan.FromMinutes(10);

    /// <summary>The time the whole run may take, warm-up included: each variant's duets are planned to fit its share of what is left.</summary>
    public TimeSpan Budget { get; init; } = DefaultBudget;
}

/// <summary>
/// One calibration run: open the lab, warm every selected variant, measure the harness floor, run the duets of
/// <see cref="CalibrationRunner"/>, and write calibrate.md and calibrate.json into a run folder (reports/latest, the
/// last bench run, stays as it is).
/// </summary>
public sealed class CalibrationSession(LabPipeline lab, LabContext ctx)
{
    /// <summary>B slices per duet. At 99% the exact signed-rank interval needs 8 pairs and is then the extremes of the Walsh averages; 16 make it tight.</summary>
    public const int Pairs = 16;

    /// <summary>An undecided duet goes on to this many pairs, as ab's does.</summary>
    public const int MaxPairs = 48;

    /// <summary>The fewest pairs a duet is given when the budget is short: the exact 99% signed-rank interval needs 8.</summary>
    public const int MinPairs = 8;

    /// <summary>The planned length of one slice.</summary>
    public const double SliceMs = 30;

    public async Task<(CalibrationResults Results, string Folder)> RunAsync(CalibrationRequest request, ISlowdownInjector injector, string? injectionNote, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(injector);
        await using var benchLock = await lab.AcquireBenchLockAsync(ct);
        var started = DateTimeOffset.UtcNow;
        var deadline = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(request.Budget.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        var folder = RunFolder.Create(request.ReportsDir, $"{lab.Manifest.Scale}-calibrate", started);
        ctx.Work.Enter("preparing the calibration", () => folder.DescribeUnfinished() + "; the data is unchanged (every write is rolled back)");
        var prepared = new List<IPreparedScenario>();
        try
        {
            foreach (var s in request.Scenarios)
            {
                prepared.Add(await s.PrepareAsync(lab.Catalog, ct));
            }

            var cases = prepared
                .SelectMany(p => p.Scenario.Variants.Where(v => p.NotRunReason(v) is null).Select(v => (Prepared: p, Variant: v)))
                .ToList();
            ctx.Work.Step("warming up");
            var estimates = await WarmUp.RunAsync(cases, ctx.Out, ct);
            ctx.Work.Step("measuring the harness floor");
            var floor = await HarnessFloorProbe.MeasureAsync(lab, ctx.Out, ct);
            var vacuum = new LabVacuum(lab.DataSource);
            await vacuum.RestoreAsync(ct);
            var plans = cases.Select(c => new CasePlan(c.Prepared, c.Variant, 1, 1, 0)).ToList();
            var settings = new CalibrationSettings(request.Trials, Pairs, SliceMs, request.Threshold, 1 - request.Alpha, request.Slowdowns, injector.Where, injectionNote) { MaxPairs = MaxPairs, MinPairs = MinPairs, BudgetSeconds = request.Budget.TotalSeconds };
            if (injectionNote is not null)
            {
                ctx.Out.WriteLine($"calibrate: {injectionNote}");
            }

            ctx.Out.WriteLine($"calibrate: {plans.Count} variant(s), {request.Trials} A/A and {request.Trials} × raw duets each, then slowdowns of {string.Join(", ", request.Slowdowns.OrderDescending().Select(x => $"{x * 100:0.#}%"))} (the largest first) injected in the {injector.Where}; a duet is {Pairs} pairs of ~{SliceMs:0} ms slices, up to {MaxPairs} while undecided, fewer (at least {MinPairs}) where the budget of {request.Budget.TotalMinutes:0.#} min would not hold them");
            ctx.Work.Step("calibrating");
            var runner = new CalibrationRunner(settings, injector, ctx.Out);
            var variants = await runner.RunAsync(plans, estimates, deadline, ct);
            var results = new CalibrationResults
            {
                RunId = folder.RunId,
                StartedAt = started,
                FinishedAt = DateTimeOffset.UtcNow,
                Command = request.Command,
                Machine = RunEnvironment.Machine(),
                Server = await RunEnvironment.ServerAsync(lab.Server, lab.DataSource, ct),
                Dataset = RunEnvironment.Dataset(lab.Manifest),
                Settings = settings,
                Floor = floor,
                Variants = variants,
                StealPercent = runner.Stolen.StealPercent,
            };
            ctx.Work.Step("writing the report");
            await File.WriteAllTextAsync(folder.PathOf("calibrate.json"), CalibrationReport.Serialize(results), ct);
            await File.WriteAllTextAsync(folder.PathOf("calibrate.md"), CalibrationReport.Markdown(results), ct);
            ct.ThrowIfCancellationRequested();
            var final = folder.Complete(updateLatest: false);
            ctx.Work.Leave();
            return (results, final);
        }
        catch
        {
            folder.Abandon();
            throw;
        }
        finally
        {
            foreach (var p in prepared)
            {
                await p.DisposeAsync();
            }
        }
    }
}
