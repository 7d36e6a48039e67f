using QueryLab.Bench.Exits;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Latency;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Timing;
using QueryLab.Queries.Catalog;
using QueryLab.Seed.Seeding;

namespace QueryLab.Bench.Pipeline;

/// <summary>
/// What one measuring run (`bench`, `run`) was asked for, parsed and checked once by the command line before anything
/// is opened; the pipeline receives nothing else of it.
/// </summary>
/// <param name="Server">Where the server comes from.</param>
/// <param name="Seed">For `run`: the data to seed first (a no-op when it is there); null for `bench`, which needs it seeded.</param>
/// <param name="Scenarios">The scenarios selected (at least one).</param>
/// <param name="Profile">The profile, with --iterations applied.</param>
/// <param name="Timing">--no-profile, --inject-delay (checked against <paramref name="Scenarios"/>), --fidelity.</param>
/// <param name="Baseline">--baseline, already read (a missing or corrupt one costs no run), or null.</param>
/// <param name="ReportsDir">Where the run folder goes (checked writable).</param>
/// <param name="Command">The command line as results.json records it, passwords redacted.</param>
public sealed record MeasureOptions(
    ServerChoice Server,
    SeedRequest? Seed,
    IReadOnlyList<IScenario> Scenarios,
    BenchProfile Profile,
    TimingOptions Timing,
    BaselineRun? Baseline,
    string ReportsDir,
    string Command);

/// <summary>The measuring pipeline of `bench` and `run`: open the lab, time and profile, write the run folder, compare with the baseline.</summary>
public static class Measurement
{
    /// <summary>Exit 1 when a scenario failed verification or the comparison found a regression; 2 (thrown) when the runs cannot be compared.</summary>
    public static async Task<int> RunAsync(MeasureOptions options, LabContext ctx, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ctx);
        await using var lab = await LabPipeline.OpenAsync(options.Server, ctx, options.Seed, ct);
        BenchSession Pass(LabPipeline l, string reportsDir, TimingOptions t, Func<Results.RunResults, string, Results.RunResults>? finishing) =>
            new(l, ctx, options.Profile, reportsDir, options.Command, t) { Finishing = finishing };
        var outcome = options.Timing.Latency is { } latency
            ? await LatencySweep.RunAsync(lab, ctx, latency, options.ReportsDir, options.Timing, Pass, options.Scenarios, ct)
            : await Pass(lab, options.ReportsDir, options.Timing, null).RunAsync(options.Scenarios, ct);
        TerminalSummary.Print(outcome.Results, ctx.Out);
        foreach (var line in Reports.MarkdownReport.ModelCheck(outcome.Results))
        {
            ctx.Out.WriteLine($"latency: the round-trip model {line}");
        }

        ctx.Out.WriteLine($"report: {Path.Combine(outcome.RunFolder, "report.md")}");
        var verified = ExitCodes.If(outcome.VerificationFailed, Ending.VerificationFailed);
        if (options.Baseline is not { } baseline)
        {
            return ExitCodes.Code(verified);
        }

        var compared = BaselineComparison.CompareAndReport(baseline, outcome.Results, outcome.RunFolder, ctx);
        return Math.Max(ExitCodes.Code(verified), compared);
    }
}
