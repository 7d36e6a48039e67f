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
        var tooSlow = 0;
        var unverified = 0;
        for (var i = 0; i < scenarios.Count; i++)
        {
            var s = scenarios[i];
            var left = scenarios.Skip(i).Select(x => x.Name).ToList();
            ctx.Work.Enter(
                $"verifying {s.Name}",
                () => $"{left.Count} of {scenarios.Count} scenario(s) were not verified ({string.Join(", ", left)}); the data is unchanged (every write is rolled back)");
            await using var prepared = await s.PrepareAsync(lab.Catalog, ct);
            var v = await Verifier.VerifyAsync(prepared, ct, statementLimit: lab.StatementLimit);
            Verifier.Print(v, ctx.Out);
            failed += v.Passed ? 0 : 1;
            tooSlow += v.DidNotFinish.Count;
            unverified += v.BaselineDidNotFinish is null ? 0 : 1;
        }

        ctx.Work.Leave();
        var slow = tooSlow == 0 ? "" : $"; {tooSlow} variant(s) did not finish within {Seed.Server.StatementLimit.Display(lab.StatementLimit)} at this scale (a result: see `too slow` above)";
        var verdict = failed > 0 ? $"verify: {failed} of {scenarios.Count} scenario(s) have variants that disagree with the baseline"
            : unverified > 0 ? $"verify: {scenarios.Count - unverified} of {scenarios.Count} scenario(s) agree, {unverified} not verified (the baseline did not finish)"
            : $"verify: all {scenarios.Count} scenario(s) agree";
        ctx.Out.WriteLine(verdict + slow);
        return ExitCodes.Code(ExitCodes.If(failed > 0, Ending.VerificationFailed));
    }
}
