using QueryLab.Queries.Scenarios;

namespace QueryLab.Queries.Catalog;

/// <summary>The one list of scenarios. Everything else (verify, bench, profile, reports, tests) enumerates it.</summary>
public static class ScenarioCatalog
{
    public static IReadOnlyList<IScenario> All { get; } =
    [
        new LookupByTrackingNumber(),
        new PendingPage(),
        new PendingDeepPage(),
        new InTransitWithCarrierAndLatestEvent(),
        new DailyPaymentVolume(),
        new RefreshDailyVolume(),
        new CarrierScorecard(),
        new MarkDelivered(),
        new RecordTrackingEvents(),
        new ConnectionPerRequest(),
    ];

    /// <summary>
    /// The scenarios whose name matches <paramref name="pattern"/>: an exact name, or a glob with <c>*</c>
    /// (comma-separated patterns are alternatives). Null or empty selects all.
    /// </summary>
    public static IReadOnlyList<IScenario> Select(string? pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
        {
            return All;
        }

        var globs = pattern.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return All.Where(s => globs.Any(g => Matches(s.Name, g))).ToList();
    }

    public static bool Matches(string name, string glob)
    {
        var regex = "^" + System.Text.RegularExpressions.Regex.Escape(glob).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(name, regex, System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }
}
