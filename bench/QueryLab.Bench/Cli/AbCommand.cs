using System.CommandLine;
using QueryLab.Bench.Ab;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Timing;
using QueryLab.Seed;

namespace QueryLab.Bench.Cli;

/// <summary>
/// <c>querylab ab</c>'s wiring: its options, checked once into <see cref="AbOptions"/> before anything is built or opened.
/// The A/B itself is <see cref="AbRun"/>.
/// </summary>
public static class AbCommand
{
    public static readonly Option<string> BaseRef = new("--base-ref")
    {
        Description = "The git ref (branch, tag, commit, origin/main…) whose QueryLab is the baseline.",
        Required = true,
    };

    public static readonly CheckedOption<int> Rounds = new("--rounds", t => CheckRounds(BenchCommand.Count("--rounds", t, "at least 1; 3 or more give the time test enough measurements")))
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
        cmd.Options.Add(BenchCommand.InjectAt);
        cmd.Options.Add(CommonOptions.Reports);
        cmd.Options.Add(CompareCommand.ThresholdTime);
        cmd.Options.Add(CompareCommand.ThresholdCounters);
        cmd.Options.Add(CompareCommand.Alpha);
        cmd.SetAction((pr, ct) => new AbRun(Options(pr, ctx), ctx).RunAsync(ct));
        return cmd;
    }

    private static int CheckRounds(int rounds) =>
        rounds >= 1 ? rounds : throw LabException.BadInput($"--rounds must be at least 1 (got {rounds}); 3 or more give the time test enough measurements");

    /// <summary>Everything that can be checked without git, a build or a server, checked first.</summary>
    private static AbOptions Options(ParseResult pr, LabContext ctx)
    {
        var rounds = pr.GetValue(Rounds);
        var profile = pr.GetValue(BenchCommand.Profile)!.Value;
        var selected = ScenarioOptions.Selected(pr);
        var delays = pr.GetValue(BenchCommand.InjectDelay) ?? [];
        _ = TimingOptions.ParseDelays(delays, selected.Scenarios);
        var perRound = IterationsPerRound(profile, rounds, pr.GetValue(BenchCommand.Iterations));
        return new AbOptions(
            pr.GetValue(BaseRef)!,
            rounds,
            profile,
            selected.Pattern,
            perRound,
            delays,
            SeedCommand.Request(pr),
            CompareCommand.Settings(pr),
            CommonOptions.ReportsDir(pr, ctx),
            CommonOptions.CommandLine(pr),
            CommonOptions.Server(pr, ctx))
        {
            InjectAt = pr.GetValue(BenchCommand.InjectAt)!,
        };
    }

    /// <summary>
    /// Each round's share of the profile's measured iterations (--iterations when given), so that a side's rounds
    /// together take what one run of the profile takes; null for the smoke profile, which runs each variant once.
    /// </summary>
    public static int? IterationsPerRound(BenchProfile profile, int rounds, int? requested) =>
        requested is { } r ? BenchCommand.CheckIterations(r) : AbPlan.IterationsPerRound(profile, rounds);
}
