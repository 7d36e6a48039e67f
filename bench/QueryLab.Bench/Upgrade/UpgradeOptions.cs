using QueryLab.Bench.Compare;
using QueryLab.Bench.Timing;
using QueryLab.Queries.Catalog;
using QueryLab.Seed.Seeding;

namespace QueryLab.Bench.Upgrade;

/// <summary>
/// <c>querylab upgrade</c>'s options, parsed and checked once by the command line (<c>Cli/UpgradeCommand</c>) before any
/// binary is fetched or cluster started; the room receives nothing else of the parser.
/// </summary>
/// <param name="Majors">The PostgreSQL majors, two or more, distinct, oldest first; each newer one is compared with the oldest.</param>
/// <param name="BinDirs">--pg-bin: a folder of server binaries per major (checked to be that major when it is probed); the others are downloaded.</param>
/// <param name="Dataset">The scale and seed every major's cluster is seeded with.</param>
/// <param name="ScenarioPattern">--scenario as given (already checked to match), or null for the whole catalog.</param>
/// <param name="Scenarios">The scenarios it selects.</param>
/// <param name="Profile">How long the two majors are interleaved (smoke: a few slices per variant; ci; release).</param>
/// <param name="Compare">The thresholds and α of the comparison.</param>
/// <param name="ReportsDir">Where the upgrade's run folder is written (checked writable).</param>
/// <param name="Command">The command line as upgrade.json records it.</param>
public sealed record UpgradeOptions(
    IReadOnlyList<int> Majors,
    IReadOnlyDictionary<int, string> BinDirs,
    SeedRequest Dataset,
    string? ScenarioPattern,
    IReadOnlyList<IScenario> Scenarios,
    BenchProfile Profile,
    CompareSettings Compare,
    string ReportsDir,
    string Command)
{
    /// <summary>
    /// How the two majors' workers are interleaved: ab's duet (16 pairs of ~30 ms, up to 48 while undecided) for ci, more
    /// and longer slices for release, and 8 pairs of ~5 ms for smoke (enough for an exact 99% interval; proves the path).
    /// </summary>
    public DuetSettings Duet => Profile.Name switch
    {
        "smoke" => new DuetSettings(Pairs: 8, TimeSpan.FromMilliseconds(5), Compare.TimeThreshold / 2, 1 - Compare.Alpha, MaxPairs: 8),
        "release" => new DuetSettings(Pairs: 24, TimeSpan.FromMilliseconds(50), Compare.TimeThreshold / 2, 1 - Compare.Alpha, MaxPairs: 72),
        _ => Ab.AbRun.DuetSettings(Compare),
    };
}
