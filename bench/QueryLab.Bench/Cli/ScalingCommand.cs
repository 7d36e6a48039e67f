using System.CommandLine;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Scaling;
using QueryLab.Bench.Timing;
using QueryLab.Seed;
using QueryLab.Seed.Seeding;

namespace QueryLab.Bench.Cli;

/// <summary><c>querylab scaling --scales tiny,small,medium</c>: the catalog at each scale, and how each variant's cost grows.</summary>
public static class ScalingCommand
{
    public static readonly CheckedOption<IReadOnlyList<Scale>> Scales = new("--scales", t => ParseScales(t), Scale.All.Select(s => s.Key))
    {
        Description = "The scales to measure, comma-separated, at least two: tiny, small, medium, production (default tiny,small,medium).",
        DefaultValueFactory = _ => [Scale.Tiny, Scale.Small, Scale.Medium],
    };

    public static readonly CheckedOption<TimeSpan?> Budget = new("--budget", t => Load.LoadPlan.ParseDuration(t, "--budget", allowZero: false))
    {
        Description = "The time per operation a variant should stay within (default 100ms): scaling.md says at which scale each variant crosses it, measured or extrapolated.",
    };

    public static IReadOnlyList<Scale> ParseScales(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var scales = new List<Scale>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var scale = Scale.Find(part) ?? throw LabException.BadInput($"--scales: {Scale.Unknown(part)}");
            if (!scales.Contains(scale))
            {
                scales.Add(scale);
            }
        }

        return scales.Count >= 2
            ? scales
            : throw LabException.BadInput($"--scales '{text}' names {scales.Count} scale(s); a growth needs at least two, e.g. --scales tiny,small,medium");
    }

    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("scaling", "Verify, time and profile the catalog at several scales (a database each, seeded once and reused) and write scaling.md: each variant's growth exponent and where it crosses the budget.");
        cmd.Options.Add(Scales);
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(BenchCommand.Profile);
        cmd.Options.Add(Budget);
        cmd.Options.Add(CommonOptions.Reports);
        cmd.Options.Add(CommonOptions.StatementLimit);
        cmd.SetAction((pr, ct) =>
        {
            var scenarios = ScenarioOptions.Selected(pr).Scenarios;
            var profile = pr.GetValue(BenchCommand.Profile)!.Value;
            var options = new ScalingOptions(
                CommonOptions.Limited(CommonOptions.Server(pr, ctx), pr),
                pr.GetValue(Scales)!,
                scenarios,
                profile,
                TimingOptions.Default,
                pr.GetValue(Budget) ?? TimeSpan.FromMilliseconds(100),
                CommonOptions.ReportsDir(pr, ctx),
                CommonOptions.CommandLine(pr));
            return ScalingRun.RunAsync(options, ctx, ct);
        });
        return cmd;
    }
}
