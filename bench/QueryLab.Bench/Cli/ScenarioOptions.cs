using System.CommandLine;
using QueryLab.Queries.Catalog;
using QueryLab.Seed;

namespace QueryLab.Bench.Cli;

/// <summary>The scenarios of the catalog a verb works on, and the pattern that selected them (null: the whole catalog).</summary>
public sealed record ScenarioSelection(string? Pattern, IReadOnlyList<IScenario> Scenarios)
{
    public static ScenarioSelection Whole => new(null, ScenarioCatalog.All);

    /// <summary>The scenarios <paramref name="pattern"/> matches: exit 2 when it is empty or matches none.</summary>
    public static ScenarioSelection Of(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        if (pattern.Split(',').All(string.IsNullOrWhiteSpace))
        {
            // An empty value is most often a script's empty variable: running the whole catalog for minutes is not what it meant.
            throw LabException.BadInput("--scenario is empty; give a name or glob (e.g. lookup-*), or leave the option out to run every scenario");
        }

        var selected = ScenarioCatalog.Select(pattern);
        return selected.Count > 0
            ? new ScenarioSelection(pattern, selected)
            : throw LabException.BadInput($"no scenario matches '{pattern}'; the scenarios are: {string.Join(", ", ScenarioCatalog.All.Select(s => s.Name))}");
    }
}

/// <summary>--scenario: which scenarios of the catalog a verb works on.</summary>
public static class ScenarioOptions
{
    public static readonly CheckedOption<ScenarioSelection> Scenario = new("--scenario", ScenarioSelection.Of, aliases: "-s")
    {
        Description = "Scenario name or glob (e.g. 'lookup-*'; comma-separated alternatives). Default: every scenario of the catalog.",
    };

    /// <summary>The selection of --scenario; the whole catalog without it.</summary>
    public static ScenarioSelection Selected(ParseResult pr)
    {
        ArgumentNullException.ThrowIfNull(pr);
        return pr.GetValue(Scenario) ?? ScenarioSelection.Whole;
    }
}
