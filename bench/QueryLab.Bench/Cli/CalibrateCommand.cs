using System.CommandLine;
using QueryLab.Bench.Calibration;
using QueryLab.Bench.Compare;
using QueryLab.Bench.Lab;
using QueryLab.Seed;

namespace QueryLab.Bench.Cli;

/// <summary><c>querylab calibrate</c>: what this runner can detect, per variant; its options read once into <see cref="CalibrationRequest"/>.</summary>
public static class CalibrateCommand
{
    public static readonly CheckedOption<int> Trials = new("--trials", t => CheckTrials(BenchCommand.Count("--trials", t, "a count between 2 and 20")))
    {
        Description = "A/A duets and × raw duets per variant (2–20).",
        DefaultValueFactory = _ => 3,
    };

    public static readonly CheckedOption<Written<IReadOnlyList<double>>> Slowdowns = new("--slowdowns", t => new(ParseSlowdowns(t), t))
    {
        Description = "The slowdowns injected, as percentages of each variant's median, comma-separated.",
        DefaultValueFactory = _ => new(ParseSlowdowns("5%,10%,20%"), "5%,10%,20%"),
    };

    public static readonly CheckedOption<TimeSpan?> Budget = new("--budget", t => CheckBudget(Load.LoadPlan.ParseDuration(t, "--budget", allowZero: false)))
    {
        Description = "The time the whole calibration may take (10m: the catalog on small in 10 minutes); each variant's duets get fewer pairs when the rest would not fit (never fewer than 8).",
    };

    public static readonly CheckedOption<Written<double>> ThresholdTime = CompareCommand.PercentOption("--threshold-time", "The smallest change a duet calls slower, as `querylab ab` uses it.", 0.05);

    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("calibrate", "Measure what this runner can detect: per variant, A/A duets, the spread of × raw and of the median, and which injected slowdowns a duet catches.");
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(CommonOptions.Reports);
        cmd.Options.Add(Trials);
        cmd.Options.Add(Slowdowns);
        cmd.Options.Add(Budget);
        cmd.Options.Add(ThresholdTime);
        cmd.Options.Add(CompareCommand.Alpha);
        cmd.Options.Add(BenchCommand.InjectAt);
        cmd.SetAction((pr, ct) =>
        {
            var request = new CalibrationRequest(
                ScenarioOptions.Selected(pr).Scenarios,
                CommonOptions.ReportsDir(pr, ctx),
                pr.GetValue(Trials),
                pr.GetValue(Slowdowns)!.Value,
                pr.GetValue(ThresholdTime)!.Value,
                pr.GetValue(CompareCommand.Alpha),
                pr.GetValue(BenchCommand.InjectAt)!,
                CommonOptions.CommandLine(pr))
            {
                Budget = pr.GetValue(Budget) ?? CalibrationRequest.DefaultBudget,
            };
            return Calibrate.RunAsync(request, CommonOptions.Server(pr, ctx), ctx, ct);
        });
        return cmd;
    }

    private static TimeSpan CheckBudget(TimeSpan budget) =>
        budget >= TimeSpan.FromMinutes(1) && budget <= TimeSpan.FromHours(24) ? budget : throw LabException.BadInput($"--budget must be from 1m to 24h (got {budget})");

    private static int CheckTrials(int trials) =>
        trials is >= 2 and <= 20 ? trials : throw LabException.BadInput($"--trials must be between 2 and 20 (got {trials})");

    private static List<double> ParseSlowdowns(string text)
    {
        var slowdowns = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(x => CompareSettings.Percent("--slowdowns", x))
            .Distinct()
            .Order()
            .ToList();
        return slowdowns.Count > 0 ? slowdowns : throw LabException.BadInput("--slowdowns needs at least one percentage, like 5%,10%,20%");
    }
}
