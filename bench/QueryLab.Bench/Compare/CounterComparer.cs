using System.Globalization;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Compare;

/// <summary>
/// The deterministic counters of one variant, judged before time: more round trips or statements, or another
/// row count, is a regression whatever the clock says; buffers and the executor's counters (rows processed, temp
/// blocks, WAL bytes: <see cref="WorkComparer"/>) per statement up by more than the counters threshold are, down by
/// more is an improvement. They do not drift with machine noise. Allocated bytes per operation are gated the same
/// way where both runs counted them over the same operations (see <see cref="Allocations"/>).
/// </summary>
public static class CounterComparer
{
    public static IEnumerable<MetricChange> Compare(VariantPair pair, CompareSettings settings)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(settings);
        if (pair.Baseline.Profile is { } bp && pair.Candidate.Profile is { } cp)
        {
            yield return FewerIsBetter(pair, "round trips", bp.RoundTrips, cp.RoundTrips);
            yield return FewerIsBetter(pair, "statements", bp.Statements, cp.Statements);
            yield return Rows(pair, bp.Rows, cp.Rows);
            foreach (var c in StatementComparer.Compare(pair, bp, cp, settings))
            {
                yield return c;
            }
        }

        if (pair.Baseline.Timing?.AllocatedBytesPerOp is { } ba && pair.Candidate.Timing?.AllocatedBytesPerOp is { } ca)
        {
            yield return Allocations(pair, ba, ca, settings.CounterThreshold);
        }
    }

    /// <summary>
    /// Allocated bytes per operation, gated like buffers where both runs counted them the deterministic way (the
    /// allocation pass: the same operations, several passes after a full collection, the median kept; A/A runs
    /// agreed within 2% here) and each run's passes agreed among themselves within half the threshold. Otherwise
    /// (an older run, the smoke profile's single cold operation, passes that disagreed: something else in the process
    /// allocated meanwhile) a change is shown as unknown and never fails a build.
    /// </summary>
    private static MetricChange Allocations(VariantPair pair, long ba, long ca, double threshold)
    {
        var change = Relative(pair, "allocated bytes", ba, ca, threshold, b => Units.Bytes(b)) with { Baseline = ba, Candidate = ca };
        if (change.Outcome is not (Outcome.Regression or Outcome.Improvement))
        {
            return change;
        }

        var why = UngatedReason(pair.Baseline.Timing!.Allocation, pair.Candidate.Timing!.Allocation, threshold);
        return why is null
            ? change with { Note = change.Outcome == Outcome.Regression ? "allocated bytes per operation went up: counted over the same operations in both runs, this is the code, not the machine" : null }
            : change with { Outcome = Outcome.Unknown, Note = why + ": shown, not gated" };
    }

    /// <summary>Why two runs' allocations cannot be gated; null when they can.</summary>
    public static string? UngatedReason(AllocationRecord? b, AllocationRecord? c, double threshold)
    {
        if (b is null || c is null)
        {
            return "allocations were not counted by an allocation pass in one run or both (an older run or the smoke profile): they vary between identical runs";
        }

        if (b.Operations != c.Operations)
        {
            return $"the allocation passes ran {b.Operations} and {c.Operations} operations: not the same work";
        }

        var spread = Math.Max(Spread(b), Spread(c));
        return spread > threshold / 2
            ? $"one run's allocation passes differed by {Pct(spread)} among themselves (another thread allocated meanwhile)"
            : null;
    }

    /// <summary>Largest ÷ smallest pass − 1.</summary>
    private static double Spread(AllocationRecord a) => a.MinBytesPerOp <= 0 ? 0 : ((double)a.MaxBytesPerOp / a.MinBytesPerOp) - 1;

    private static MetricChange FewerIsBetter(VariantPair pair, string metric, long b, long c)
    {
        var outcome = c > b ? Outcome.Regression : c < b ? Outcome.Improvement : Outcome.Unchanged;
        return pair.Change(ChangeKind.Counter, metric, outcome, Units.Count(b), Units.Count(c), Signed(c - b)) with
        {
            Baseline = b,
            Candidate = c,
            RelativeChange = Ratio(b, c),
            Note = outcome == Outcome.Regression ? $"{metric} per operation went up: each is a network round trip or a statement PostgreSQL parses, plans and runs" : null,
        };
    }

    private static MetricChange Rows(VariantPair pair, long b, long c) =>
        pair.Change(ChangeKind.Counter, "rows", b == c ? Outcome.Unchanged : Outcome.Regression, Units.Count(b), Units.Count(c), Signed(c - b)) with
        {
            Baseline = b,
            Candidate = c,
            RelativeChange = Ratio(b, c),
            Note = b == c ? null : "rows returned or affected per operation changed on the same data: the variant now answers differently or does other work",
        };

    /// <summary>A counter judged by its relative change against <paramref name="threshold"/>.</summary>
    public static MetricChange Relative(VariantPair pair, string metric, long b, long c, double threshold, Func<long, string> format)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(format);
        var rel = Ratio(b, c);
        var outcome = b == c ? Outcome.Unchanged
            : rel is null ? Outcome.Regression // from zero to something
            : rel > threshold ? Outcome.Regression
            : rel < -threshold ? Outcome.Improvement
            : Outcome.Unchanged;
        var text = rel is null ? $"from 0 to {format(c)}" : Pct(rel.Value);
        return pair.Change(ChangeKind.Counter, metric, outcome, format(b), format(c), text) with { RelativeChange = rel };
    }

    /// <summary>c ÷ b − 1; null when b is 0 and c is not.</summary>
    public static double? Ratio(double b, double c) => b == 0 ? (c == 0 ? 0 : null) : (c / b) - 1;

    public static string Signed(long d) => d > 0 ? "+" + Units.Count(d) : d < 0 ? "−" + Units.Count(-d) : "0";

    /// <summary>"+25.0%", "−3.2%", "0%".</summary>
    public static string Pct(double rel)
    {
        var p = rel * 100;
        var abs = Math.Abs(p).ToString(Math.Abs(p) >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture);
        return abs is "0.0" or "0" ? "0%" : (p > 0 ? "+" : "−") + abs + "%";
    }
}
