using System.CommandLine;
using QueryLab.Bench.Advice;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Pipeline;
using QueryLab.Queries.Catalog;
using QueryLab.Seed;

namespace QueryLab.Bench.Cli;

/// <summary>
/// <c>querylab advise [--scenario P] [--variant P] [--write-migration DIR]</c>: indexes proposed from the plans' findings,
/// each proven on the lab inside a transaction that is rolled back; advice.md and advice.json in a run folder.
/// </summary>
public static class AdviseCommand
{
    public static readonly Option<string?> Variant = new("--variant")
    {
        Description = "Variant name or glob (comma-separated alternatives) of the selected scenarios. Default: every variant.",
    };

    public static readonly Option<string?> WriteMigration = new("--write-migration")
    {
        Description = "Write each recommended index as the next migration file of this folder (no-transaction form, CREATE INDEX CONCURRENTLY), e.g. seed/Migrations.",
    };

    public static readonly CheckedOption<Written<double>> WriteBudget = CompareCommand.PercentOption(
        "--write-budget", "How much a write scenario touching the table may slow down for a candidate to be recommended.", AdviceSettings.Default.WriteBudget);

    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("advise", "Propose indexes from the plans' findings and prove each on the lab (built, measured and rolled back): advice.md and advice.json.");
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(Variant);
        cmd.Options.Add(WriteMigration);
        cmd.Options.Add(WriteBudget);
        cmd.Options.Add(CommonOptions.Reports);
        cmd.SetAction(async (pr, ct) =>
        {
            var scenarios = ScenarioOptions.Selected(pr).Scenarios;
            var variants = pr.GetValue(Variant);
            if (variants is not null)
            {
                var globs = variants.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                if (globs.Length == 0 || !scenarios.SelectMany(s => s.Variants).Any(v => globs.Any(g => ScenarioCatalog.Matches(v.Name, g))))
                {
                    throw LabException.BadInput($"no variant of {string.Join(", ", scenarios.Select(s => s.Name))} matches '{variants}'; their variants are: {string.Join(", ", scenarios.SelectMany(s => s.Variants).Select(v => v.Name).Distinct())}");
                }
            }

            var migrations = pr.GetValue(WriteMigration) is { Length: > 0 } m ? AdviceMigration.Check(Path.GetFullPath(m, ctx.WorkingDirectory)) : null;
            var settings = AdviceSettings.Default with { WriteBudget = pr.GetValue(WriteBudget)?.Value ?? AdviceSettings.Default.WriteBudget };
            var options = new AdviseOptions(CommonOptions.Server(pr, ctx), scenarios, variants, CommonOptions.ReportsDir(pr, ctx), migrations, settings, CommonOptions.CommandLine(pr));
            return await Advising.RunAsync(options, ctx, ct);
        });
        return cmd;
    }
}
