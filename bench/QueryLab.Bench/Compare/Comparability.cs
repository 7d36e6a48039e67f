using System.Globalization;
using QueryLab.Bench.Exits;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;
using QueryLab.Bench.Timing;
using QueryLab.Seed;

namespace QueryLab.Bench.Compare;

/// <summary>
/// Whether two runs measured the same thing. Another dataset (scale, seed, generator version, row counts),
/// another PostgreSQL major version or another benchmark profile makes every figure incomparable: refused.
/// Another machine, other plan settings or other table contents make the comparison weaker: warned.
/// A caller that judged the two datasets itself (<c>querylab ab</c>, table by table) says so, and they are then not checked here.
/// </summary>
public static class Comparability
{
    /// <summary>Memory sizes closer than this are the same machine type (VMs of one size differ by a few MB).</summary>
    private const double MemoryTolerance = 0.02;

    /// <exception cref="LabException">Exit 2, with every difference that makes the runs incomparable in one line.</exception>
    /// <param name="acrossMajors">The upgrade lab: the two runs are of two PostgreSQL majors on purpose, so that is not refused.</param>
    public static IReadOnlyList<string> Check(RunResults baseline, RunResults candidate, bool datasetJudged = false, bool acrossMajors = false)
    {
        var refusals = new List<string>();
        if (!datasetJudged)
        {
            Dataset(baseline.Dataset, candidate.Dataset, refusals);
        }

        if (baseline.Server.MajorVersion != candidate.Server.MajorVersion && !acrossMajors)
        {
            refusals.Add($"PostgreSQL {baseline.Server.MajorVersion} vs {candidate.Server.MajorVersion}");
        }

        if (!string.Equals(baseline.Profile.Name, candidate.Profile.Name, StringComparison.Ordinal))
        {
            refusals.Add($"profile {baseline.Profile.Name} vs {candidate.Profile.Name}");
        }

        if (baseline.RoundTripMs != candidate.RoundTripMs)
        {
            refusals.Add($"latency {Latency.LatencyOptions.Label(baseline.RoundTripMs)} vs {Latency.LatencyOptions.Label(candidate.RoundTripMs)} round trip (--latency)");
        }

        if (refusals.Count > 0)
        {
            throw new LabException(
                ExitCodes.Of(Ending.CannotCompare),
                $"cannot compare {candidate.RunId} with baseline {baseline.RunId}: {string.Join("; ", refusals)} (baseline vs candidate); "
                + "run the candidate with the baseline's dataset, server, profile and latency, or save a new baseline");
        }

        var warnings = new List<string>();
        Machine(baseline.Machine, candidate.Machine, warnings);
        Settings(baseline.Server.Settings, candidate.Server.Settings, warnings);
        if (!datasetJudged)
        {
            Checksums(baseline.Dataset, candidate.Dataset, warnings);
        }

        // pg_stats has other columns on other majors, so its fingerprints never agree across them (the upgrade lab analyzes every row instead).
        if (!acrossMajors && PlannerStatistics.Differing(baseline.Dataset, candidate.Dataset) is { Count: > 0 } stats)
        {
            warnings.Add(
                $"the planner statistics differ ({string.Join(", ", stats)}): the two runs were made on separate seedings or after another ANALYZE, which samples rows at random, "
                + "so a statement near a plan choice (a prepared statement's generic plan, a join order) may plan, and time, differently for that reason alone; compare runs made on one seeding");
        }

        Verification(baseline, "baseline", warnings);
        Verification(candidate, "candidate", warnings);
        Injected(baseline, "baseline", warnings);
        Injected(candidate, "candidate", warnings);
        Steal(baseline, "baseline", warnings);
        Steal(candidate, "candidate", warnings);
        return warnings;
    }

    private static void Steal(RunResults r, string side, List<string> warnings)
    {
        if (HostSteal.IsNoisy(r.StealPercent))
        {
            warnings.Add($"the {side} was timed while the host took {HostSteal.Percent(r.StealPercent!.Value)} of its machine's CPU time (steal): its times depend on the host's other guests, so a time change may be the host's — counters and plans still compare");
        }
    }

    private static void Injected(RunResults r, string side, List<string> warnings)
    {
        if (r.InjectedDelaysNs is { Count: > 0 } delays)
        {
            warnings.Add($"the {side} is a calibration run: delays were injected into {string.Join(", ", delays.Keys)} (bench --inject-delay)");
        }
    }

    private static void Dataset(DatasetInfo b, DatasetInfo c, List<string> refusals)
    {
        if (!string.Equals(b.Scale, c.Scale, StringComparison.Ordinal))
        {
            refusals.Add($"scale {b.Scale} vs {c.Scale}");
        }

        if (b.Seed != c.Seed)
        {
            refusals.Add($"seed {b.Seed} vs {c.Seed}");
        }

        if (!string.Equals(b.GeneratorVersion, c.GeneratorVersion, StringComparison.Ordinal))
        {
            refusals.Add($"generator version {b.GeneratorVersion} vs {c.GeneratorVersion}");
        }

        var tables = b.RowCounts.Keys.Union(c.RowCounts.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal);
        var rows = tables
            .Where(t => !b.RowCounts.TryGetValue(t, out var x) || !c.RowCounts.TryGetValue(t, out var y) || x != y)
            .Select(t => $"{t} {Rows(b.RowCounts, t)} vs {Rows(c.RowCounts, t)}")
            .ToList();
        if (rows.Count > 0)
        {
            refusals.Add("row counts " + string.Join(", ", rows));
        }
    }

    private static string Rows(IReadOnlyDictionary<string, long> counts, string table) =>
        counts.TryGetValue(table, out var n) ? Units.Count(n) : "absent";

    private static void Machine(MachineInfo b, MachineInfo c, List<string> warnings)
    {
        var diffs = new List<string>();
        if (b.Cores != c.Cores)
        {
            diffs.Add($"{b.Cores} vs {c.Cores} cores");
        }

        var larger = Math.Max(b.MemoryBytes, c.MemoryBytes);
        if (larger > 0 && Math.Abs(b.MemoryBytes - c.MemoryBytes) > MemoryTolerance * larger)
        {
            diffs.Add($"{Units.Bytes(b.MemoryBytes)} vs {Units.Bytes(c.MemoryBytes)} memory");
        }

        if (!string.Equals(b.Os, c.Os, StringComparison.Ordinal))
        {
            diffs.Add($"OS {b.Os} vs {c.Os}");
        }

        if (!string.Equals(b.Runtime, c.Runtime, StringComparison.Ordinal))
        {
            diffs.Add($"runtime {b.Runtime} vs {c.Runtime}");
        }

        if (diffs.Count > 0)
        {
            warnings.Add($"the runs were on different machines ({string.Join(", ", diffs)}; baseline vs candidate): time changes may be the machine's, not the code's — counters and plans still compare");
        }
    }

    private static void Settings(IReadOnlyDictionary<string, string> b, IReadOnlyDictionary<string, string> c, List<string> warnings)
    {
        var diffs = b.Keys.Union(c.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Where(k => !b.TryGetValue(k, out var x) || !c.TryGetValue(k, out var y) || !string.Equals(x, y, StringComparison.Ordinal))
            .Select(k => $"{k} {b.GetValueOrDefault(k) ?? "unset"} vs {c.GetValueOrDefault(k) ?? "unset"}")
            .ToList();
        if (diffs.Count > 0)
        {
            warnings.Add($"the servers' plan settings differ ({string.Join(", ", diffs)}; baseline vs candidate): a plan or buffer change may come from them");
        }
    }

    /// <summary>Same scale, seed and generator but other contents: a migration changed a table, or the data is not what the seed made.</summary>
    private static void Checksums(DatasetInfo b, DatasetInfo c, List<string> warnings)
    {
        var differ = b.TableChecksums.Keys.Intersect(c.TableChecksums.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Where(t => !string.Equals(b.TableChecksums[t], c.TableChecksums[t], StringComparison.Ordinal))
            .ToList();
        if (differ.Count > 0)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"the table checksums differ ({string.Join(", ", differ)}) although scale, seed, generator and row counts match: a migration changed those tables, or the data was altered after seeding"));
        }
    }

    private static void Verification(RunResults r, string which, List<string> warnings)
    {
        var failed = r.Scenarios.Where(s => !s.Verification.Passed).Select(s => s.Name).ToList();
        if (failed.Count > 0)
        {
            warnings.Add($"in the {which}, {string.Join(", ", failed)} failed verification, so {(failed.Count == 1 ? "its" : "their")} variants were not timed: see that run's report.md");
        }
    }
}
