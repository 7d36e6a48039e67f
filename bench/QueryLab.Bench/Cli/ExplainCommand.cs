using System.CommandLine;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Pipeline;
using QueryLab.Seed;

namespace QueryLab.Bench.Cli;

/// <summary>
/// <c>querylab explain --scenario X [--variant Y]</c>: one variant's SQL, plan tree and findings in the
/// terminal, for the engineer tuning a single query. Nothing is written to reports/.
/// </summary>
public static class ExplainCommand
{
    public static readonly Option<string?> Variant = new("--variant")
    {
        Description = "The variant to explain (default: the scenario's baseline).",
    };

    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("explain", "Print one variant's statements, round trips, plans (custom and generic) and findings.");
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(Variant);
        cmd.Options.Add(CommonOptions.Latency);
        cmd.Options.Add(CommonOptions.StatementLimit);
        cmd.SetAction(async (pr, ct) =>
        {
            var selected = ScenarioOptions.Selected(pr);
            var scenarios = selected.Scenarios;
            if (scenarios.Count != 1)
            {
                throw LabException.BadInput($"explain needs one scenario; '{selected.Pattern}' matches {scenarios.Count}: {string.Join(", ", scenarios.Select(s => s.Name))}");
            }

            var scenario = scenarios[0];
            var name = pr.GetValue(Variant);
            var variant = name is null ? scenario.Baseline : scenario.Variants.FirstOrDefault(v => v.Name == name)
                ?? throw LabException.BadInput($"scenario {scenario.Name} has no variant '{name}'; its variants are: {string.Join(", ", scenario.Variants.Select(v => v.Name))}");

            return await Explanation.PrintAsync(scenario, variant, CommonOptions.ServerAtLatency(pr, ctx), ctx, ct);
        });
        return cmd;
    }
}
