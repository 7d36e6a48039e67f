using System.Globalization;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Compare;

/// <summary>
/// The deterministic counters of one variant, judged before time: more round trips or statements, or another
/// row count, is a regression whatever the clock says; buffers and the executor's counters (rows processed, temp
/// blocks, WAL bytes: <see cref="WorkComparer"/>) per statement up by more than the counters threshold are, down by
/// more is an improvement. They do not drift with machine noise. Allocations do (see
/// below): their changes are reported as unknown.
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
            // Allocations are measured in-process over all threads, so background work (pool pruning, EF's caches,
            // tiered JIT) lands in them: identical builds differed by 25–110% here (A/A runs). A change beyond the
            // threshold is shown for a reviewer, but as "unknown": it never fails a build on its own.
            var change = Relative(pair, "allocated bytes", ba, ca, settings.CounterThreshold, b => Units.Bytes(b)) with { Baseline = ba, Candidate = ca };
            yield return change.Outcome is Outcome.Regression or Outcome.Improvement
                ? change with { Outcome = Outcome.Unknown, Note = "allocations per operation vary between identical runs (measured in-process, all threads): shown, not gated" }
                : change;
        }
    }

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
