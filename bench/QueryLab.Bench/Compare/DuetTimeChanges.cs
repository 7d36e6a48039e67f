using QueryLab.Bench.Reports;
using QueryLab.Bench.Timing;

namespace QueryLab.Bench.Compare;

/// <summary>
/// The time verdicts of a duet (<c>querylab ab</c> interleaving two workers), as compare's changes: the paired ratio
/// and its interval replace the Mann–Whitney test over two separate runs' iterations.
/// </summary>
public static class DuetTimeChanges
{
    public static IReadOnlyList<MetricChange> Compare(IReadOnlyList<VariantPair> pairs, IReadOnlyDictionary<string, DuetResult> duets)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(duets);
        return pairs.Select(p => Change(p, duets.GetValueOrDefault(BenchmarkCases.Key(p.Scenario, p.Candidate.Name)))).ToList();
    }

    private static MetricChange Change(VariantPair p, DuetResult? d)
    {
        if (d is null)
        {
            return p.Change(ChangeKind.Time, "median time", Outcome.Unknown, "–", "–", "unknown") with
            {
                Note = "not interleaved: one of the two workers could not run it",
            };
        }

        var outcome = d.Verdict switch
        {
            DuetVerdict.Slower => Outcome.Regression,
            DuetVerdict.Faster => Outcome.Improvement,
            DuetVerdict.Unchanged => Outcome.Unchanged,
            _ => Outcome.Unknown,
        };
        var e = d.Ratio;
        var ci = e.Lower is { } lo && e.Upper is { } hi ? $" ({TimeComparer.Level(e.Confidence)} CI {CounterComparer.Pct(lo - 1)} … {CounterComparer.Pct(hi - 1)})" : "";
        return p.Change(ChangeKind.Time, "median time", outcome, Units.Time(d.AMedianNs), Units.Time(d.BMedianNs), CounterComparer.Pct(e.Ratio - 1) + ci) with
        {
            Baseline = d.AMedianNs,
            Candidate = d.BMedianNs,
            RelativeChange = e.Ratio - 1,
            Note = "interleaved slices, base and head alternating (duet): " + d.Why,
            Time = new TimeChange(e.Pairs + 1, e.Pairs, d.AMedianNs, d.BMedianNs, e.Ratio, e.Lower, e.Upper, e.Confidence, null, null),
        };
    }
}
