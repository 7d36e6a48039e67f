using System.CommandLine;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;
using QueryLab.Bench.Timing;
using QueryLab.Seed;

namespace QueryLab.Bench.Cli;

/// <summary><c>querylab bench</c> and the options it shares with <c>run</c>.</summary>
public static class BenchCommand
{
    public static readonly Option<string> Profile = new("--profile", "-p")
    {
        Description = "smoke (each variant once, for tests), ci (short: a stable median in minutes) or release (BenchmarkDotNet's default accuracy).",
        DefaultValueFactory = _ => "ci",
    };

    public static readonly Option<string?> Reports = new("--reports")
    {
        Description = "The folder runs are written to (default: the repository's reports/).",
    };

    public static Command Create(CliContext ctx)
    {
        var cmd = new Command("bench", "Verify, then time every variant with BenchmarkDotNet on the seeded database, and write reports/<run-id>/.");
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(Profile);
        cmd.Options.Add(Reports);
        cmd.SetAction(async (pr, ct) =>
        {
            var scenarios = ScenarioOptions.Select(pr);
            var profile = BenchProfile.Parse(pr.GetValue(Profile)!);
            var choice = ServerChoice.Resolve(pr.GetValue(CommonOptions.Connection), ctx);
            await using var lab = await LabPipeline.OpenAsync(choice, ctx, seed: null, ct);
            return await MeasureAsync(lab, ctx, pr, scenarios, profile, "querylab bench", ct);
        });
        return cmd;
    }

    public static string ReportsDir(ParseResult pr, CliContext ctx) =>
        pr.GetValue(Reports) is { Length: > 0 } r ? Path.GetFullPath(r, ctx.WorkingDirectory) : Path.Combine(ctx.RepositoryRoot, "reports");

    public static async Task<int> MeasureAsync(LabPipeline lab, CliContext ctx, ParseResult pr, IReadOnlyList<Queries.Catalog.IScenario> scenarios, BenchProfile profile, string command, CancellationToken ct)
    {
        var session = new BenchSession(lab, ctx, profile, ReportsDir(pr, ctx), "querylab " + string.Join(' ', pr.Tokens.Select(t => Seed.Server.ConnectionStrings.Redact(t.Value))));
        var outcome = await session.RunAsync(scenarios, ct);
        TerminalSummary.Print(outcome.Results, ctx.Out);
        ctx.Out.WriteLine($"report: {Path.Combine(outcome.RunFolder, "report.md")}");
        return outcome.VerificationFailed ? (int)ExitCode.Failed : 0;
    }
}
