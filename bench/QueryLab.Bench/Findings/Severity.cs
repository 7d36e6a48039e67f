namespace QueryLab.Bench.Findings;

/// <summary>How urgent a finding is. results.json writes it as its name ("Critical"), load.json in camelCase ("critical").</summary>
public enum Severity
{
    /// <summary>Worth knowing; rarely the reason a query is slow on its own.</summary>
    Info,

    /// <summary>Likely costs time or will at a larger scale; fix when touching the query.</summary>
    Warning,

    /// <summary>Very likely why this statement is slow; fix first.</summary>
    Critical,
}

/// <summary>Severities as reports print them.</summary>
public static class Severities
{
    /// <summary>"critical", "warning", "info".</summary>
    public static string Name(Severity s) => s.ToString().ToLowerInvariant();

    /// <summary>"2 critical, 1 warning": how many of each, most severe first, leaving out those below <paramref name="least"/>; "" when there are none.</summary>
    public static string Counts(IEnumerable<Severity> found, Severity least = Severity.Info)
    {
        var list = found.ToList();
        return string.Join(", ", Enum.GetValues<Severity>()
            .Where(s => s >= least)
            .OrderDescending()
            .Select(s => (s, n: list.Count(f => f == s)))
            .Where(x => x.n > 0)
            .Select(x => $"{x.n} {Name(x.s)}"));
    }
}
