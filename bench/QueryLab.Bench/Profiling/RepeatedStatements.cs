namespace QueryLab.Bench.Profiling;

/// <summary>A statement sent more than once in one operation.</summary>
public sealed record RepeatedStatement(string Sql, int Count, bool IsNPlusOne);

/// <summary>
/// N+1 detection: an operation's statements grouped by normalised SQL. A statement run 2 or more times in
/// one operation is a warning; 5 or more times is an N+1 (one query per row of a previous result).
/// </summary>
public static class RepeatedStatements
{
    public const int WarnAt = 2;
    public const int NPlusOneAt = 5;

    public static IReadOnlyList<RepeatedStatement> Find(IEnumerable<CapturedStatement> statements) =>
        statements
            .Where(s => s.Kind != "copy")
            .GroupBy(s => Placeholders.Normalise(s.Sql), StringComparer.Ordinal)
            .Where(g => g.Count() >= WarnAt)
            .Select(g => new RepeatedStatement(g.Key, g.Count(), g.Count() >= NPlusOneAt))
            .OrderByDescending(r => r.Count)
            .ToList();
}
