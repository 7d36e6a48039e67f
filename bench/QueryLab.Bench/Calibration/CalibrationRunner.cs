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

    public async Task<List<VariantCalibration>> RunAsync(IReadOnlyList<CasePlan> cases, IReadOnlyDictionary<string, double> estimatesNs, long deadline, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(cases);
        ArgumentNullException.ThrowIfNull(estimatesNs);
        var plain = new LocalSliceRunner(cases.ToDictionary(c => c.Key, StringComparer.Ordinal));
        var results = new List<VariantCalibration>(cases.Count);
        var done = 0;
        foreach (var c in cases)
        {
            var estimate = estimatesNs.GetValueOrDefault(c.Key);
            var ops = Duet.SliceOperations(estimate, _duet.SliceTime);
            var self = new DuetSide(plain, c.Key, ops);
            var aa = new List<DuetResult>(settings.Trials);
            var raw = new List<DuetResult>();
            var baseline = c.Variant.IsBaseline ? null : cases.FirstOrDefault(b => b.Variant.IsBaseline && b.Prepared == c.Prepared);
            var duets = (settings.Trials * (baseline is null ? 1 : 2)) + (2 * settings.Slowdowns.Count); // a caught slowdown is measured twice
            var share = TimeSpan.FromSeconds(Math.Max(0, deadline - System.Diagnostics.Stopwatch.GetTimestamp()) / (double)System.Diagnostics.Stopwatch.Frequency / (cases.Count - done));
            var duet = Planned(settings, _duet, share, duets, ops * estimate);
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
            var reference = new DuetSide(new LocalSliceRunner(new Dictionary<string, CasePlan> { [c.Key] = await injector.ReferenceAsync(c, ct) }), c.Key, ops);
            foreach (var slowdown in settings.Slowdowns)
            {
                var delay = slowdown * median;
                var slowed = await injector.WithDelayAsync(c, delay, ct);
                var r = await Duet.CompareAsync(reference, new DuetSide(slowed, c.Key, ops), duet, ct);
                injections.Add(new InjectionResult(slowdown, delay, injector.Where, r.Ratio.Ratio, r.Ratio.Lower, r.Ratio.Upper, Verdict(r), r.Verdict == DuetVerdict.Slower));
            }

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
            };
            results.Add(v);
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
        var pairNs = 2 * Math.Max(sliceNs, usual.SliceTime.TotalNanoseconds / 4);
        var fits = (int)Math.Floor(share.TotalNanoseconds / (Math.Max(1, duets) * pairNs));
        var first = Math.Clamp(fits, settings.MinPairs, usual.Pairs);
        var most = Math.Clamp(fits, first, usual.MostPairs);
        return usual with { Pairs = first, MaxPairs = most };
    }

    private static TrialRatio Trial(DuetResult r) => new(r.Ratio.Ratio, r.Ratio.Lower, r.Ratio.Upper, Verdict(r));

    private static string Verdict(DuetResult r) => r.Verdict.ToString().ToLowerInvariant();
}
