using System.CommandLine;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Pipeline;

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
        cmd.Options.Add(CommonOptions.Reports);
        BenchCommand.AddTimingOptions(cmd);
        BenchCommand.AddCompareOptions(cmd);
        cmd.SetAction((pr, ct) => Measurement.RunAsync(BenchCommand.Options(pr, ctx, SeedCommand.Request), ctx, ct));
        return cmd;
    }
}
