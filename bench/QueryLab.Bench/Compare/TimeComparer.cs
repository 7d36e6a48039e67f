using System.Globalization;
using Perfolizer.Mathematics.SignificanceTesting.Base;
using Perfolizer.Mathematics.SignificanceTesting.MannWhitney;
using Perfolizer.Metrology;
using Pragmastat;
using Pragmastat.Estimators;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Compare;

/// <summary>
/// Wall time, judged after the counters, from each variant's raw per-operation measurements:
/// a two-sided Mann–Whitney U test (Perfolizer's <see cref="MannWhitneyTest"/>) on every variant timed in
/// both runs, its p-values adjusted together with Benjamini–Hochberg, and the Hodges–Lehmann ratio with its
/// confidence interval (<see cref="RatioInterval"/>). A regression needs both q ≤ α and a change of at least
/// the time threshold; so does an improvement. Three outcomes, not two: a change as large as the threshold
/// that is not significant is unknown, not "same", and so are sample sizes that cannot reach α even when the
/// two samples do not overlap (n = 4 per side at α = 0.01). Unknown never fails a comparison.
/// <para>
/// The iterations of one run are not independent of each other: a run shares its process, its JIT state and the
/// load on the machine while it ran, so iterations alone understate how much two runs of the same code differ.
/// When a side has several rounds (<c>querylab ab</c>, or a baseline saved from several runs), the round is the unit
/// that replicates: a regression (or improvement) must also show in every pair of rounds, each changed in the same
/// direction by at least the threshold. A change carried by one round — a burst of load while it ran — is
/// unknown, not a regression; against a baseline of several runs, a candidate must be slower than every one of them.
/// </para>
/// </summary>
public static class TimeComparer
{
    private sealed record Tested(VariantPair Pair, double[] Baseline, double[] Candidate, double PValue, RatioInterval.Estimate Ratio, IReadOnlyList<double>? RoundChanges);

    public static IReadOnlyList<MetricChange> Compare(IReadOnlyList<VariantPair> pairs, CompareSettings settings)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(settings);
        var results = new MetricChange?[pairs.Count];
        var tested = new List<(int Index, Tested Test)>();
        for (var i = 0; i < pairs.Count; i++)
        {
            var p = pairs[i];
            if (Untestable(p, settings) is { } unknown)
            {
                results[i] = unknown;
                continue;
            }

            var b = Measurements(p.Baseline.Timing!);
            var c = Measurements(p.Candidate.Timing!);
            var mw = MannWhitneyTest.Instance.Perform(new Sample(c), new Sample(b), AlternativeHypothesis.TwoSides, Threshold.Zero);
            tested.Add((i, new Tested(p, b, c, mw.PValue.Value, RatioInterval.Of(b, c, 1 - settings.Alpha), RoundChanges(p.Baseline.Timing!, p.Candidate.Timing!))));
        }

        var q = BenjaminiHochberg.Adjust(tested.Select(t => t.Test.PValue).ToList());
        for (var j = 0; j < tested.Count; j++)
        {
            results[tested[j].Index] = Decide(tested[j].Test, q[j], settings);
        }

        return results.Select(r => r!).ToList();
    }

    /// <summary>Why this variant's time cannot be tested, as an unknown change; null when it can.</summary>
    private static MetricChange? Untestable(VariantPair p, CompareSettings s)
    {
        // Stopped by the statement limit on one side and timed on the other: no test is needed to read that.
        if (p.Candidate.DidNotFinish && p.Baseline.Timing is { Error: null } was)
        {
            return p.Change(ChangeKind.Time, "median time", Outcome.Regression, Units.Time(was.MedianNs), "did not finish", "did not finish") with
            {
                Baseline = was.MedianNs,
                Note = p.Candidate.NotRun ?? "did not finish within the statement limit",
            };
        }

        if (p.Baseline.DidNotFinish && p.Candidate.Timing is { Error: null } now)
        {
            return p.Change(ChangeKind.Time, "median time", Outcome.Improvement, "did not finish", Units.Time(now.MedianNs), "finishes now") with
            {
                Candidate = now.MedianNs,
                Note = $"the baseline {p.Baseline.NotRun ?? "did not finish within the statement limit"}",
            };
        }

        string? why = (p.Baseline.Timing, p.Candidate.Timing) switch
        {
            (null, _) => $"not timed in the baseline ({p.Baseline.NotRun ?? "no timing"})",
            (_, null) => $"not timed in the candidate ({p.Candidate.NotRun ?? "no timing"})",
            ({ Error: { } e }, _) => $"the baseline's timing failed ({e})",
            (_, { Error: { } e }) => $"the candidate's timing failed ({e})",
            _ => null,
        };
        if (why is null)
        {
            var n = Measurements(p.Baseline.Timing!).Length;
            var m = Measurements(p.Candidate.Timing!).Length;
            if (n < 2 || m < 2)
            {
                why = $"{n} and {m} measurements (baseline, candidate): too few for a test — the smoke profile times once; compare ci or release runs";
            }
            else if (RatioInterval.SmallestTwoSidedP(m, n) > s.Alpha)
            {
                why = string.Create(CultureInfo.InvariantCulture,
                    $"with {n} and {m} measurements the smallest possible p is {RatioInterval.SmallestTwoSidedP(m, n):0.###} > α = {s.Alpha}: no difference could be significant; collect more iterations");
            }
        }

        if (why is null)
        {
            return null;
        }

        var bt = p.Baseline.Timing is { Error: null } t1 ? Units.Time(t1.MedianNs) : "–";
        var ct = p.Candidate.Timing is { Error: null } t2 ? Units.Time(t2.MedianNs) : "–";
        return p.Change(ChangeKind.Time, "median time", Outcome.Unknown, bt, ct, "unknown") with
        {
            Baseline = p.Baseline.Timing is { Error: null } b1 ? b1.MedianNs : null,
            Candidate = p.Candidate.Timing is { Error: null } c1 ? c1.MedianNs : null,
            Note = why,
        };
    }

    /// <summary>
    /// The change of each round's median against the other side's. With the same number (two or more) of rounds
    /// on both sides (<c>querylab ab</c>), round i against round i, which ran back to back. When one side has several
    /// rounds and the other a different number (a baseline saved from several runs, a single candidate run),
    /// every round of one against every round of the other. Null when both sides are single runs.
    /// </summary>
    public static IReadOnlyList<double>? RoundChanges(TimingRecord baseline, TimingRecord candidate)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        var b = baseline.Rounds().Select(Valid).ToList();
        var c = candidate.Rounds().Select(Valid).ToList();
        if ((b.Count < 2 && c.Count < 2) || b.Concat(c).Any(r => r.Length == 0))
        {
            return null;
        }

        return b.Count == c.Count
            ? b.Zip(c, (x, y) => (Median(y) / Median(x)) - 1).ToList()
            : b.SelectMany(x => c.Select(y => (Median(y) / Median(x)) - 1)).ToList();
    }

    /// <summary>Whether every round moved the way the whole did, by at least the threshold.</summary>
    public static bool RoundsAgree(IReadOnlyList<double>? roundChanges, double change, double threshold)
    {
        if (roundChanges is null)
        {
            return true;
        }

        return change > 0 ? roundChanges.All(r => r >= threshold) : roundChanges.All(r => r <= -threshold);
    }

    private static MetricChange Decide(Tested t, double q, CompareSettings s)
    {
        var r = t.Ratio;
        var change = r.Ratio - 1;
        var significant = q <= s.Alpha;
        var large = Math.Abs(change) >= s.TimeThreshold;
        var agree = RoundsAgree(t.RoundChanges, change, s.TimeThreshold);
        var outcome = (significant, large, agree) switch
        {
            (true, true, true) => change > 0 ? Outcome.Regression : Outcome.Improvement,
            (_, true, _) => Outcome.Unknown, // as large as the threshold, but the samples (or the rounds) cannot tell it from noise
            _ => Outcome.Unchanged,
        };
        var bm = Median(t.Baseline);
        var cm = Median(t.Candidate);
        var level = 1 - s.Alpha;
        var ci = r.Lower is { } lo && r.Upper is { } hi
            ? $" ({Level(level)} CI {CounterComparer.Pct(lo - 1)} … {CounterComparer.Pct(hi - 1)})"
            : "";
        var note = string.Create(CultureInfo.InvariantCulture, $"Mann–Whitney p = {P(t.PValue)}, after Benjamini–Hochberg q = {P(q)}") + (outcome, significant) switch
        {
            (Outcome.Unchanged, true) => $"; significant, but smaller than the {CompareSettings.Pct(s.TimeThreshold)} threshold",
            (Outcome.Unchanged, false) => "; not significant",
            (Outcome.Unknown, true) => $"; significant and as large as the {CompareSettings.Pct(s.TimeThreshold)} threshold, but not in every round "
                + $"(each must move by {CompareSettings.Pct(s.TimeThreshold)} or more the same way): a burst of noise in one round looks like this; rerun to tell",
            (Outcome.Unknown, _) => $"; as large as the {CompareSettings.Pct(s.TimeThreshold)} threshold but not significant at α = {s.Alpha.ToString(CultureInfo.InvariantCulture)}: the measurements overlap too much to tell; more iterations (the release profile) or a rerun would",
            _ => "",
        };
        if (t.RoundChanges is { } rounds)
        {
            note += "; rounds " + string.Join(", ", rounds.Select(CounterComparer.Pct));
        }

        return t.Pair.Change(ChangeKind.Time, "median time", outcome, Units.Time(bm), Units.Time(cm), CounterComparer.Pct(change) + ci) with
        {
            Baseline = bm,
            Candidate = cm,
            RelativeChange = change,
            Note = note,
            Time = new TimeChange(t.Baseline.Length, t.Candidate.Length, bm, cm, r.Ratio, r.Lower, r.Upper, level, t.PValue, q) { RoundChanges = t.RoundChanges },
        };
    }

    /// <summary>The measured iterations, per operation in ns; anything not a positive number is dropped.</summary>
    private static double[] Measurements(TimingRecord t) => Valid(t.MeasurementsNs);

    private static double[] Valid(IReadOnlyList<double> measurements) => measurements.Where(x => double.IsFinite(x) && x > 0).ToArray();

    private static double Median(double[] xs) => MedianEstimator.Instance.Estimate(new Sample(xs)).NominalValue;

    private static string P(double p) => p < 0.0001 ? p.ToString("0.0e0", CultureInfo.InvariantCulture) : p.ToString("0.####", CultureInfo.InvariantCulture);

    public static string Level(double level) => (level * 100).ToString("0.##", CultureInfo.InvariantCulture) + "%";
}
