using QueryLab.Bench.Timing;
using QueryLab.Queries.Catalog;

namespace QueryLab.Bench.Calibration;

/// <summary>
/// calibrate: per variant, A/A duets (the variant against itself: the noise floor and any false alarm), × raw duets
/// (the variant against its baseline, several times: how much × raw moves on this runner), and duets against the same
/// variant slowed by each injected slowdown (which of them a duet catches). Every duet is the one <c>ab</c> runs.
/// </summary>
public sealed class CalibrationRunner(CalibrationSettings settings, ISlowdownInjector injector, TextWriter progress)
{
    private readonly DuetSettings _duet = new(settings.Pairs, TimeSpan.FromMilliseconds(settings.SliceMs), settings.Threshold, settings.Confidence, settings.MaxPairs);

    /// <summary>The machine's CPU time over every variant's duets, and the host's steal of it.</summary>
    public CpuTimes Stolen { get; private set; }

    public async Task<List<VariantCalibration>> RunAsync(IReadOnlyList<CasePlan> cases, IReadOnlyDictionary<string, double> estimatesNs, long deadline, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentNullException.ThrowIfNull(estimatesNs);
        var plain = new LocalSliceRunner(cases.ToDictionary(c => c.Key, StringComparer.Ordinal));
        var results = new List<VariantCalibration>(cases.Count);
        var done = 0;
        // What each variant needs at the fewest pairs, so that the fast variants first do not spend what the slow ones
        // after them cannot do without; and what a variant costs beyond its slices (injection, data sources), learnt as it goes.
        var least = cases.Select(c => Least(c, cases, estimatesNs)).ToList();
        var overhead = TimeSpan.FromSeconds(1);
        foreach (var c in cases)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var steal = new StealMeter();
            steal.Start();
            var estimate = estimatesNs.GetValueOrDefault(c.Key);
            var ops = Duet.SliceOperations(estimate, _duet.SliceTime);
            var self = new DuetSide(plain, c.Key, ops);
            var aa = new List<DuetResult>(settings.Trials);
            var raw = new List<DuetResult>();
            var baseline = BaselineOf(c, cases);
            var duets = Duets(baseline is not null);
            var left = TimeSpan.FromSeconds(Math.Max(0, deadline - started) / (double)System.Diagnostics.Stopwatch.Frequency);
            var rest = least.Skip(done).Aggregate(TimeSpan.Zero, (a, x) => a + x + overhead);
            var slack = left - rest;
            var share = least[done] + (slack > TimeSpan.Zero ? slack / (cases.Count - done) : TimeSpan.Zero);
            var duet = Planned(settings, _duet, share, duets, ops * estimate);
            var planned = TimeSpan.FromTicks((long)(duets * duet.Pairs * PairNs(ops * estimate, _duet) / 100));
            for (var t = 0; t < settings.Trials; t++)
            {
                aa.Add(await Duet.CompareAsync(self, self, duet, ct));
                if (baseline is not null)
                {
                    var b = new DuetSide(plain, baseline.Key, Duet.SliceOperations(estimatesNs.GetValueOrDefault(baseline.Key), _duet.SliceTime));
                    raw.Add(await Duet.CompareAsync(b, self, duet, ct));
                }
            }

            var medians = aa.Select(r => r.AMedianNs).Order().ToList();
            var median = medians[medians.Count / 2];
            var injections = new List<InjectionResult>(settings.Slowdowns.Count);
            // The slowed side runs on the injection's own data source: it is compared with the same path undelayed.
            var setupStarted = System.Diagnostics.Stopwatch.GetTimestamp();
            var reference = new DuetSide(new LocalSliceRunner(new Dictionary<string, CasePlan> { [c.Key] = await injector.ReferenceAsync(c, ct) }), c.Key, ops);
            var setup = System.Diagnostics.Stopwatch.GetElapsedTime(setupStarted);
            // The largest slowdown first: one a duet misses, it misses smaller ones too, so they are not measured (calibrate.md
            // shows "–" for them) and their time goes to the variants still to come.
            foreach (var slowdown in settings.Slowdowns.OrderDescending())
            {
                var delay = slowdown * median;
                setupStarted = System.Diagnostics.Stopwatch.GetTimestamp();
                var slowed = await injector.WithDelayAsync(c, delay, ct);
                setup += System.Diagnostics.Stopwatch.GetElapsedTime(setupStarted);
                var r = await Duet.CompareAsync(reference, new DuetSide(slowed, c.Key, ops), duet, ct);
                var caught = r.Verdict == DuetVerdict.Slower;
                injections.Add(new InjectionResult(slowdown, delay, injector.Where, r.Ratio.Ratio, r.Ratio.Lower, r.Ratio.Upper, Verdict(r), caught));
                if (!caught)
                {
                    break;
                }
            }

            injections.Sort((a, b) => a.Slowdown.CompareTo(b.Slowdown));
            // This variant's data sources are done with: their idle connections would otherwise stay on the server for
            // the rest of the run (three or four per variant, 200 over the catalog).
            await injector.ReleaseAsync();
            steal.Stop();
            Stolen += steal.Counted;

            var v = new VariantCalibration
            {
                Scenario = c.Prepared.Scenario.Name,
                Variant = c.Variant.Name,
                IsBaseline = c.Variant.IsBaseline,
                MedianNs = median,
                MedianMinNs = medians[0],
                MedianMaxNs = medians[^1],
                AaTrials = aa.Select(Trial).ToList(),
                FalseAlarms = aa.Count(r => r.Verdict is DuetVerdict.Slower or DuetVerdict.Faster),
                RawTrials = raw.Select(Trial).ToList(),
                Injections = injections,
                SmallestCaught = injections.Where(i => i.Caught).Select(i => (double?)i.Slowdown).Min(),
                Pairs = duet.Pairs < _duet.Pairs || duet.MostPairs < _duet.MostPairs ? new PairBudget(duet.Pairs, duet.MostPairs) : null,
                StealPercent = steal.Percent,
                Seconds = Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds, 2),
                SetupSeconds = Math.Round(setup.TotalSeconds, 2),
            };
            results.Add(v);
            var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            overhead = TimeSpan.FromTicks(((overhead.Ticks * done) + Math.Max(0, (took - planned).Ticks)) / (done + 1));
            progress.WriteLine($"  [{++done}/{cases.Count}] {c.Key}: {CalibrationReport.Line(v)}");
        }

        return results;
    }

    /// <summary>
    /// The duet settings a variant gets from its share of the budget: as many pairs as <paramref name="duets"/> duets of
    /// slices of <paramref name="sliceNs"/> (each pair is a slice of either side) fit in <paramref name="share"/>, between
    /// the settings' fewest and their usual; it may grow while undecided up to what the share holds, at most the settings' most.
    /// </summary>
    public static DuetSettings Planned(CalibrationSettings settings, DuetSettings usual, TimeSpan share, int duets, double sliceNs)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(usual);
        var fits = (int)Math.Floor(share.TotalNanoseconds / (Math.Max(1, duets) * PairNs(sliceNs, usual)));
        var first = Math.Clamp(fits, settings.MinPairs, usual.Pairs);
        var most = Math.Clamp(fits, first, usual.MostPairs);
        return usual with { Pairs = first, MaxPairs = most };
    }

    /// <summary>One pair of slices, one of either side.</summary>
    private static double PairNs(double sliceNs, DuetSettings usual) => 2 * Math.Max(sliceNs, usual.SliceTime.TotalNanoseconds / 4);

    /// <summary>The duets a variant runs: the A/A trials, the × raw trials, and each slowdown twice (a caught one is measured again).</summary>
    private int Duets(bool hasBaseline) => (settings.Trials * (hasBaseline ? 2 : 1)) + (2 * settings.Slowdowns.Count);

    private static CasePlan? BaselineOf(CasePlan c, IReadOnlyList<CasePlan> cases) =>
        c.Variant.IsBaseline ? null : cases.FirstOrDefault(b => b.Variant.IsBaseline && b.Prepared == c.Prepared);

    /// <summary>The time a variant's duets take at the fewest pairs.</summary>
    private TimeSpan Least(CasePlan c, IReadOnlyList<CasePlan> cases, IReadOnlyDictionary<string, double> estimatesNs)
    {
        var estimate = estimatesNs.GetValueOrDefault(c.Key);
        var sliceNs = Duet.SliceOperations(estimate, _duet.SliceTime) * estimate;
        return TimeSpan.FromTicks((long)(Duets(BaselineOf(c, cases) is not null) * settings.MinPairs * PairNs(sliceNs, _duet) / 100));
    }

    private static TrialRatio Trial(DuetResult r) => new(r.Ratio.Ratio, r.Ratio.Lower, r.Ratio.Upper, Verdict(r));

    private static string Verdict(DuetResult r) => r.Verdict.ToString().ToLowerInvariant();
}
