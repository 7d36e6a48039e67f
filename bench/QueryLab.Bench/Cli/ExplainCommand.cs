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

    public static readonly Option<string?> Plan = new("--plan")
    {
        Description = "Explain a plan from anywhere instead (no server): a file holding EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) output, psql's print of it, or the text format.",
    };

    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("explain", "Print one variant's statements, round trips, plans (custom and generic) and findings; or, with --plan FILE, a plan from anywhere.");
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(Variant);
        cmd.Options.Add(CommonOptions.Latency);
        cmd.Options.Add(CommonOptions.StatementLimit);
        cmd.Options.Add(Plan);
        cmd.SetAction(async (pr, ct) =>
        {
            if (pr.GetValue(Plan) is { } file)
            {
                if (pr.GetValue(ScenarioOptions.Scenario) is not null || pr.GetValue(Variant) is not null || pr.GetValue(CommonOptions.Latency) is not null)
                {
                    throw LabException.BadInput("--plan explains a file and runs nothing: leave out --scenario, --variant and --latency");
                }

                return PlanFileExplanation.Print(file, ctx);
            }

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
