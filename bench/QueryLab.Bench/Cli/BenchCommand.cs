using System.CommandLine;
using QueryLab.Bench.Compare;
using QueryLab.Bench.Exits;
using QueryLab.Bench.Latency;
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
        Description = "smoke (each variant once, for tests), ci (2 rounds of 8 paired iterations: a stable × raw in minutes) or release (3 rounds of 12: tighter intervals).",
        DefaultValueFactory = _ => "ci",
    };

    public static readonly Option<string?> Reports = new("--reports")
    {
        Description = "The folder runs are written to (default: the repository's reports/).",
    };

    public static readonly Option<string?> Baseline = new("--baseline", "-b")
    {
        Description = "After the run, compare it with this baseline as `querylab compare` does (a run folder, its results.json, or a saved baseline's name): compare.md in the new run folder, exit 1 on a regression, 2 when the runs cannot be compared.",
    };

    public static readonly Option<int?> Iterations = new("--iterations")
    {
        Description = "Measured iterations per variant instead of the profile's (the ci profile takes 16: 2 rounds of 8); `querylab ab` gives each round its share.",
    };

    public static readonly Option<bool> NoProfile = new("--no-profile")
    {
        Description = "Time only: skip the profiling pass (statements, round trips, plans, findings); compare then has only time to judge.",
    };

    public static readonly Option<string[]> InjectDelay = new("--inject-delay")
    {
        Description = "Calibration: add a busy-CPU delay to every operation of a variant, scenario/variant=delay (25us, 1.5ms, or 10% of its warm-up median; variant * for all), "
            + "to find the smallest slowdown `compare` catches on this machine; --inject-at says where it is spent. Recorded in results.json; never use it for a real measurement.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string> InjectAt = CreateInjectAt();

    private static Option<string> CreateInjectAt()
    {
        var o = new Option<string>("--inject-at")
        {
            Description = "Where an injected delay is spent: server (a busy wait inside the server before each of the variant's statements, where a slower query spends it; needs the querylab_spin module: a local server, a superuser, pg_config and cc), client (a busy wait in this process before each operation), or auto (server when it can be had, else client).",
            DefaultValueFactory = _ => SlowdownInjection.Auto,
        };
        o.AcceptOnlyFromAmong(SlowdownInjection.Places);
        return o;
    }

    public static readonly Option<bool> Fidelity = new("--fidelity")
    {
        Description = "After each variant is timed, run the same operations in a plain async loop (as an application, or `querylab load`, runs them) and report bench ÷ loop: the check that bench times the operation, not the harness.",
    };

    public static readonly Option<string?> Latency = new("--latency")
    {
        Description = "Measure through QueryLab's latency relay, which adds this round-trip time to every connection (half each way): 0.5ms, 2ms, 500us; "
            + "or a sweep, 0,0.5ms,1ms,5ms: one pass per round-trip time, merged into one run folder (the first is the run's own; the others under latency/).",
    };

    /// <summary>--latency of the verbs that run at one round-trip time (verify, explain, load).</summary>
    public static readonly Option<string?> SingleLatency = new("--latency")
    {
        Description = "Run through QueryLab's latency relay, which adds this round-trip time to every connection (half each way): 0.5ms, 2ms, 500us.",
    };

    /// <summary>The options that shape the timing of a measuring verb (bench, run).</summary>
    public static void AddTimingOptions(Command cmd)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        cmd.Options.Add(Iterations);
        cmd.Options.Add(NoProfile);
        cmd.Options.Add(InjectDelay);
        cmd.Options.Add(InjectAt);
        cmd.Options.Add(Fidelity);
        cmd.Options.Add(Latency);
    }

    /// <summary>The profile as --profile and --iterations make it, and the rest of the timing options, checked.</summary>
    public static (BenchProfile Profile, TimingOptions Options) Timing(ParseResult pr, IReadOnlyList<Queries.Catalog.IScenario> scenarios)
    {
        ArgumentNullException.ThrowIfNull(pr);
        var profile = BenchProfile.Parse(pr.GetValue(Profile)!);
        var iterations = pr.GetValue(Iterations);
        if (iterations is { } n)
        {
            CheckIterations(n);

            if (!profile.CountsAreMeaningful)
            {
                throw LabException.BadInput($"--iterations does not apply to the '{profile.Name}' profile, which runs each variant once; use --profile ci or release");
            }

            profile = profile.WithIterations(n);
        }

        var delays = TimingOptions.ParseDelays(pr.GetValue(InjectDelay) ?? [], scenarios);
        return (profile, new TimingOptions(iterations, !pr.GetValue(NoProfile), delays) { LoopCheck = pr.GetValue(Fidelity), InjectAt = pr.GetValue(InjectAt)!, Latency = LatencyOptions.Parse(pr.GetValue(Latency)) });
    }

    /// <summary>Exit 2 unless --iterations is a count the time test can use (bench, and each round of ab).</summary>
    public static int CheckIterations(int n) =>
        n is >= 2 and <= 1000 ? n : throw LabException.BadInput($"--iterations must be between 2 and 1000 (got {n}); the time test needs at least 2 per run");

    /// <summary>--baseline and the options of `compare` that go with it, on a measuring verb.</summary>
    public static void AddCompareOptions(Command cmd)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        cmd.Options.Add(Baseline);
        cmd.Options.Add(CompareCommand.ThresholdTime);
        cmd.Options.Add(CompareCommand.ThresholdCounters);
        cmd.Options.Add(CompareCommand.Alpha);
        cmd.Options.Add(BaselineCommand.Baselines);
    }

    public static Command Create(CliContext ctx)
    {
        var cmd = new Command("bench", "Verify, then time every variant with BenchmarkDotNet on the seeded database, and write reports/<run-id>/.");
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(Profile);
        cmd.Options.Add(Reports);
        AddTimingOptions(cmd);
        AddCompareOptions(cmd);
        cmd.SetAction(async (pr, ct) =>
        {
            var scenarios = ScenarioOptions.Select(pr);
            var (profile, options) = Timing(pr, scenarios);
            var baseline = ReadBaseline(pr, ctx);
            RunFolder.CheckWritable(ReportsDir(pr, ctx));
            var choice = ServerChoice.Resolve(pr.GetValue(CommonOptions.Connection), ctx);
            await using var lab = await LabPipeline.OpenAsync(choice, ctx, seed: null, ct);
            return await MeasureAsync(lab, ctx, pr, scenarios, profile, options, baseline, ct);
        });
        return cmd;
    }

    public static string ReportsDir(ParseResult pr, CliContext ctx) =>
        pr.GetValue(Reports) is { Length: > 0 } r ? Path.GetFullPath(r, ctx.WorkingDirectory) : Path.Combine(ctx.RepositoryRoot, "reports");

    /// <summary>
    /// The baseline of --baseline, read before anything is measured, so a missing or corrupt one costs no run
    /// (and a baseline of reports/latest is the run before this one, not the copy this run puts there).
    /// </summary>
    public static (RunResults Baseline, string Path, CompareSettings Settings)? ReadBaseline(ParseResult pr, CliContext ctx)
    {
        ArgumentNullException.ThrowIfNull(pr);
        return pr.GetValue(Baseline) is { Length: > 0 } b ? CompareCommand.ReadBaseline(pr, b, ctx) : null;
    }

    /// <summary>
    /// Times and profiles the scenarios and writes the run folder; then, with a baseline, compares the new run with it.
    /// Exit 1 when a scenario failed verification or the comparison found a regression; 2 (thrown) when the runs cannot be compared.
    /// </summary>
    public static async Task<int> MeasureAsync(LabPipeline lab, CliContext ctx, ParseResult pr, IReadOnlyList<Queries.Catalog.IScenario> scenarios, BenchProfile profile, TimingOptions options, (RunResults Baseline, string Path, CompareSettings Settings)? baseline, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(lab);
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(pr);
        var command = "querylab " + string.Join(' ', pr.Tokens.Select(t => Seed.Server.ConnectionStrings.Redact(t.Value)));
        BenchSession Pass(LabPipeline l, string reportsDir, TimingOptions o, Func<RunResults, string, RunResults>? finishing) =>
            new(l, ctx, profile, reportsDir, command, o) { Finishing = finishing };
        var outcome = options.Latency is { } latency
            ? await LatencySweep.RunAsync(lab, ctx, latency, ReportsDir(pr, ctx), options, Pass, scenarios, ct)
            : await Pass(lab, ReportsDir(pr, ctx), options, null).RunAsync(scenarios, ct);
        TerminalSummary.Print(outcome.Results, ctx.Out);
        ctx.Out.WriteLine($"report: {Path.Combine(outcome.RunFolder, "report.md")}");
        var verified = ExitCodes.If(outcome.VerificationFailed, Ending.VerificationFailed);
        if (baseline is not { } b)
        {
            return ExitCodes.Code(verified);
        }

        var compared = CompareCommand.CompareAndReport(b.Baseline, b.Path, outcome.Results, outcome.RunFolder, b.Settings, ctx);
        return Math.Max(ExitCodes.Code(verified), compared);
    }
}
