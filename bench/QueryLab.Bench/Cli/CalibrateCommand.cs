using System.CommandLine;
using System.Globalization;
using QueryLab.Bench.Calibration;
using QueryLab.Bench.Compare;
using QueryLab.Bench.Lab;
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

    public static readonly Option<string> InjectAt = new("--inject-at")
    {
        Description = "Where the injected slowdown is spent: server (a busy wait inside the server before each of the variant's statements; needs the querylab_spin module: a local server, a superuser, pg_config and cc), client (a busy wait in this process before each operation), or auto (server when it can be had, else client).",
        DefaultValueFactory = _ => "auto",
    };

    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("calibrate", "Measure what this runner can detect: per variant, A/A duets, the spread of × raw and of the median, and which injected slowdowns a duet catches.");
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(BenchCommand.Reports);
        cmd.Options.Add(Trials);
        cmd.Options.Add(Slowdowns);
        cmd.Options.Add(ThresholdTime);
        cmd.Options.Add(CompareCommand.Alpha);
        cmd.Options.Add(InjectAt);
        InjectAt.AcceptOnlyFromAmong("auto", "server", "client");
        cmd.SetAction(async (pr, ct) =>
        {
            var request = Request(pr, ctx);
            Results.RunFolder.CheckWritable(request.ReportsDir);
            var choice = ServerChoice.Resolve(pr.GetValue(CommonOptions.Connection), ctx);
            await using var lab = await LabPipeline.OpenAsync(choice, ctx, seed: null, ct);
            var (injector, note) = await InjectorAsync(request.Injection, lab, ctx, ct);
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

    /// <summary>The injector --inject-at asks for: server needs the querylab_spin module (exit 2 with the reason when it cannot be had).</summary>
    private static async Task<(ISlowdownInjector Injector, string? Note)> InjectorAsync(string where, LabPipeline lab, LabContext ctx, CancellationToken ct)
    {
        if (where == "client")
        {
            return (new ClientSpinInjector(), null);
        }

        var spin = await Seed.Server.SpinExtension.PrepareAsync(lab.Server, ctx.Home, ct);
        if (spin.IsAvailable)
        {
            return (new ServerSpinInjector(lab.Catalog, spin.LibraryPath!), null);
        }

        return where == "server"
            ? throw LabException.BadInput($"--inject-at server: {spin.Unavailable}; or use --inject-at client")
            : (new ClientSpinInjector(), $"the server-side delay is not available ({spin.Unavailable}): slowdowns are injected in the client");
    }

    private static CalibrationRequest Request(ParseResult pr, LabContext ctx)
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
        return new CalibrationRequest(ScenarioOptions.Select(pr), BenchCommand.ReportsDir(pr, ctx), trials, slowdowns, settings.TimeThreshold, settings.Alpha, pr.GetValue(InjectAt)!, command);
    }

}
