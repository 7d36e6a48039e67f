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
    public static readonly Option<string[]> InjectReference = new("--inject-reference")
    {
        Description = "Calibration (what ab gives the base when the head has --inject-delay): run scenario/variant through the --inject-at path with no delay, so the delayed side is compared with the same path.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<bool> Quick = new("--quick")
    {
        Description = "Warm up with one pass of each variant instead of until the JIT is done (what ab gives its workers with --profile smoke, which decides nothing).",
    };

    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("worker", "Used by `querylab ab`: a warmed-up process that runs slices of variants when told (a line protocol on standard input and output).");
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(BenchCommand.InjectDelay);
        cmd.Options.Add(BenchCommand.InjectAt);
        cmd.Options.Add(InjectReference);
        cmd.Options.Add(Quick);
        cmd.SetAction((pr, ct) =>
        {
            var scenarios = ScenarioOptions.Selected(pr).Scenarios;
            var delays = TimingOptions.ParseDelays([.. pr.GetValue(BenchCommand.InjectDelay) ?? [], .. (pr.GetValue(InjectReference) ?? []).Select(k => k + "=0us")], scenarios);
            return WorkerHost.RunAsync(scenarios, delays, pr.GetValue(BenchCommand.InjectAt)!, CommonOptions.Server(pr, ctx), ctx, ct, pr.GetValue(Quick));
        });
        return cmd;
    }
}
