using System.CommandLine;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Pipeline;
using QueryLab.Bench.Timing;

namespace QueryLab.Bench.Cli;

/// <summary>
/// <c>querylab worker</c>: what <c>querylab ab</c> starts of each build to interleave them slice by slice. It prepares
/// and warms the selected scenarios, then answers the protocol of <see cref="SliceWorker"/> on standard input and
/// output; everything else it says goes to standard error.
/// </summary>
public static class WorkerCommand
{
    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("worker", "Used by `querylab ab`: a warmed-up process that runs slices of variants when told (a line protocol on standard input and output).");
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(BenchCommand.InjectDelay);
        cmd.Options.Add(BenchCommand.InjectAt);
        cmd.SetAction((pr, ct) =>
        {
            var scenarios = ScenarioOptions.Selected(pr).Scenarios;
            var delays = TimingOptions.ParseDelays(pr.GetValue(BenchCommand.InjectDelay) ?? [], scenarios);
            return WorkerHost.RunAsync(scenarios, delays, pr.GetValue(BenchCommand.InjectAt)!, CommonOptions.Server(pr, ctx), ctx, ct);
        });
        return cmd;
    }
}
