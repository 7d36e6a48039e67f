using System.CommandLine;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Verification;

namespace QueryLab.Bench.Cli;

/// <summary><c>querylab verify</c>: every variant once, compared with the baseline; exit 1 on a mismatch.</summary>
public static class VerifyCommand
{
    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("verify", "Run every variant with the same parameters and compare its normalised answer with the baseline's (raw Npgsql).");
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(CommonOptions.Latency);
        cmd.Options.Add(CommonOptions.StatementLimit);
        cmd.SetAction((pr, ct) => VerifyRun.RunAsync(ScenarioOptions.Selected(pr).Scenarios, CommonOptions.ServerAtLatency(pr, ctx), ctx, ct));
        return cmd;
    }
}
