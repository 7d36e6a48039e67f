using QueryLab.Bench.Findings;

namespace QueryLab.Bench.Profiling;

/// <summary>A statement sent more than once in one operation, and over how many round trips.</summary>
public sealed record RepeatedStatement(string Sql, int Count, int RoundTrips, bool IsNPlusOne);

/// <summary>
/// N+1 detection: an operation's statements grouped by normalised SQL. A statement run 2 or more times in
/// one operation is a warning; run 5 or more times in as many round trips it is an N+1 (one query per row
/// of a previous result, each waiting for the network). Repeats packed into one batch share a round trip:
/// they are reported as repeats, not as an N+1, because the latency an N+1 costs is not paid. The counts are
/// <see cref="FindingThresholds.RepeatedMinCount"/> and <see cref="FindingThresholds.NPlusOneMinRoundTrips"/>.
/// </summary>
public static class RepeatedStatements
{
    public static IReadOnlyList<RepeatedStatement> Find(IEnumerable<CapturedStatement> statements) => Find(statements, FindingThresholds.Default);

    public static IReadOnlyList<RepeatedStatement> Find(IEnumerable<CapturedStatement> statements, FindingThresholds t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return statements
            .Where(s => s.Kind != StatementKind.Copy)
            .GroupBy(Placeholders.Key, StringComparer.Ordinal)
            .Where(g => g.Count() >= t.RepeatedMinCount)
            .Select(g =>
            {
                var roundTrips = g.Select(s => s.RoundTrip).Distinct().Count();
                return new RepeatedStatement(Placeholders.Normalise(g.First().Sql), g.Count(), roundTrips, roundTrips >= t.NPlusOneMinRoundTrips);
            })
            .OrderByDescending(r => r.Count)
            .ToList();
    }
}
