using QueryLab.Bench.Timing;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Profiling;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;
using QueryLab.Bench.Verification;
using QueryLab.Queries.Catalog;

namespace QueryLab.Bench.Pipeline;

/// <summary>
/// One measuring run: verify every selected scenario, time the variants of those that agree with
/// BenchmarkDotNet, and write the run folder (results.json, report.md, BenchmarkDotNet's exports).
/// A scenario whose variants disagree is not timed, and the run ends with exit 1.
/// </summary>
public sealed class BenchSession(LabPipeline lab, LabContext ctx, BenchProfile profile, string reportsDir, string command, TimingOptions? options = null)
{
    private readonly TimingOptions _options = options ?? TimingOptions.Default;
    private ISlowdownInjector? _injector;
    private readonly Dictionary<string, string> _stoppedInWarmUp = new(StringComparer.Ordinal);

    /// <summary>The short limit a variant that did not finish is captured under, to learn its statements without waiting the whole limit again.</summary>
    private static readonly TimeSpan EstimateLimit = TimeSpan.FromSeconds(2);

    public sealed record Outcome(RunResults Results, string RunFolder, bool VerificationFailed);

    /// <summary>Whether the finished run becomes reports/latest (not for the runs a scaling run keeps inside its own folder).</summary>
    public bool UpdateLatest { get; init; } = true;

    /// <summary>What a composing verb adds to the run before it is written (given the results and the run's folder while it is written).</summary>
    public Func<RunResults, string, RunResults>? Finishing { get; init; }

    public async Task<Outcome> RunAsync(IReadOnlyList<IScenario> scenarios, CancellationToken ct)
    {
        await using var benchLock = await lab.AcquireBenchLockAsync(ct);
        var started = DateTimeOffset.UtcNow;
        var folder = RunFolder.Create(reportsDir, $"{lab.Manifest.Scale}-{profile.Name}", started);
        ctx.Work.Enter("preparing the run", () => folder.DescribeUnfinished() + "; the data is unchanged (every write is rolled back)");
        try
        {
            var prepared = new List<IPreparedScenario>();
            var verifications = new Dictionary<string, ScenarioVerification>(StringComparer.Ordinal);
            try
            {
                ctx.Out.WriteLine($"verify: {scenarios.Count} scenario(s)");
                foreach (var s in scenarios)
                {
                    ctx.Work.Step($"verifying {s.Name}");
                    var p = await s.PrepareAsync(lab.Catalog, ct);
                    prepared.Add(p);
                    var v = await Verifier.VerifyAsync(p, ct, statementLimit: lab.StatementLimit);
                    verifications[s.Name] = v;
                    Verifier.Print(v, ctx.Out);
                }

                var cases = prepared
                    .Where(p => verifications[p.Scenario.Name].Timeable)
                    .SelectMany(p => p.Scenario.Variants
                        .Where(v => p.NotRunReason(v) is null && !verifications[p.Scenario.Name].DidNotFinish.ContainsKey(v.Name))
                        .Select(v => (Prepared: p, Variant: v)))
                    .ToList();
                var estimates = new Dictionary<string, double>(StringComparer.Ordinal);
                if (profile.CountsAreMeaningful)
                {
                    ctx.Work.Step("warming up");
                    var stopped = new Dictionary<string, string>(StringComparer.Ordinal);
                    estimates = await WarmUp.RunAsync(cases, ctx.Out, ct, stopped);
                    foreach (var key in stopped.Keys)
                    {
                        var (p, v) = cases.First(c => BenchmarkCases.Key(c.Prepared.Scenario.Name, c.Variant.Name) == key);
                        _stoppedInWarmUp[key] = Verifier.DidNotFinishText(lab.StatementLimit, stopped[key]);
                        ctx.Out.WriteLine($"  too slow: {v.Name} of {p.Scenario.Name} {_stoppedInWarmUp[key]}, in the warm-up; not timed");
                    }

                    cases = cases.Where(c => !stopped.ContainsKey(BenchmarkCases.Key(c.Prepared.Scenario.Name, c.Variant.Name))).ToList();
                }

                var planned = cases.Select(c => Plan(c.Prepared, c.Variant, estimates)).ToList();
                var byKey = planned.ToDictionary(p => p.Key, StringComparer.Ordinal);
                IReadOnlyDictionary<string, double> injected = new Dictionary<string, double>();
                if (_options.InjectedDelays.Count > 0)
                {
                    var (injector, note) = await SlowdownInjection.CreateAsync(_options.InjectAt, lab.Server, lab.Catalog, ctx.Home, ct);
                    _injector = injector;
                    injected = await SlowdownInjection.ApplyAsync(byKey, _options.InjectedDelays, estimates, injector, note, ctx.Out, "bench", ct);
                }

                var plans = planned.Select(p => byKey[p.Key]).ToList();
                var allocations = new Dictionary<string, AllocationCount>(StringComparer.Ordinal);
                var wire = new Dictionary<string, WireCount>(StringComparer.Ordinal);
                double? relayTripMs = null;
                HarnessFloor? floor = null;
                if (profile.CountsAreMeaningful && !_options.OtherSweepPoint)
                {
                    ctx.Work.Step("counting allocations");
                    allocations = await AllocationCounter.MeasureAsync(plans, estimates, ct);
                    ctx.Out.WriteLine($"bench: counted allocated bytes per operation of {allocations.Count} variant(s) (median of {AllocationCounter.Passes} passes over the same operations)");
                    ctx.Work.Step("measuring the harness floor");
                    floor = await HarnessFloorProbe.MeasureAsync(lab, ctx.Out, ct);
                }

                if (lab.RoundTrip is not null)
                {
                    ctx.Work.Step("counting round trips at the wire");
                    var pairModel = lab.RoundTrip > TimeSpan.Zero;
                    if (pairModel)
                    {
                        relayTripMs = await Latency.RelayCostProbe.RoundTripInPairsAsync(lab.DataSource, lab.HoldDelays, ct) / 1e6;
                        ctx.Out.WriteLine($"latency: one round trip through the relay at {Latency.LatencyOptions.Label(lab.RoundTrip!.Value)} came out at {Latency.LatencyOptions.Label(relayTripMs.Value)} (SELECT 1, delays held and not, alternating)");
                    }

                    wire = await WireCounter.MeasureAsync(plans, estimates, pairModel ? lab.HoldDelays : null, ct);
                    ctx.Out.WriteLine($"bench: counted the round trips at the wire of {wire.Count} variant(s) through the latency relay (connections' setup included)"
                        + (pairModel ? $"; checked the round-trip model in pairs, each variant's operations at 0 ms and at {Latency.LatencyOptions.Label(lab.RoundTrip!.Value)} a few operations apart" : ""));
                }

                ctx.Work.Step("restoring the lab tables");
                var vacuum = new LabVacuum(lab.DataSource);
                await vacuum.RestoreAsync(ct);
                ctx.Out.WriteLine($"bench: VACUUM and REINDEX of the lab tables (dead rows and index growth of earlier runs, verification and warm-up) in {vacuum.RestoreTime.TotalSeconds:0.0} s; VACUUM again before each variant that follows a write");
                ctx.Out.WriteLine($"bench: timing {cases.Count} variant(s) with the '{profile.Name}' profile ({profile.Description})");
                ctx.Work.Step("timing");
                var timings = await BenchRunner.RunAsync(
                    new TimingRun(plans, profile, folder.PathOf("benchmarkdotnet"), ctx.Out, c => ctx.Work.Step($"timing {c}"), vacuum, _options.LoopCheck) { Tighten = !_options.OtherSweepPoint },
                    ct);
                ctx.Out.WriteLine($"bench: {vacuum.Count} VACUUM(s) in {vacuum.Spent.TotalSeconds:0.0} s kept each variant's starting state the same");
                var steal = timings.Aggregate(default(CpuTimes), (sum, t) => sum + t.Cpu).StealPercent;
                if (steal is { } stolen && profile.CountsAreMeaningful)
                {
                    ctx.Out.WriteLine($"bench: {HostSteal.Line(stolen, timings.Select(t => t.Cpu.StealPercent))}");
                }

                var profiles = _options.Profile
                    ? await ProfileAsync(prepared.Select(p => p.Scenario).Where(s => verifications[s.Name].Timeable || verifications[s.Name].BaselineDidNotFinish is not null).ToList(), verifications, folder.WorkDir, vacuum, ct)
                    : [];
                var results = new RunResults
                {
                    RunId = folder.RunId,
                    StartedAt = started,
                    FinishedAt = DateTimeOffset.UtcNow,
                    Command = command,
                    Git = await RunEnvironment.GitAsync(ctx.RepositoryRoot, ct),
                    Machine = RunEnvironment.Machine(),
                    Server = await RunEnvironment.ServerAsync(lab.Server, lab.DataSource, ct),
                    Dataset = RunEnvironment.Dataset(lab.Manifest) with { PlannerStatistics = await PlannerStatistics.ReadAsync(lab.DataSource, ct) },
                    Profile = new ProfileInfo(profile.Name, profile.Description, profile.Job.DisplayInfo)
                    {
                        IterationsPerRound = profile.CountsAreMeaningful ? profile.IterationsPerRound : null,
                        VariantBudgetSeconds = profile.CountsAreMeaningful ? profile.VariantBudget.TotalSeconds : null,
                    },
                    Scenarios = prepared.Select(p => ScenarioRecord(p, verifications[p.Scenario.Name], timings, allocations, wire, profiles, _stoppedInWarmUp)).ToList(),
                    StatementLimitMs = Seed.Server.StatementLimit.Milliseconds(lab.StatementLimit),
                    InjectedDelaysNs = injected.Count > 0 ? injected : null,
                    InjectedAt = injected.Count > 0 ? _injector?.Where : null,
                    Floor = floor,
                    StealPercent = profile.CountsAreMeaningful ? steal : null,
                    LatencyMs = lab.RoundTrip?.TotalMilliseconds,
                    RelayRoundTripMs = relayTripMs,
                };
                results = Finishing?.Invoke(results, folder.WorkDir) ?? results;
                ctx.Out.WriteLine($"report: writing results.json, report.md and scenarios/ into {folder.WorkDir}");
                ctx.Work.Step("writing the report");
                await File.WriteAllTextAsync(folder.PathOf("results.json"), ResultsJson.Serialize(results), ct);
                MarkdownReport.Write(results, folder.WorkDir);
                await TestPause.AtAsync("report", ctx, ct);
                ct.ThrowIfCancellationRequested();
                var final = folder.Complete(UpdateLatest);
                ctx.Work.Leave();
                return new Outcome(results, final, verifications.Values.Any(v => !v.Passed));
            }
            finally
            {
                if (_injector is not null)
                {
                    await _injector.DisposeAsync();
                }

                foreach (var p in prepared)
                {
                    await p.DisposeAsync();
                }
            }
        }
        catch
        {
            folder.Abandon();
            throw;
        }
    }

    /// <summary>
    /// A case's plan: as many operations per invocation (a power of two) as fit in one iteration at the warm-up's pace,
    /// so BenchmarkDotNet waits for the loop once an iteration rather than once an operation.
    /// </summary>
    private CasePlan Plan(IPreparedScenario p, IVariant v, IReadOnlyDictionary<string, double> estimates)
    {
        var key = BenchmarkCases.Key(p.Scenario.Name, v.Name);
        var ops = 1;
        var iterations = profile.IterationsPerRound;
        if (estimates.TryGetValue(key, out var ns) && ns > 0)
        {
            var delayNs = _options.InjectedDelays.TryGetValue(key, out var d) ? d.NsFor(ns) ?? 0 : 0;
            ops = Duet.SliceOperations(ns + delayNs, profile.IterationTime);
            iterations = profile.IterationsFor(ops * (ns + delayNs)); // a variant slow at this scale: fewer iterations, within its budget
        }

        return new CasePlan(p, v, ops, iterations, 0);
    }

    /// <summary>
    /// The profiling pass, after timing and apart from it: the scenarios are prepared again on a data source
    /// with wire capture, one operation of each variant is captured, and its statements are explained.
    /// </summary>
    private async Task<Dictionary<string, ProfileRecord>> ProfileAsync(IReadOnlyList<IScenario> scenarios, IReadOnlyDictionary<string, ScenarioVerification> verifications, string runDir, LabVacuum vacuum, CancellationToken ct)
    {
        var profiles = new Dictionary<string, ProfileRecord>(StringComparer.Ordinal);
        ctx.Out.WriteLine($"profile: capturing statements and plans of {scenarios.Sum(s => s.Variants.Count)} variant(s)");
        await TestPause.AtAsync("profile", ctx, ct);
        await using var captureSource = lab.CreateCatalogDataSource(WireCapture.Configure);
        var catalog = new CatalogContext(captureSource, lab.Manifest.ReferenceTime, lab.Catalog.ConnectionString, WireCapture.Configure) { Poolers = lab.Catalog.Poolers, HarnessDataSource = lab.Catalog.HarnessDataSource };
        var estimateLimit = EstimateLimit < lab.StatementLimit ? EstimateLimit : lab.StatementLimit;
        var estimateConnection = Seed.Server.StatementLimit.Apply(lab.Catalog.ConnectionString, estimateLimit);
        var estimateBuilder = new Npgsql.NpgsqlDataSourceBuilder(estimateConnection);
        WireCapture.Configure(estimateBuilder);
        await using var estimateSource = estimateBuilder.Build();
        var estimateCatalog = new CatalogContext(estimateSource, lab.Manifest.ReferenceTime, estimateConnection, WireCapture.Configure) { Poolers = lab.Catalog.Poolers, HarnessDataSource = lab.Catalog.HarnessDataSource };
        var profiler = new Profiler(lab.DataSource, runDir, ctx.Out, lab.StatementLimit);
        foreach (var s in scenarios)
        {
            var tooSlow = verifications[s.Name].DidNotFinish.ToDictionary(StringComparer.Ordinal);
            foreach (var v in s.Variants)
            {
                if (_stoppedInWarmUp.TryGetValue(BenchmarkCases.Key(s.Name, v.Name), out var why))
                {
                    tooSlow[v.Name] = why;
                }
            }

            if (tooSlow.Count > 0)
            {
                await using var slow = await s.PrepareAsync(estimateCatalog, ct);
                foreach (var v in s.Variants.Where(v => tooSlow.ContainsKey(v.Name)))
                {
                    ctx.Work.Step($"estimating {s.Name}/{v.Name}");
                    profiles[BenchmarkCases.Key(s.Name, v.Name)] = await profiler.EstimateAsync(slow, v, tooSlow[v.Name], ct);
                }
            }

            if (!verifications[s.Name].Timeable)
            {
                continue; // the baseline did not finish: there is nothing else verified to profile
            }

            await using var prepared = await s.PrepareAsync(catalog, ct);
            foreach (var v in s.Variants.Where(v => prepared.NotRunReason(v) is null && !tooSlow.ContainsKey(v.Name)))
            {
                ctx.Work.Step($"profiling {s.Name}/{v.Name}");
                await vacuum.IfDirtyAsync(ct); // buffers counted in a plan must not depend on the writes profiled before it
                profiles[BenchmarkCases.Key(s.Name, v.Name)] = await profiler.ProfileAsync(prepared, v, ct);
                if (s.Writes)
                {
                    vacuum.MarkDirty();
                }
            }
        }

        return profiles;
    }

    private static ScenarioResult ScenarioRecord(IPreparedScenario p, ScenarioVerification v, IReadOnlyList<TimedVariant> timings, IReadOnlyDictionary<string, AllocationCount> allocations, IReadOnlyDictionary<string, WireCount> wire, IReadOnlyDictionary<string, ProfileRecord> profiles, IReadOnlyDictionary<string, string> stoppedInWarmUp)
    {
        var s = p.Scenario;
        TimedVariant? Timed(IVariant variant) => timings.FirstOrDefault(t => t.Scenario == s.Name && t.Variant == variant.Name);
        var baseline = Timed(s.Baseline);
        return new ScenarioResult
        {
            Name = s.Name,
            Description = s.Description,
            Parameters = s.Parameters,
            Writes = s.Writes,
            Verification = new VerificationResult(
                v.Passed,
                v.Operations,
                v.Mismatches.Select(m => new MismatchRecord(m.Variant, m.Parameters, m.What, m.BaselineRows, m.VariantRows)).ToList()),
            Variants = s.Variants.Select(variant =>
            {
                var t = Timed(variant);
                var didNotFinish = v.DidNotFinish.GetValueOrDefault(variant.Name) ?? stoppedInWarmUp.GetValueOrDefault(BenchmarkCases.Key(s.Name, variant.Name));
                var notRun = p.NotRunReason(variant)
                    ?? didNotFinish
                    ?? (v.BaselineDidNotFinish is not null ? $"not timed: the baseline {v.BaselineDidNotFinish}"
                        : !v.Passed ? "not timed: the scenario failed verification" : t is null ? "not timed" : null);
                var allocation = allocations.GetValueOrDefault(BenchmarkCases.Key(s.Name, variant.Name));
                var paired = variant.IsBaseline || t is not { Figures.Error: null } || baseline is not { Figures.Error: null } ? null : PairedRatio.OfRatios(t.PairRatios);
                return new VariantResultRecord
                {
                    Name = variant.Name,
                    Library = variant.Library.Display(),
                    Technique = variant.Technique,
                    Form = variant.Form.Display(),
                    IsBaseline = variant.IsBaseline,
                    NotRun = notRun,
                    DidNotFinish = didNotFinish is not null,
                    Timing = t is null ? null : t.Figures with
                    {
                        AllocatedBytesPerOp = allocation?.BytesPerOp ?? t.Figures.AllocatedBytesPerOp,
                        RoundMediansNs = t.RoundMediansNs.Count > 0 ? t.RoundMediansNs : null,
                        OperationsPerInvoke = t.OperationsPerInvoke,
                        IterationsPerRound = t.IterationsPerRound > 0 ? t.IterationsPerRound : null,
                        Allocation = allocation is null ? null : new AllocationRecord(allocation.BytesPerOp, allocation.MinBytesPerOp, allocation.MaxBytesPerOp, allocation.Operations, allocation.Passes),
                        LoopNs = t.LoopNs.Count > 0 ? t.LoopNs : null,
                        Fidelity = t.LoopNs.Count > 0 && PairedRatio.OfRatios(t.Figures.MeasurementsNs.Zip(t.LoopNs, (b, l) => b / l).ToList()) is { } f
                            ? new RatioRecord(f.Ratio, f.Lower, f.Upper, f.Pairs, f.Confidence)
                            : null,
                        LoopMedianNs = t.LoopNs.Count > 0 ? PairedRatio.RoundMedian(t.LoopNs) : null,
                        StealPercent = t.Cpu.StealPercent,
                        ExtraRounds = t.ExtraRounds > 0 ? t.ExtraRounds : null,
                    },
                    Profile = profiles.GetValueOrDefault(BenchmarkCases.Key(s.Name, variant.Name)),
                    RatioToBaseline = paired?.Ratio
                        ?? (t is not null && baseline is not null && baseline.Figures.MeanNs > 0 && !double.IsNaN(t.Figures.MeanNs) ? t.Figures.MeanNs / baseline.Figures.MeanNs : null),
                    Ratio = paired is null ? null : new RatioRecord(paired.Ratio, paired.Lower, paired.Upper, paired.Pairs, paired.Confidence),
                    Wire = wire.GetValueOrDefault(BenchmarkCases.Key(s.Name, variant.Name)) is { } w ? new WireRecord(w.RoundTripsPerOp, w.ConnectionsPerOp, w.Operations) { Model = w.Model } : null,
                };
            }).ToList(),
        };
    }
}
