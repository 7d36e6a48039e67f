using QueryLab.Bench.Compare;
using QueryLab.Bench.Results;
using QueryLab.Bench.Timing;
using QueryLab.Seed;
using QueryLab.Seed.Seeding;
using QueryLab.Seed.Server;

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
    string Command)
{
    /// <summary>--inject-at: where the head's injected delays are spent.</summary>
    public string InjectAt { get; init; } = Timing.SlowdownInjection.Auto;
}

/// <summary>Compares the merged base (baseline) and head (candidate) runs, writes compare.md/json and prints the verdict; returns 0 or 1.</summary>
public delegate int AbCompare(RunResults baseline, string baselinePath, RunResults candidate, string candidatePath, CompareSettings settings, CompareScope scope);

/// <summary>
/// What the room is given by the command line that wires it: where it writes, what an interrupt reports, the repository,
/// how the server is opened, and how two runs are compared and reported (as <c>querylab compare</c> does).
/// </summary>
public sealed record AbHost(
    TextWriter Out,
    TextWriter Err,
    WorkInProgress Work,
    string RepositoryRoot,
    Func<CancellationToken, Task<LabServer>> OpenServer,
    AbCompare CompareAndReport,
    Func<string, string> Display);
