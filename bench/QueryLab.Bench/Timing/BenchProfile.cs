using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;
using QueryLab.Seed;

namespace QueryLab.Bench.Timing;

/// <summary>
/// How hard to time. A profile is a number of <em>rounds</em>: in each round every variant of a scenario is timed for
/// <see cref="IterationsPerRound"/> short iterations, one variant after another in a rotating order, so a variant and its
/// baseline are measured seconds apart and their ratio is taken round by round (<see cref="PairedRatio"/>).
/// <c>smoke</c> runs each variant once (a dry run, for tests); <c>ci</c> takes 2 rounds of 8 iterations of ~60 ms;
/// <c>release</c> 3 rounds of 12 iterations of ~100 ms. Benchmarks run in-process: the server, the seeded data and the
/// prepared parameter sets are set up once per run, not once per benchmark case.
/// </summary>
public sealed record BenchProfile(string Name, string Description, Job Job, int Rounds, int IterationsPerRound, TimeSpan IterationTime)
{
    public static BenchProfile Smoke { get; } = new(
        "smoke",
        "each variant once (BenchmarkDotNet's Dry job): proves the catalog runs, times nothing worth comparing",
        Job.Dry.WithToolchain(InProcessEmitToolchain.DontLogOutput).WithId("smoke"),
        Rounds: 1,
        IterationsPerRound: 1,
        IterationTime: TimeSpan.Zero);

    // ci gives no extra rounds unless asked (--tighten 1.12): five runs with and five without, interleaved on one host
    // (2026-12-02 03:37–04:23), spread × raw alike from run to run (1.13 at the median variant either way) while the
    // extra rounds cost a quarter of the run; what moves × raw between runs is the host between them, not a run's own
    // interval. Its budget for them stays, for --tighten.
    public static BenchProfile Ci { get; } = Paired("ci", rounds: 2, perRound: 8, TimeSpan.FromMilliseconds(60), "a stable × raw in minutes; --tighten 1.12 gives a variant whose × raw interval is wider up to 4 more rounds, in at most half the time again")
        with { TightenTo = null, TightenBudget = 0.5, MostExtraRounds = 4 };

    public static BenchProfile Release { get; } = Paired("release", rounds: 3, perRound: 12, TimeSpan.FromMilliseconds(100), "tighter intervals, for a release decision; a variant whose × raw interval is wider than 1.08× gets up to 6 more rounds, in at most the time again")
        with { VariantBudget = TimeSpan.FromSeconds(60), TightenTo = 1.08, TightenBudget = 1.0, MostExtraRounds = 6 };

    public static IReadOnlyList<BenchProfile> All { get; } = [Smoke, Ci, Release];

    public static BenchProfile Parse(string name) =>
        All.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw LabException.BadInput($"unknown profile '{name}'; available profiles are: {string.Join(", ", All.Select(p => p.Name))}");

    /// <summary>
    /// The widest 95% interval of × raw (upper ÷ lower) a variant is left with when the time allows: after the profile's
    /// rounds, the variants whose interval is wider are timed again, round after round (<see cref="MostExtraRounds"/> at
    /// most, in at most <see cref="TightenBudget"/> of the rounds' time again), so that × raw is as sure in a noisy
    /// variant as in a quiet one and a second run finds it where the first did. Null: the profile's rounds and no more
    /// (smoke, and a run whose measured iterations were given with <c>--iterations</c>).
    /// </summary>
    public double? TightenTo { get; init; }

    /// <summary>The extra rounds' time as a share of the profile's rounds' time.</summary>
    public double TightenBudget { get; init; }

    /// <summary>How many extra rounds a variant may get.</summary>
    public int MostExtraRounds { get; init; }

    /// <summary>Measured iterations per variant in all.</summary>
    public int MeasuredIterations => Rounds * IterationsPerRound;

    /// <summary>
    /// How long a variant's measured iterations may take over all rounds (its baseline's slices around them not counted):
    /// a variant whose operation is slow at this scale gets fewer iterations per round, never fewer than
    /// <see cref="MinIterationsPerRound"/>. ci: 15 s; release: 60 s.
    /// </summary>
    public TimeSpan VariantBudget { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The fewest measured iterations per round a budget leaves a variant: 3, so ci's 2 rounds still give 6 pairs (the least a 95% interval of the paired ratio can be read from).</summary>
    public const int MinIterationsPerRound = 3;

    /// <summary>
    /// The measured iterations per round of a variant whose invocation (its operations per invoke together) takes
    /// <paramref name="invocationNs"/>: the profile's, or fewer when they would not fit in <see cref="VariantBudget"/>.
    /// </summary>
    public int IterationsFor(double invocationNs)
    {
        if (IterationsPerRound <= MinIterationsPerRound || !(invocationNs > 0) || Rounds == 0)
        {
            return IterationsPerRound;
        }

        var fit = (int)Math.Floor(VariantBudget.TotalNanoseconds / (Rounds * invocationNs));
        return Math.Clamp(fit, MinIterationsPerRound, IterationsPerRound);
    }

    /// <summary>
    /// The same profile with another number of measured iterations in all (what each round of <c>querylab ab</c> takes):
    /// two rounds of half as many when the count is even and at least 6, else one round of them all.
    /// </summary>
    public BenchProfile WithIterations(int iterations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 2);
        var rounds = iterations >= 6 && iterations % 2 == 0 ? 2 : 1;
        return Paired(Name, rounds, iterations / rounds, IterationTime, $"{iterations} measured iterations") with { VariantBudget = VariantBudget };
    }

    private static BenchProfile Paired(string name, int rounds, int perRound, TimeSpan iteration, string purpose) => new(
        name,
        $"{rounds} paired rounds of {perRound} iteration(s) of ~{iteration.TotalMilliseconds:0} ms per variant, the variants of a scenario one after another in each round: {purpose}",
        Job.Default
            .WithToolchain(InProcessEmitToolchain.DontLogOutput)
            .WithStrategy(RunStrategy.Monitoring) // no pilot, no jitting stage, no overhead: the invocation count is planned from the warm-up
            .WithLaunchCount(1)
            .WithWarmupCount(0) // the process is warm (bench's warm-up pass); each round's first iteration is measured like the rest
            .WithIterationCount(perRound)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .WithEvaluateOverhead(false) // an invocation lasts milliseconds; the cost of calling it is nanoseconds
            // No full collection before each iteration: it slowed the iteration that followed it, not only the client.
            // With it, operations whose time is the server's (a 1 ms LATERAL, a 12 ms GROUP BY, a deep OFFSET) measured
            // 12–75% above the same operations in a plain loop right after; without it, 269 of 275 within ±10% over five
            // full-catalog runs, and a ci pass is 10–25% shorter. Garbage is collected as the variant makes it, as in an application.
            .WithGcForce(false)
            .WithIterationTime(TimeInterval.FromMilliseconds(iteration.TotalMilliseconds))
            .WithId(name),
        rounds,
        perRound,
        iteration);

    public bool CountsAreMeaningful => Job.Run.RunStrategy != RunStrategy.ColdStart;
}

/// <summary><c>--tighten</c>: the widest × raw interval to leave a variant with (<see cref="BenchProfile.TightenTo"/>), or off (null).</summary>
public sealed record Tightening(double? To)
{
    public const double Narrowest = 1.01;
    public const double Widest = 2;

    public static Tightening Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().TrimEnd('×', 'x');
        if (t.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            return new Tightening((double?)null);
        }

        return double.TryParse(t, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var to) && to is >= Narrowest and <= Widest
            ? new Tightening(to)
            : throw LabException.BadInput($"--tighten '{text}' is not an interval width: give the widest × raw interval to leave, upper ÷ lower, from {Narrowest} to {Widest} (e.g. 1.12), or off");
    }

    /// <summary>The profile with this width; the extra rounds' time and count stay the profile's (ci's, when it had none: with --iterations).</summary>
    public BenchProfile On(BenchProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (!profile.CountsAreMeaningful)
        {
            throw LabException.BadInput($"--tighten does not apply to the '{profile.Name}' profile, which runs each variant once; use --profile ci or release");
        }

        var like = profile.MostExtraRounds > 0 ? profile : BenchProfile.Ci;
        return profile with { TightenTo = To, TightenBudget = like.TightenBudget, MostExtraRounds = like.MostExtraRounds };
    }
}
