using System.CommandLine;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Timing;

namespace QueryLab.Bench.Cli;

/// <summary>
/// <c>querylab run</c>: the main job — server, migrate, seed (a no-op when already seeded), verify,
/// bench, report. What <c>run.ps1</c> runs with no arguments.
/// </summary>
public static class RunCommand
{
    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("run", "The whole pipeline: start the server, migrate, seed, verify, time every variant, write the report.");
        cmd.Options.Add(SeedCommand.ScaleOption);
        cmd.Options.Add(SeedCommand.SeedOption);
        cmd.Options.Add(SeedCommand.Force);
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(BenchCommand.Profile);
        cmd.Options.Add(BenchCommand.Reports);
        BenchCommand.AddTimingOptions(cmd);
        BenchCommand.AddCompareOptions(cmd);
        cmd.SetAction(async (pr, ct) =>
        {
            var scenarios = ScenarioOptions.Select(pr);
            var (profile, options) = BenchCommand.Timing(pr, scenarios);
            var request = SeedCommand.Request(pr);
            var baseline = BenchCommand.ReadBaseline(pr, ctx);
            Results.RunFolder.CheckWritable(BenchCommand.ReportsDir(pr, ctx));
            var choice = ServerChoice.Resolve(pr.GetValue(CommonOptions.Connection), ctx);
            await using var lab = await LabPipeline.OpenAsync(choice, ctx, request, ct);
            return await BenchCommand.MeasureAsync(lab, ctx, pr, scenarios, profile, options, baseline, ct);
        });
        return cmd;
    }
}
