using QueryLab.Bench.Compare;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Timing;
using QueryLab.Seed.Seeding;

namespace QueryLab.Bench.Ab;

/// <summary>
/// <c>querylab ab</c>'s options, parsed and checked once by the command line (<c>Cli/AbCommand</c>); the room receives
/// nothing else of the parser.
/// </summary>
/// <param name="BaseRef">The git ref whose QueryLab is the baseline, as the user wrote it.</param>
/// <param name="Rounds">Rounds of base + head, at least 1.</param>
/// <param name="Profile">The benchmark profile both sides run.</param>
/// <param name="ScenarioPattern">--scenario as given (already checked to match a scenario), or null for the whole catalog.</param>
/// <param name="IterationsPerRound">Measured iterations per variant and round, or null to let the profile decide.</param>
/// <param name="InjectDelays">--inject-delay values (checked), passed to the head's rounds only.</param>
/// <param name="Dataset">The scale and seed both sides seed their own database with.</param>
/// <param name="Compare">The thresholds and α of the comparison.</param>
/// <param name="ReportsDir">Where the merged run is written (checked writable).</param>
/// <param name="Command">The command line as results.json records it, passwords redacted.</param>
/// <param name="Server">The server both sides get a database on.</param>
public sealed record AbOptions(
    string BaseRef,
    int Rounds,
    BenchProfile Profile,
    string? ScenarioPattern,
    int? IterationsPerRound,
    IReadOnlyList<string> InjectDelays,
    SeedRequest Dataset,
    CompareSettings Compare,
    string ReportsDir,
    string Command,
    ServerChoice Server)
{
    /// <summary>--inject-at: where the head's injected delays are spent.</summary>
    public string InjectAt { get; init; } = Timing.SlowdownInjection.Auto;
}
