using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Perfolizer.Horology;
using QueryLab.Seed;

namespace QueryLab.Bench.Timing;

/// <summary>
/// How hard to time: <c>smoke</c> runs each variant once (a dry run, for tests), <c>ci</c> takes enough
/// iterations for a stable median in a few minutes, <c>release</c> is BenchmarkDotNet's default accuracy.
/// Benchmarks run in-process: the server, the seeded data and the prepared parameter sets are set up once
/// per run, not once per benchmark case.
/// </summary>
public sealed record BenchProfile(string Name, string Description, Job Job)
{
    public static BenchProfile Smoke { get; } = new(
        "smoke",
        "each variant once (BenchmarkDotNet's Dry job): proves the catalog runs, times nothing worth comparing",
        Job.Dry.WithToolchain(InProcessEmitToolchain.DontLogOutput).WithId("smoke"));

    public static BenchProfile Ci { get; } = CiWith(15);

    public static BenchProfile Release { get; } = new(
        "release",
        "BenchmarkDotNet's default accuracy (adaptive warm-up and iteration counts until the error is small)",
        Job.Default.WithToolchain(InProcessEmitToolchain.DontLogOutput).WithId("release"));

    public static IReadOnlyList<BenchProfile> All { get; } = [Smoke, Ci, Release];

    public static BenchProfile Parse(string name) =>
        All.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw LabException.BadInput($"unknown profile '{name}'; available profiles are: {string.Join(", ", All.Select(p => p.Name))}");

    /// <summary>The same profile with another number of measured iterations (what each round of <c>querylab ab</c> takes).</summary>
    public BenchProfile WithIterations(int iterations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 2);
        return Name == Ci.Name
            ? CiWith(iterations)
            : this with
            {
                Description = $"{Description}, with {iterations} measured iterations",
                Job = Job.WithIterationCount(iterations).WithId(Name),
            };
    }

    private static BenchProfile CiWith(int iterations) => new(
        "ci",
        $"1 launch, 3 warm-up and {iterations} measured iterations of ~100 ms each per variant: a stable median in minutes",
        Job.Default
            .WithToolchain(InProcessEmitToolchain.DontLogOutput)
            .WithLaunchCount(1)
            .WithWarmupCount(3)
            .WithIterationCount(iterations)
            .WithIterationTime(TimeInterval.FromMilliseconds(100))
            .WithId("ci"));

    public bool CountsAreMeaningful => Job.Run.RunStrategy != RunStrategy.ColdStart;
}
