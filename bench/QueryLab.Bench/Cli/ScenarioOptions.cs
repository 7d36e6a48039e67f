using System.CommandLine;
using QueryLab.Bench.Lab;
using QueryLab.Queries.Catalog;
using QueryLab.Seed;

namespace QueryLab.Bench.Cli;

/// <summary>--scenario: which scenarios of the catalog a verb works on.</summary>
public static class ScenarioOptions
{
    public static readonly Option<string?> Scenario = new("--scenario", "-s")
    {
        Description = "Scenario name or glob (e.g. 'lookup-*'; comma-separated alternatives). Default: every scenario of the catalog.",
    };

    public static IReadOnlyList<IScenario> Select(ParseResult pr)
    {
        var pattern = pr.GetValue(Scenario);
        if (pattern is not null && pattern.Split(',').All(string.IsNullOrWhiteSpace))
        {
            // An empty value is most often a script's empty variable: running the whole catalog for minutes is not what it meant.
            throw LabException.BadInput("--scenario is empty; give a name or glob (e.g. lookup-*), or leave the option out to run every scenario");
        }

        var selected = ScenarioCatalog.Select(pattern);
        if (selected.Count == 0)
        {
            throw LabException.BadInput($"no scenario matches '{pattern}'; the scenarios are: {string.Join(", ", ScenarioCatalog.All.Select(s => s.Name))}");
        }

        return selected;
    }
}
