using System.CommandLine;
using QueryLab.Bench.Ab;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Results;
using QueryLab.Bench.Timing;
using QueryLab.Seed;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Cli;

/// <summary>
/// <c>querylab ab</c>'s wiring: its options, checked once into <see cref="AbOptions"/> before anything is built or opened,
/// and what the room needs of the command line (<see cref="AbHost"/>). The A/B itself is <see cref="AbRun"/>.
/// </summary>
public static class AbCommand
{
    public static readonly Option<string> BaseRef = new("--base-ref")
    {
        Description = "The git ref (branch, tag, commit, origin/main…) whose QueryLab is the baseline.",
        Required = true,
    };

    public static readonly Option<int> Rounds = new("--rounds")
    {
        Description = "How many rounds of base + head to run, alternating which goes first.",
        DefaultValueFactory = _ => 3,
    };

    public static Command Create(LabContext ctx)
    {
        var cmd = new Command(
            "ab",
            "Same-runner A/B: build --base-ref in a temporary worktree, give base and head a database each on the same server, seeded by their own builds "
            + "with the same --scale and --seed, run their benches interleaved for --rounds rounds, merge the rounds and compare what stays comparable "
            + "(exit 0, 1 on a regression, 2 when it cannot compare).");
        cmd.Options.Add(BaseRef);
        cmd.Options.Add(SeedCommand.ScaleOption);
        cmd.Options.Add(SeedCommand.SeedOption);
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(BenchCommand.Profile);
        cmd.Options.Add(Rounds);
        cmd.Options.Add(BenchCommand.Iterations);
        cmd.Options.Add(BenchCommand.InjectDelay);
        cmd.Options.Add(BenchCommand.Reports);
        cmd.Options.Add(CompareCommand.ThresholdTime);
        cmd.Options.Add(CompareCommand.ThresholdCounters);
        cmd.Options.Add(CompareCommand.Alpha);
        cmd.SetAction((pr, ct) => new AbRun(Options(pr, ctx), Host(pr, ctx)).RunAsync(ct));
        return cmd;
    }

    /// <summary>Everything that can be checked without git, a build or a server, checked first.</summary>
    private static AbOptions Options(ParseResult pr, LabContext ctx)
    {
        var rounds = pr.GetValue(Rounds);
        if (rounds < 1)
        {
            throw LabException.BadInput($"--rounds must be at least 1 (got {rounds}); 3 or more give the time test enough measurements");
        }

        var profile = BenchProfile.Parse(pr.GetValue(BenchCommand.Profile)!);
        var selected = ScenarioOptions.Select(pr);
        var delays = pr.GetValue(BenchCommand.InjectDelay) ?? [];
        _ = TimingOptions.ParseDelays(delays, selected);
        var perRound = IterationsPerRound(profile, rounds, pr.GetValue(BenchCommand.Iterations));
        var settings = CompareCommand.Settings(pr);
        var dataset = SeedCommand.Request(pr);
        var reports = BenchCommand.ReportsDir(pr, ctx);
        RunFolder.CheckWritable(reports);
        return new AbOptions(
            pr.GetValue(BaseRef)!,
            rounds,
            profile,
            pr.GetValue(ScenarioOptions.Scenario),
            perRound,
            delays,
            dataset,
            settings,
            reports,
            "querylab " + string.Join(' ', pr.Tokens.Select(t => ConnectionStrings.Redact(t.Value))));
    }

    private static AbHost Host(ParseResult pr, LabContext ctx) => new(
        ctx.Out,
        ctx.Err,
        ctx.Work,
        ctx.RepositoryRoot,
        ct => LabSession.OpenAsync(ServerChoice.Resolve(pr.GetValue(CommonOptions.Connection), ctx), ctx, keepRunning: false, ct),
        (baseline, baselinePath, candidate, candidatePath, settings, scope) =>
            CompareCommand.CompareAndReport(baseline, baselinePath, candidate, candidatePath, settings, ctx, scope),
        path => BaselineCommand.Display(path, ctx));

    /// <summary>
    /// Each round's share of the profile's measured iterations (--iterations when given), so that a side's rounds
    /// together take what one run of the profile takes; null for the smoke profile, which runs each variant once.
    /// </summary>
    public static int? IterationsPerRound(BenchProfile profile, int rounds, int? requested) =>
        requested is { } r ? BenchCommand.CheckIterations(r) : AbPlan.IterationsPerRound(profile, rounds);
}
