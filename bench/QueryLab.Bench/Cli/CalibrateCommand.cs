using System.CommandLine;
using System.Globalization;
using QueryLab.Bench.Calibration;
using QueryLab.Bench.Compare;
using QueryLab.Bench.Timing;
using QueryLab.Seed;

namespace QueryLab.Bench.Cli;

/// <summary><c>querylab calibrate</c>: what this runner can detect, per variant.</summary>
public static class CalibrateCommand
{
    public static readonly Option<int> Trials = new("--trials")
    {
        Description = "A/A duets and × raw duets per variant (2–20).",
        DefaultValueFactory = _ => 3,
    };

    public static readonly Option<string> Slowdowns = new("--slowdowns")
    {
        Description = "The slowdowns injected, as percentages of each variant's median, comma-separated.",
        DefaultValueFactory = _ => "5%,10%,20%",
    };

    public static readonly Option<string> ThresholdTime = new("--threshold-time")
    {
        Description = "The smallest change a duet calls slower, as `querylab ab` uses it.",
        DefaultValueFactory = _ => "5%",
    };

    public static Command Create(CliContext ctx)
    {
        var cmd = new Command("calibrate", "Measure what this runner can detect: per variant, A/A duets, the spread of × raw and of the median, and which injected slowdowns a duet catches.");
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(BenchCommand.Reports);
        cmd.Options.Add(Trials);
        cmd.Options.Add(Slowdowns);
        cmd.Options.Add(ThresholdTime);
        cmd.Options.Add(CompareCommand.Alpha);
        cmd.Options.Add(BenchCommand.InjectAt);
        cmd.SetAction(async (pr, ct) =>
        {
            var request = Request(pr, ctx);
            Results.RunFolder.CheckWritable(request.ReportsDir);
            var choice = ServerChoice.Resolve(pr.GetValue(CommonOptions.Connection), ctx);
            await using var lab = await LabPipeline.OpenAsync(choice, ctx, seed: null, ct);
            var (injector, note) = await SlowdownInjection.CreateAsync(request.Injection, lab.Server, lab.Catalog, ctx.Home, ct);
            await using var owned = injector;
            var (results, folder) = await new CalibrationSession(lab, ctx).RunAsync(request, injector, note, ct);
            var md = CalibrationReport.Markdown(results);
            var summary = md[md.IndexOf("## Summary", StringComparison.Ordinal)..md.IndexOf("## Per variant", StringComparison.Ordinal)];
            ctx.Out.WriteLine(summary.Replace("**", "", StringComparison.Ordinal).Replace("## Summary", "calibrate: summary", StringComparison.Ordinal).TrimEnd());
            ctx.Out.WriteLine($"report: {Path.Combine(folder, "calibrate.md")}");
            return 0;
        });
        return cmd;
    }

    private static CalibrationRequest Request(ParseResult pr, CliContext ctx)
    {
        var trials = pr.GetValue(Trials);
        if (trials is < 2 or > 20)
        {
            throw LabException.BadInput($"--trials must be between 2 and 20 (got {trials})");
        }

        var slowdowns = (pr.GetValue(Slowdowns) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(x => CompareSettings.Percent("--slowdowns", x))
            .Distinct()
            .Order()
            .ToList();
        if (slowdowns.Count == 0)
        {
            throw LabException.BadInput("--slowdowns needs at least one percentage, like 5%,10%,20%");
        }

        var settings = CompareSettings.Parse(pr.GetValue(ThresholdTime), null, pr.GetValue(CompareCommand.Alpha));
        var command = "querylab " + string.Join(' ', pr.Tokens.Select(t => Seed.Server.ConnectionStrings.Redact(t.Value)));
        return new CalibrationRequest(ScenarioOptions.Select(pr), BenchCommand.ReportsDir(pr, ctx), trials, slowdowns, settings.TimeThreshold, settings.Alpha, pr.GetValue(BenchCommand.InjectAt)!, command);
    }

}
