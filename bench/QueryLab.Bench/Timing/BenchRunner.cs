using QueryLab.Bench.Results;
using System.Collections.Immutable;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Mathematics;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using QueryLab.Queries.Catalog;

namespace QueryLab.Bench.Timing;

/// <summary>The timing of one variant, as BenchmarkDotNet measured it (nanoseconds per operation), round by round.</summary>
public sealed record TimedVariant(string Scenario, string Variant, TimingRecord Figures)
{
    /// <summary>The median of each round: what the paired ratio pairs with the baseline's round of the same index.</summary>
    public IReadOnlyList<double> RoundMediansNs { get; init; } = [];

    /// <summary>Each measured iteration over the baseline's slices around it (empty for the baseline).</summary>
    public IReadOnlyList<double> PairRatios { get; init; } = [];

    /// <summary>Operations per invocation (and so per measured iteration).</summary>
    public int OperationsPerInvoke { get; init; } = 1;

    /// <summary>The plain loop's batches of the same operations, when the run checked fidelity.</summary>
    public IReadOnlyList<double> LoopNs { get; init; } = [];

    /// <summary>Allocated bytes per operation of each round's allocation pass.</summary>
    public IReadOnlyList<long> AllocatedPerRound { get; init; } = [];

    /// <summary>Measured iterations per round the case was planned with (its budget's).</summary>
    public int IterationsPerRound { get; init; }

    /// <summary>The machine's CPU time while the case was timed, and the host's steal of it.</summary>
    public CpuTimes Cpu { get; init; }

    /// <summary>The rounds the case got beyond the profile's to narrow its × raw interval.</summary>
    public int ExtraRounds { get; init; }
}

/// <summary>
/// Runs BenchmarkDotNet over prepared cases, round by round, and reads its results back into plain records. Each round
/// is one BenchmarkDotNet run of every case, ordered scenario by scenario with each scenario's variants in an order that
/// rotates from round to round, so that no variant always follows the same one.
/// </summary>
public static class BenchRunner
{
    private static readonly Lock OneRunAtATime = new();

    /// <summary>How long an interrupted run waits for BenchmarkDotNet to fail the remaining cases and return.</summary>
    private static readonly TimeSpan WindDown = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Times the cases. BenchmarkDotNet cannot be cancelled, so it runs on a thread of its own, and the cancellation
    /// reaches it through the operations: the one running is cancelled (its statement too, and its write rolls back),
    /// and every case after it fails at once. The run waits a few seconds for that, then gives up on BenchmarkDotNet.
    /// </summary>
    public static async Task<IReadOnlyList<TimedVariant>> RunAsync(TimingRun run, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        ct.ThrowIfCancellationRequested();
        if (run.Cases.Count == 0)
        {
            return [];
        }

        var done = new TaskCompletionSource<IReadOnlyList<TimedVariant>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                // BenchmarkDotNet's in-process engine and the cases it runs (BenchmarkCases) are the process's own: two runs
                // at once in one process (tests of several verbs in parallel, a verb composing runs) would read each other's
                // cases. The second waits for the first.
                lock (OneRunAtATime)
                {
                    done.SetResult(Run(run, ct));
                }
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "BenchmarkDotNet",
        };
        thread.Start();
        try
        {
            var timings = await done.Task.WaitAsync(ct);
            ct.ThrowIfCancellationRequested();
            return timings;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Let it finish failing the remaining cases, so nothing writes into the run folder once it is removed.
            await Task.WhenAny(done.Task, Task.Delay(WindDown, CancellationToken.None));
            throw;
        }
    }

    /// <summary>The order of one round: scenario by scenario as given, each scenario's variants rotated by the round.</summary>
    public static IReadOnlyList<string> RoundOrder(IReadOnlyList<CasePlan> cases, int round)
    {
        var order = new List<string>(cases.Count);
        foreach (var scenario in cases.GroupBy(c => c.Prepared.Scenario.Name))
        {
            var variants = scenario.ToList();
            for (var i = 0; i < variants.Count; i++)
            {
                order.Add(variants[(i + round) % variants.Count].Key);
            }
        }

        return order;
    }

    private static List<TimedVariant> Run(TimingRun run, CancellationToken ct)
    {
        var cases = run.Cases;
        if (run.Profile.CountsAreMeaningful)
        {
            foreach (var c in cases)
            {
                c.Partner = c.Variant.IsBaseline ? null : cases.FirstOrDefault(b => b.Variant.IsBaseline && b.Prepared == c.Prepared);
            }
        }

        BenchmarkCases.Set(cases, ct, run.Vacuum, run.LoopCheck);
        var progress = new RoundProgress(run.Progress, cases.Count, run.Profile.Rounds, run.OnCase, ct);
        try
        {
            var rounds = System.Diagnostics.Stopwatch.StartNew();
            for (var round = 0; round < run.Profile.Rounds && !ct.IsCancellationRequested; round++)
            {
                var order = RoundOrder(cases, round);
                BenchmarkCases.StartRound(round, order);
                progress.StartRound(round);
                var summary = BenchmarkRunner.Run(RoundInfo(run, round, order, progress));
                Collect(summary, run.Profile);
            }

            if (run.Tighten && run.Profile.TightenTo is { } widest)
            {
                // A case's own wall time leaves out what BenchmarkDotNet spends between cases: the rounds' time over the
                // cases' sums is what a case's round really costs.
                var walls = cases.Sum(c => c.Walls.Sum(w => w.TotalSeconds));
                Tighten(run, widest, rounds.Elapsed * run.Profile.TightenBudget, walls > 0 ? Math.Max(1, rounds.Elapsed.TotalSeconds / walls) : 1, progress, ct);
            }

            return cases.Select(c => Timed(c)).ToList();
        }
        finally
        {
            BenchmarkCases.Clear();
        }
    }

    /// <summary>
    /// Extra rounds for the variants whose × raw interval is still wider than <paramref name="widest"/> (upper ÷ lower),
    /// widest first, as many as fit in <paramref name="budget"/> (each variant's cost of a round learnt from its own
    /// rounds, times <paramref name="overhead"/>: the rounds' time over the cases' own) and the variant's own budget; a
    /// variant leaves as soon as its interval is narrow enough.
    /// </summary>
    private static void Tighten(TimingRun run, double widest, TimeSpan budget, double overhead, RoundProgress progress, CancellationToken ct)
    {
        var spent = TimeSpan.Zero;
        var round = run.Profile.Rounds;
        var tightened = new HashSet<string>(StringComparer.Ordinal);
        for (var extra = 0; extra < run.Profile.MostExtraRounds && !ct.IsCancellationRequested; extra++, round++)
        {
            var left = budget - spent;
            // Each width once: it is a Hodges–Lehmann interval over all of the case's pairs.
            var wide = run.Cases
                .Where(c => c.Error is null && WithinVariantBudget(run.Profile, c))
                .Select(c => (Case: c, Width: Width(c)))
                .Where(x => x.Width > widest)
                .OrderByDescending(x => x.Width)
                .Select(x => x.Case)
                .ToList();
            var chosen = new List<CasePlan>();
            var planned = TimeSpan.Zero;
            foreach (var c in wide)
            {
                var cost = c.Walls.Count == 0 ? TimeSpan.Zero : c.Walls.Aggregate(TimeSpan.Zero, (a, w) => a + w) / c.Walls.Count * overhead;
                if (planned + cost <= left)
                {
                    chosen.Add(c);
                    planned += cost;
                }
            }

            if (chosen.Count == 0)
            {
                break;
            }

            var order = chosen.Select(c => c.Key).ToList();
            BenchmarkCases.StartRound(round, order);
            progress.StartRound(round);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var summary = BenchmarkRunner.Run(RoundInfo(run, round, order, progress, only: order.ToHashSet(StringComparer.Ordinal)));
            Collect(summary, run.Profile);
            var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            spent += took;
            foreach (var c in chosen)
            {
                c.ExtraRounds++;
                tightened.Add(c.Key);
            }

            var still = chosen.Count(c => Width(c) > widest);
            run.Progress.WriteLine($"  [extra round {extra + 1}] timed {chosen.Count} variant(s) whose × raw interval was wider than {Reports.Units.Ratio(widest)} again ({took.TotalSeconds:0} s; {still} still wider)");
        }

        if (tightened.Count > 0)
        {
            var still = run.Cases.Where(c => tightened.Contains(c.Key) && Width(c) > widest).Select(c => c.Key).ToList();
            run.Progress.WriteLine(
                $"bench: {tightened.Count} variant(s) got extra rounds to narrow × raw to within {Reports.Units.Ratio(widest)} ({spent.TotalSeconds:0} s of the {budget.TotalSeconds:0} s allowed); "
                + (still.Count == 0 ? "all of them now are" : $"still wider: {string.Join(", ", still)}"));
        }
    }

    /// <summary>The width of a variant's × raw interval so far (upper ÷ lower); null for a baseline, or too few pairs for an interval.</summary>
    private static double? Width(CasePlan c) =>
        c.Partner is null ? null : PairedRatio.OfRatios(c.PairRatios().ToList()) is { Lower: { } lo, Upper: { } hi } && lo > 0 ? hi / lo : null;

    /// <summary>Whether one more round keeps the variant's measured time within its budget (a slow one stays at its rounds).</summary>
    private static bool WithinVariantBudget(BenchProfile profile, CasePlan c)
    {
        var measured = c.Rounds.Sum(r => r.Sum());
        var perRound = c.Rounds.Count == 0 ? 0 : measured * c.OperationsPerInvoke / c.Rounds.Count;
        return (measured * c.OperationsPerInvoke) + perRound <= profile.VariantBudget.TotalNanoseconds;
    }

    private static BenchmarkRunInfo RoundInfo(TimingRun run, int round, IReadOnlyList<string> order, RoundProgress progress, IReadOnlySet<string>? only = null)
    {
        var plans = run.Cases.ToDictionary(c => c.Key, StringComparer.Ordinal);
        // A case the budget gave fewer iterations runs under a job of its own with that iteration count.
        var jobs = run.Cases.Select(c => JobFor(run.Profile, c)).DistinctBy(j => j.Id).ToArray();
        var config = ManualConfig.CreateEmpty()
            .AddJob(jobs)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddExporter(JsonExporter.Full, MarkdownExporter.GitHub)
            .AddLogger(progress.Logger)
            .AddEventProcessor(progress)
            // Each case runs the method whose operations per invocation were planned for it.
            .AddFilter(new SimpleFilter(b => b.Descriptor.WorkloadMethod.Name == CatalogBenchmark.MethodFor(plans[Case(b)].OperationsPerInvoke)
                && b.Job.Id == JobFor(run.Profile, plans[Case(b)]).Id
                && (only is null || only.Contains(Case(b)))))
            .WithOrderer(new RoundOrderer(order))
            .WithArtifactsPath(Path.Combine(run.ArtifactsDir, $"round-{round + 1:00}"))
            .WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(80))
            // Tests run a Debug build; a release measurement comes from run.ps1, which builds Release.
            .WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.DisableLogFile);
        return BenchmarkConverter.TypeToBenchmarks(typeof(CatalogBenchmark), config);
    }

    private static string Case(BenchmarkCase b) => (string)b.Parameters["Case"];

    /// <summary>The profile's job, or one like it with the case's own (fewer) measured iterations per round.</summary>
    private static Job JobFor(BenchProfile profile, CasePlan c) =>
        !profile.CountsAreMeaningful || c.MeasuredIterations == profile.IterationsPerRound
            ? profile.Job
            : profile.Job.WithIterationCount(c.MeasuredIterations).WithId($"{profile.Job.Id}-{c.MeasuredIterations}");

    private static void Collect(Summary summary, BenchProfile profile)
    {
        foreach (var b in summary.BenchmarksCases)
        {
            var plan = BenchmarkCases.Get(Case(b));
            var report = summary[b];
            var measured = report?.AllMeasurements
                .Where(m => m.IterationMode == IterationMode.Workload && m.IterationStage == IterationStage.Actual)
                .Select(m => m.Nanoseconds / m.Operations)
                .ToList();
            if (report is null || measured is not { Count: > 0 } || (profile.CountsAreMeaningful && !report.Success))
            {
                plan.Error ??= "BenchmarkDotNet produced no result (see the log in the run folder)";
                plan.Rounds.Add([]);
                continue;
            }

            plan.Rounds.Add(measured);
            if (report.GcStats.GetBytesAllocatedPerOperation(b) is { } bytes)
            {
                plan.AllocatedPerRound.Add(bytes);
            }
        }
    }

    private static TimedVariant Timed(CasePlan c)
    {
        var (scenario, variant) = (c.Prepared.Scenario.Name, c.Variant.Name);
        var all = c.Rounds.SelectMany(r => r).ToList();
        if (all.Count == 0)
        {
            return new TimedVariant(scenario, variant, new TimingRecord(double.NaN, double.NaN, double.NaN, double.NaN, null, [], c.Error ?? "not timed"));
        }

        var stats = new Statistics(all);
        return new TimedVariant(scenario, variant, new TimingRecord(
            stats.Mean,
            stats.Median,
            stats.Percentiles.P95,
            stats.StandardError,
            // The allocation pass runs the same operations in every round; what else the process allocated meanwhile
            // only ever adds to it, so the smallest round is the operations' own figure.
            c.AllocatedPerRound.Count > 0 ? c.AllocatedPerRound.Min() : null,
            all,
            c.Error))
        {
            RoundMediansNs = c.Rounds.Where(r => r.Count > 0).Select(PairedRatio.RoundMedian).ToList(),
            PairRatios = c.PairRatios().ToList(),
            OperationsPerInvoke = c.OperationsPerInvoke,
            LoopNs = c.LoopNs.ToList(),
            AllocatedPerRound = c.AllocatedPerRound.ToList(),
            IterationsPerRound = c.MeasuredIterations,
            Cpu = c.Steal.Counted,
            ExtraRounds = c.ExtraRounds,
        };
    }

    /// <summary>Runs the cases in the order of the round (BenchmarkDotNet's own order sorts them by name).</summary>
    private sealed class RoundOrderer(IReadOnlyList<string> order) : DefaultOrderer
    {
        public override IEnumerable<BenchmarkCase> GetExecutionOrder(ImmutableArray<BenchmarkCase> benchmarksCase, IEnumerable<BenchmarkLogicalGroupRule>? order1 = null)
        {
            var index = order.Select((k, i) => (k, i)).ToDictionary(x => x.k, x => x.i, StringComparer.Ordinal);
            return benchmarksCase.OrderBy(b => index.GetValueOrDefault(Case(b), int.MaxValue));
        }
    }
}

/// <summary>What one timing run times, and how (the cases' plans are made from the warm-up's estimates).</summary>
public sealed record TimingRun(
    IReadOnlyList<CasePlan> Cases,
    BenchProfile Profile,
    string ArtifactsDir,
    TextWriter Progress,
    Action<string>? OnCase,
    LabVacuum? Vacuum,
    bool LoopCheck)
{
    /// <summary>Whether the profile's extra rounds for wide × raw intervals run (not in a sweep's other passes).</summary>
    public bool Tighten { get; init; } = true;
}
