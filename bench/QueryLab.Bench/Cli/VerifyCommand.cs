using System.CommandLine;
using QueryLab.Bench.Exits;
using QueryLab.Bench.Verification;
using QueryLab.Seed;

namespace QueryLab.Bench.Cli;

/// <summary><c>querylab verify</c>: every variant once, compared with the baseline; exit 1 on a mismatch.</summary>
public static class VerifyCommand
{
    public static Command Create(CliContext ctx)
    {
        var cmd = new Command("verify", "Run every variant with the same parameters and compare its normalised answer with the baseline's (raw Npgsql).");
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(BenchCommand.SingleLatency);
        cmd.SetAction(async (pr, ct) =>
        {
            var scenarios = ScenarioOptions.Select(pr);
            var latency = Latency.LatencyOptions.Parse(pr.GetValue(BenchCommand.SingleLatency), sweepAllowed: false);
            var choice = ServerChoice.Resolve(pr.GetValue(CommonOptions.Connection), ctx);
            await using var lab = LabPipeline.At(await LabPipeline.OpenAsync(choice, ctx, seed: null, ct), latency, ctx);
            var failed = 0;
            for (var i = 0; i < scenarios.Count; i++)
            {
                var s = scenarios[i];
                var left = scenarios.Skip(i).Select(x => x.Name).ToList();
                ctx.Work.Enter(
                    $"verifying {s.Name}",
                    () => $"{left.Count} of {scenarios.Count} scenario(s) were not verified ({string.Join(", ", left)}); the data is unchanged (every write is rolled back)");
                await using var prepared = await s.PrepareAsync(lab.Catalog, ct);
                var v = await Verifier.VerifyAsync(prepared, ct);
                Verifier.Print(v, ctx.Out);
                failed += v.Passed ? 0 : 1;
            }

            ctx.Work.Leave();
            ctx.Out.WriteLine(failed == 0 ? $"verify: all {scenarios.Count} scenario(s) agree" : $"verify: {failed} of {scenarios.Count} scenario(s) have variants that disagree with the baseline");
            return ExitCodes.Code(ExitCodes.If(failed > 0, Ending.VerificationFailed));
        });
        return cmd;
    }
}
