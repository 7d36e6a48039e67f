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

    public static readonly CheckedOption<Written<double>> ThresholdTime = CompareCommand.PercentOption("--threshold-time", "The smallest change a duet calls slower, as `querylab ab` uses it.", 0.05);

    /// <summary>Where an injected slowdown can be spent.</summary>
    private static readonly string[] InjectionPlaces = ["auto", "server", "client"];

    public static readonly CheckedOption<string> InjectAt = new("--inject-at", InjectionPlace, InjectionPlaces)
    {
        Description = "Where the injected slowdown is spent: server (a busy wait inside the server before each of the variant's statements; needs the querylab_spin module: a local server, a superuser, pg_config and cc), client (a busy wait in this process before each operation), or auto (server when it can be had, else client).",
        DefaultValueFactory = _ => "auto",
    };

    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("calibrate", "Measure what this runner can detect: per variant, A/A duets, the spread of × raw and of the median, and which injected slowdowns a duet catches.");
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(CommonOptions.Reports);
        cmd.Options.Add(Trials);
        cmd.Options.Add(Slowdowns);
        cmd.Options.Add(ThresholdTime);
        cmd.Options.Add(CompareCommand.Alpha);
        cmd.Options.Add(InjectAt);
        cmd.SetAction((pr, ct) =>
        {
            var request = new CalibrationRequest(
                ScenarioOptions.Selected(pr).Scenarios,
                CommonOptions.ReportsDir(pr, ctx),
                pr.GetValue(Trials),
                pr.GetValue(Slowdowns)!.Value,
                pr.GetValue(ThresholdTime)!.Value,
                pr.GetValue(CompareCommand.Alpha),
                pr.GetValue(InjectAt)!,
                CommonOptions.CommandLine(pr));
            return Calibrate.RunAsync(request, CommonOptions.Server(pr, ctx), ctx, ct);
        });
        return cmd;
    }

    private static string InjectionPlace(string text) =>
        InjectionPlaces.FirstOrDefault(p => p.Equals(text.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw LabException.BadInput($"--inject-at '{text}' is none of {string.Join(", ", InjectionPlaces)}; write one of them (auto: server when it can be had, else client)");

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
