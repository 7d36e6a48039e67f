using QueryLab.Bench.Exits;
using QueryLab.Bench.Lab;
using QueryLab.Queries.Catalog;

namespace QueryLab.Bench.Verification;

/// <summary><c>querylab verify</c>: every selected scenario's variants once, compared with the baseline; exit 1 on a mismatch.</summary>
public static class VerifyRun
{
    public static async Task<int> RunAsync(IReadOnlyList<IScenario> scenarios, ServerChoice server, LabContext ctx, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        ArgumentNullException.ThrowIfNull(ctx);
        await using var lab = await LabPipeline.OpenAsync(server, ctx, seed: null, ct);
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
    }
}
