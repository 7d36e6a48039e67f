using Npgsql;

namespace QueryLab.Bench.Results;

/// <summary>
/// A fingerprint of the planner's statistics per lab table (an MD5 of its <c>pg_stats</c> rows). Two seeds of the same
/// rows do not get the same statistics: ANALYZE reads a random sample, so the histograms and most-common values differ,
/// and a statement near a plan choice (a prepared statement deciding between its custom and generic plan) can plan
/// differently. Recorded with each run so that <c>compare</c> can say when the two runs did not plan from the same
/// statistics.
/// </summary>
public static class PlannerStatistics
{
    private const string Sql = """
        SELECT s.tablename, md5(string_agg(s::text, '|' ORDER BY s.attname, s.inherited))
        FROM pg_stats s
        WHERE s.schemaname = 'querylab'
        GROUP BY s.tablename
        ORDER BY 1
        """;

    public static async Task<IReadOnlyDictionary<string, string>> ReadAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var fingerprints = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var cmd = dataSource.CreateCommand(Sql);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            fingerprints[reader.GetString(0)] = reader.GetString(1);
        }

        return fingerprints;
    }

    /// <summary>The tables both runs fingerprinted whose statistics differ; empty when either run predates the fingerprint.</summary>
    public static IReadOnlyList<string> Differing(DatasetInfo baseline, DatasetInfo candidate)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        if (baseline.PlannerStatistics is not { } b || candidate.PlannerStatistics is not { } c)
        {
            return [];
        }

        return b.Keys.Intersect(c.Keys, StringComparer.Ordinal).Where(t => !string.Equals(b[t], c[t], StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
    }
}
