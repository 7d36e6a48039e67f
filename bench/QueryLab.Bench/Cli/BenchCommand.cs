using System.CommandLine;
using System.Globalization;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Latency;
using QueryLab.Bench.Pipeline;
using QueryLab.Bench.Timing;
using QueryLab.Seed;
using QueryLab.Seed.Seeding;

namespace QueryLab.Bench.Cli;

/// <summary><c>querylab bench</c> and the options it shares with <c>run</c>, read once into <see cref="MeasureOptions"/>.</summary>
public static class BenchCommand
{
    public static readonly CheckedOption<Written<BenchProfile>> Profile = new("--profile", ProfileNamed, BenchProfile.All.Select(p => p.Name), "-p")
    {
        Description = "smoke (each variant once, for tests), ci (2 rounds of 8 paired iterations; more for a variant whose × raw is unsure with --tighten) or release (3 rounds of 12: tighter intervals).",
        DefaultValueFactory = _ => ProfileNamed(BenchProfile.Ci.Name),
    };

    public static readonly Option<string?> Baseline = new("--baseline", "-b")
    {
        Description = "After the run, compare it with this baseline as `querylab compare` does (a run folder, its results.json, or a saved baseline's name): compare.md in the new run folder, exit 1 on a regression, 2 when the runs cannot be compared.",
    };

    public static readonly CheckedOption<int?> Iterations = new("--iterations", t => CheckIterations(Count("--iterations", t, "a count between 2 and 1000")))
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

    public static readonly CheckedOption<string> InjectAt = new("--inject-at", InjectionPlace, SlowdownInjection.Places)
    {
        Description = "Where an injected delay is spent: server (a busy wait inside the server before each of the variant's statements, where a slower query spends it; needs the querylab_spin module: a local server, a superuser, pg_config and cc), client (a busy wait in this process before each operation), or auto (server when it can be had, else client).",
        DefaultValueFactory = _ => SlowdownInjection.Auto,
    };

    public static readonly CheckedOption<Tightening?> Tighten = new("--tighten", t => Tightening.Parse(t))
    {
        Description = "The widest 95% interval of × raw (upper ÷ lower) to leave a variant with: after the profile's rounds, a variant whose interval is wider gets more rounds, while the profile's time for them lasts (release by default: 1.08, the time again; ci only when given, e.g. 1.12: half the time again); off: the profile's rounds only.",
    };

    public static readonly Option<bool> Fidelity = new("--fidelity")
    {
        Description = "After each variant is timed, run the same operations in a plain async loop (as an application, or `querylab load`, runs them) and report bench ÷ loop: the check that bench times the operation, not the harness.",
    };

    public static readonly CheckedOption<LatencyOptions?> Latency = new("--latency", t => LatencyOptions.Parse(t))
    {
        Description = "Measure through QueryLab's latency relay, which adds this round-trip time to every connection (half each way): 0.5ms, 2ms, 500us; "
            + "or a sweep, 0,0.5ms,1ms,5ms: one pass per round-trip time, merged into one run folder (the first is the run's own; the others under latency/).",
    };

    /// <summary>A profile by name (case-insensitive), written as its name; exit 2 with the profiles otherwise.</summary>
    private static Written<BenchProfile> ProfileNamed(string name)
    {
        var p = BenchProfile.Parse(name);
        return new(p, p.Name);
    }

    /// <summary>One of <see cref="SlowdownInjection.Places"/> (case-insensitive); exit 2 naming them otherwise.</summary>
    private static string InjectionPlace(string text) =>
        SlowdownInjection.Places.FirstOrDefault(p => p.Equals(text.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw LabException.BadInput($"--inject-at '{text}' is none of {string.Join(", ", SlowdownInjection.Places)}; write one of them (auto: server when it can be had, else client)");

    /// <summary>A whole number given to <paramref name="option"/>, or exit 2 saying what it should be.</summary>
    public static int Count(string option, string text, string what) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw LabException.BadInput($"{option} '{text}' is not a whole number; give {what}");

    /// <summary>The options that shape the timing of a measuring verb (bench, run).</summary>
    public static void AddTimingOptions(Command cmd)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        cmd.Options.Add(Iterations);
        cmd.Options.Add(Tighten);
        cmd.Options.Add(NoProfile);
        cmd.Options.Add(InjectDelay);
        cmd.Options.Add(InjectAt);
        cmd.Options.Add(Fidelity);
        cmd.Options.Add(Latency);
        cmd.Options.Add(CommonOptions.StatementLimit);
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

    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("bench", "Verify, then time every variant with BenchmarkDotNet on the seeded database, and write reports/<run-id>/.");
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(Profile);
        cmd.Options.Add(CommonOptions.Reports);
        AddTimingOptions(cmd);
        AddCompareOptions(cmd);
        cmd.SetAction((pr, ct) => Measurement.RunAsync(Options(pr, ctx, seed: null), ctx, ct));
        return cmd;
    }

    /// <summary>
    /// A measuring verb's options, checked in the order a user meets them: the scenarios, the timing (--iterations against
    /// the profile, --inject-delay against the scenarios), the seed of `run`, the baseline (read now, so a missing or corrupt
    /// one costs no run, and reports/latest is the run before this one), the reports folder.
    /// </summary>
    public static MeasureOptions Options(ParseResult pr, LabContext ctx, Func<ParseResult, SeedRequest>? seed)
    {
        ArgumentNullException.ThrowIfNull(pr);
        var scenarios = ScenarioOptions.Selected(pr).Scenarios;
        var profile = pr.GetValue(Profile)!.Value;
        var iterations = pr.GetValue(Iterations);
        if (iterations is { } n)
        {
            if (!profile.CountsAreMeaningful)
            {
                throw LabException.BadInput($"--iterations does not apply to the '{profile.Name}' profile, which runs each variant once; use --profile ci or release");
            }

            profile = profile.WithIterations(n);
        }

        if (pr.GetValue(Tighten) is { } tighten)
        {
            profile = tighten.On(profile);
        }

        var delays = TimingOptions.ParseDelays(pr.GetValue(InjectDelay) ?? [], scenarios);
        var timing = new TimingOptions(iterations, !pr.GetValue(NoProfile), delays) { LoopCheck = pr.GetValue(Fidelity), InjectAt = pr.GetValue(InjectAt)!, Latency = pr.GetValue(Latency) };
        var request = seed?.Invoke(pr);
        var baseline = pr.GetValue(Baseline) is { Length: > 0 } b ? CompareCommand.ReadBaseline(pr, b, ctx) : null;
        return new MeasureOptions(CommonOptions.Limited(CommonOptions.Server(pr, ctx), pr), request, scenarios, profile, timing, baseline, CommonOptions.ReportsDir(pr, ctx), CommonOptions.CommandLine(pr));
    }
}
