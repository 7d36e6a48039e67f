using QueryLab.Bench.Compare;
using QueryLab.Bench.Findings;
using QueryLab.Bench.Results;
using QueryLab.Bench.Timing;

namespace QueryLab.Bench.Upgrade;

/// <summary>
/// What one newer major changes against an older one, from the two majors' runs (verification, counters, plans, findings),
/// compare's report of the pair and the interleaved time: pure, two runs in, one <see cref="MajorPair"/> out.
/// </summary>
public static class UpgradeAnalysis
{
    /// <summary>How many items of one kind "look at these first" names before it says "and N more".</summary>
    private const int MostNamed = 12;

    public static MajorPair Pair(
        RunResults older, RunResults newer, CompareReport report, IReadOnlyDictionary<string, DuetResult> duets, (MajorRecord Older, MajorRecord Newer) servers,
        IReadOnlyList<SettingDifference> defaults, IReadOnlyList<string> labSettings, IReadOnlyList<TableAgreement> tables, string comparison)
    {
        ArgumentNullException.ThrowIfNull(older);
        ArgumentNullException.ThrowIfNull(newer);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(duets);
        var (o, n) = (older.Server.MajorVersion, newer.Server.MajorVersion);
        var variants = Variants(older, newer, duets);
        var statements = Statements(older, newer);
        var findings = Findings(older, newer);
        var counters = report.Regressions.Concat(report.Improvements)
            .Where(c => c.Kind == ChangeKind.Counter && c.Metric != "allocated bytes")
            .Select(c => $"{c.Scenario}/{c.Variant}: {c.Metric}{(c.Statement is null ? "" : " of a statement")} {c.BaselineText} → {c.CandidateText} ({c.ChangeText})")
            .ToList();
        var pair = new MajorPair
        {
            Older = o,
            Newer = n,
            Comparison = comparison,
            LookFirst = [],
            Variants = variants,
            Statements = statements,
            Findings = findings,
            Defaults = defaults,
            LabSettingDifferences = labSettings,
            CounterChanges = counters,
        };
        var lookFirst = LookFirst(pair, older, newer, tables);
        if (Builder(servers.Older.Build) != Builder(servers.Newer.Build))
        {
            lookFirst.Add(
                $"the two servers are other builds ({servers.Older.Version}: {Builder(servers.Older.Build)}; {servers.Newer.Version}: {Builder(servers.Newer.Build)}): "
                + "a time difference may be the build's (compiler, flags, libraries), not the major's; give both majors from the same source (leave out --pg-bin) for a like-for-like");
        }

        return pair with { LookFirst = lookFirst };
    }

    private static List<VariantAcross> Variants(RunResults older, RunResults newer, IReadOnlyDictionary<string, DuetResult> duets)
    {
        var list = new List<VariantAcross>();
        var before = older.Scenarios.SelectMany(s => s.Variants.Select(v => (s.Name, v))).ToDictionary(x => BenchmarkCases.Key(x.Name, x.v.Name), x => x.v, StringComparer.Ordinal);
        foreach (var s in newer.Scenarios)
        {
            foreach (var v in s.Variants)
            {
                var key = BenchmarkCases.Key(s.Name, v.Name);
                if (duets.GetValueOrDefault(key) is { } d)
                {
                    list.Add(new VariantAcross(
                        s.Name, v.Name, v.IsBaseline, d.AMedianNs, d.BMedianNs, d.Ratio.Ratio, d.Ratio.Lower, d.Ratio.Upper, d.Ratio.Pairs, d.Ratio.Confidence,
                        Verdict(d.Verdict), d.Why));
                }
                else
                {
                    var why = v.NotRun ?? before.GetValueOrDefault(key)?.NotRun ?? (before.ContainsKey(key) ? "not interleaved: a worker could not run it" : $"only PostgreSQL {newer.Server.MajorVersion} runs it");
                    list.Add(new VariantAcross(s.Name, v.Name, v.IsBaseline, null, null, null, null, null, 0, 0, "not timed", why));
                }
            }
        }

        return list;
    }

    /// <summary>"slower", "faster", "unchanged" or "not decided".</summary>
    public static string Verdict(DuetVerdict v) => v switch
    {
        DuetVerdict.Slower => "slower",
        DuetVerdict.Faster => "faster",
        DuetVerdict.Unchanged => "unchanged",
        _ => "not decided",
    };

    private static List<StatementAcross> Statements(RunResults older, RunResults newer)
    {
        var list = new List<StatementAcross>();
        var before = Profiles(older);
        foreach (var (key, profile) in Profiles(newer))
        {
            var (scenario, variant) = Split(key);
            var old = before.GetValueOrDefault(key);
            var oldStatements = old?.DistinctStatements.DistinctBy(s => s.Sql).ToDictionary(s => s.Sql, StringComparer.Ordinal) ?? [];
            foreach (var st in profile.DistinctStatements.DistinctBy(s => s.Sql))
            {
                var was = oldStatements.GetValueOrDefault(st.Sql);
                var (oShape, nShape) = (was?.Plan?.ShapeText, st.Plan?.ShapeText);
                var changed = was?.Plan is { } a && st.Plan is { } b && a.ShapeHash != b.ShapeHash;
                list.Add(new StatementAcross(scenario, variant, st.Sql, oShape, nShape, was?.Plan?.ShapeHash, st.Plan?.ShapeHash, changed, changed ? PlanDiffLines.Between(oShape!, nShape!) : []));
            }
        }

        return list;
    }

    private static List<FindingAcross> Findings(RunResults older, RunResults newer)
    {
        var list = new List<FindingAcross>();
        var before = Profiles(older);
        var after = Profiles(newer);
        foreach (var key in after.Keys.Where(before.ContainsKey))
        {
            var (scenario, variant) = Split(key);
            var o = before[key].Findings;
            var n = after[key].Findings;
            static string Id(FindingRecord f) => f.Code + "\u0001" + f.Where;
            var oIds = o.Select(Id).ToHashSet(StringComparer.Ordinal);
            var nIds = n.Select(Id).ToHashSet(StringComparer.Ordinal);
            list.AddRange(n.Where(f => !oIds.Contains(Id(f))).DistinctBy(Id).Select(f => new FindingAcross(scenario, variant, f.Code, f.Where, "appears", f.Message, FromTimings(f.Code))));
            list.AddRange(o.Where(f => !nIds.Contains(Id(f))).DistinctBy(Id).Select(f => new FindingAcross(scenario, variant, f.Code, f.Where, "disappears", f.Message, FromTimings(f.Code))));
        }

        return list;
    }

    /// <summary>Findings raised from the time shares of one EXPLAIN ANALYZE: they vary between two runs on one server.</summary>
    public static bool FromTimings(string code) =>
        code is FindingCodes.HotNode or FindingCodes.PlanningShare or FindingCodes.JitShare;

    private static Dictionary<string, ProfileRecord> Profiles(RunResults r) =>
        r.Scenarios.SelectMany(s => s.Variants.Where(v => v.Profile is not null).Select(v => (Key: BenchmarkCases.Key(s.Name, v.Name), v.Profile!)))
            .DistinctBy(x => x.Key)
            .ToDictionary(x => x.Key, x => x.Item2, StringComparer.Ordinal);

    private static (string Scenario, string Variant) Split(string key)
    {
        var i = key.IndexOf('/', StringComparison.Ordinal);
        return (key[..i], key[(i + 1)..]);
    }

    /// <summary>The changes a reviewer must read, most consequential first: wrong answers, other data, other plans, other times, other work, new findings, planner defaults.</summary>
    private static List<string> LookFirst(MajorPair p, RunResults older, RunResults newer, IReadOnlyList<TableAgreement> tables)
    {
        var items = new List<string>();
        foreach (var (run, major) in new[] { (older, p.Older), (newer, p.Newer) })
        {
            var failed = run.Scenarios.Where(s => !s.Verification.Passed).Select(s => s.Name).ToList();
            if (failed.Count > 0)
            {
                items.Add($"verification failed on PostgreSQL {major}: {string.Join(", ", failed)} (a variant returns another answer than the baseline there; see pg{major}/report.md)");
            }
        }

        var differing = tables.Where(t => !t.Agree).Select(t => t.Table).ToList();
        if (differing.Count > 0)
        {
            items.Add($"the seeded data differs between the majors in {string.Join(", ", differing)}: their times are not comparable (see \"Data\")");
        }

        var plans = p.Statements.Where(s => s.Changed).ToList();
        if (plans.Count > 0)
        {
            items.Add($"{plans.Count} statement plan(s) changed shape on PostgreSQL {p.Newer}:");
            items.AddRange(Named(plans.Select(s => $"  plan: {s.Scenario}/{s.Variant}: {string.Join("; ", s.Changes.Take(2))}")));
        }

        var slower = p.Variants.Where(v => v.Verdict == "slower").OrderByDescending(v => v.Ratio).ToList();
        var faster = p.Variants.Where(v => v.Verdict == "faster").OrderBy(v => v.Ratio).ToList();
        items.AddRange(Named(slower.Select(v => $"slower on PostgreSQL {p.Newer}: {v.Scenario}/{v.Variant} {Reports.Units.Ratio(v.Ratio)} [{Reports.Units.Ratio(v.Lower)}–{Reports.Units.Ratio(v.Upper)}]")));
        items.AddRange(Named(faster.Select(v => $"faster on PostgreSQL {p.Newer}: {v.Scenario}/{v.Variant} {Reports.Units.Ratio(v.Ratio)} [{Reports.Units.Ratio(v.Lower)}–{Reports.Units.Ratio(v.Upper)}]")));
        items.AddRange(Named(p.CounterChanges.Select(c => "work: " + c)));
        items.AddRange(Named(p.Findings.Where(f => f.Change == "appears" && !f.FromTimings).Select(f => $"new finding on PostgreSQL {p.Newer}: {f.Scenario}/{f.Variant}: {f.Code} ({f.Where})")));
        var planner = p.Defaults.Where(d => d.Planner).ToList();
        if (planner.Count > 0)
        {
            items.Add($"planner settings whose defaults differ: {string.Join(", ", planner.Select(d => d.Kind == "changed" ? $"{d.Name} ({d.Older} → {d.Newer})" : $"{d.Name} ({d.Kind})"))}");
        }

        items.AddRange(p.LabSettingDifferences.Select(d => $"the lab's setting differs between the clusters: {d}"));
        if (items.Count == 0)
        {
            items.Add($"nothing: every plan, counter and finding is the same on PostgreSQL {p.Older} and {p.Newer}, and no time change was decided");
        }

        return items;
    }

    /// <summary>"compiled by gcc (Debian 12.2.0-14) 12.2.0" of a version() string: what built the server.</summary>
    private static string Builder(string version)
    {
        var i = version.IndexOf("compiled by ", StringComparison.Ordinal);
        return i < 0 ? version : version[(i + "compiled by ".Length)..].Split(',')[0].Trim();
    }

    private static IEnumerable<string> Named(IEnumerable<string> items)
    {
        var all = items.ToList();
        return all.Count <= MostNamed ? all : all.Take(MostNamed).Append($"  … and {all.Count - MostNamed} more (see below)");
    }
}
