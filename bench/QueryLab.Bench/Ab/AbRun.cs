using System.Globalization;
using QueryLab.Bench.Compare;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Pipeline;
using QueryLab.Bench.Timing;
using QueryLab.Seed;

namespace QueryLab.Bench.Ab;

/// <summary>
/// <c>querylab ab</c>: same-runner A/B. Builds the base ref in a temporary git worktree; gives base and head a database
/// each on one server, migrated and seeded by the side's own build with the same scale and seed; judges the two datasets
/// table by table (<see cref="DatasetJudge"/>); runs the two sides' benches interleaved round by round
/// (<see cref="AbPlan.Order"/>, each step one <see cref="SideBench"/>); merges each side's rounds and compares them on
/// what stays comparable. The databases, the worktree and the temporary folder are removed whatever happens.
/// </summary>
public sealed class AbRun(AbOptions options, LabContext host, SideBench? bench = null)
{
    private AbDatabases? _databases;
    private string? _tree;
    private string? _final;
    private bool _worktreeAdded;
    private bool _interchangeable;

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var repo = host.RepositoryRoot;
        host.Work.Enter("resolving --base-ref", Leaves);
        var commit = await BaseBuild.ResolveRefAsync(repo, options.BaseRef, ct);
        var label = $"{options.BaseRef} ({commit[..Math.Min(12, commit.Length)]})";
        var temp = Path.Combine(Path.GetTempPath(), "querylab-ab-" + Guid.NewGuid().ToString("N")[..12]);
        _tree = Path.Combine(temp, "base");
        try
        {
            // The server is opened (the embedded one started) first, so that another ab on it is refused before anything is
            // built; it stays up for every round of both sides.
            host.Work.Step("opening the server");
            await using var server = await LabSession.OpenAsync(options.Server, host, keepRunning: false, ct);
            await using var databases = await AbDatabases.CreateAsync(server, host.Out, host.Err, ct);
            _databases = databases;

            host.Out.WriteLine($"ab: base {label} → worktree {_tree}");
            host.Work.Step("building the base");
            _worktreeAdded = true;
            var sides = new Dictionary<AbSide, AbBuild>
            {
                [AbSide.Base] = await BaseBuild.CreateAsync(repo, commit, _tree, label, host.Out, ct),
                [AbSide.Head] = AbBuild.Head(repo),
            };
            // Both builds run a worker: time comes from interleaving them slice by slice (duet), and one smoke round of each
            // side's bench gives the verification, counters and plans. Otherwise (an older base) rounds minutes apart, as before.
            var duet = sides.Values.All(s => s.Abilities.RunsWorker);
            var rounds = duet ? options with { Profile = BenchProfile.Smoke, Rounds = 1, IterationsPerRound = null, InjectDelays = [] } : options;
            if (duet)
            {
                host.Out.WriteLine($"ab: both builds run `querylab worker`: time by interleaving them variant by variant (duet); one smoke bench of each side for verification, counters and plans");
            }
            else
            {
                PrintRounds(sides[AbSide.Base]);
            }

            var verdict = await SeedAndJudgeAsync(sides, databases, ct);

            var runBench = bench ?? ChildBench.For(rounds, databases, Path.Combine(temp, "runs"), host.Out);
            var runs = new Dictionary<AbSide, List<SideRun>> { [AbSide.Base] = [], [AbSide.Head] = [] };
            foreach (var step in AbPlan.Order(rounds.Rounds))
            {
                var side = sides[step.Side];
                host.Out.WriteLine($"ab: round {step.Round}/{rounds.Rounds}: {(step.Side == AbSide.Base ? "base " : "")}{side.Label}");
                host.Work.Step($"running {step.Name}, the {AbPlan.Name(step.Side)}'s bench of round {step.Round}/{rounds.Rounds}");
                runs[step.Side].Add(await runBench(side, step, ct));
            }

            IReadOnlyDictionary<string, DuetResult>? duets = null;
            if (duet)
            {
                // A variant that reads data which differs between the two databases is compared on counters and plans, not
                // on time: interleaving it would measure what is thrown away, and a scenario all of whose variants are such
                // is not even warmed by the workers.
                var (skip, scenarios) = Untimed(verdict, runs[AbSide.Base][^1].Results, runs[AbSide.Head][^1].Results);
                if (skip.Count > 0)
                {
                    host.Out.WriteLine($"ab: not interleaving {skip.Count} variant(s) whose time is not compared (they read data that differs): {string.Join(", ", skip.Order(StringComparer.Ordinal))}");
                }

                if (scenarios is { Count: 0 })
                {
                    duets = new Dictionary<string, DuetResult>(StringComparer.Ordinal);
                }
                else
                {
                    host.Work.Step("interleaving the base's and the head's workers");
                    var steal = new StealMeter();
                    steal.Start();
                    duets = await AbDuet.RunAsync(
                        Worker(sides[AbSide.Base], databases, [], scenarios),
                        Worker(sides[AbSide.Head], databases, options.InjectDelays, scenarios),
                        DuetSettings(options.Compare, options.Profile),
                        host.Out,
                        ct,
                        crossed: _interchangeable,
                        skip: skip);
                    steal.Stop();
                    if (steal.Percent is { } stolen)
                    {
                        host.Out.WriteLine($"ab: {HostSteal.Line(stolen, during: "during the duets")}");
                    }
                }
            }

            host.Work.Step("writing the merged run");
            var (final, baseline, candidate) = MergedRun.Write(runs[AbSide.Base], runs[AbSide.Head], options);
            _final = final;
            host.Out.WriteLine($"ab: {runs[AbSide.Base].Count} base and {runs[AbSide.Head].Count} head round(s) merged into {host.Display(final)} (base in base/)");
            var scope = TimeScope.For(verdict, baseline, candidate) with { Duets = duets };
            if (scope.TimeNotCompared.Count > 0)
            {
                host.Out.WriteLine($"ab: time not compared for {scope.TimeNotCompared.Count} variant(s) that read data that differs ({string.Join(", ", scope.TimeNotCompared.Keys.Select(k => $"{k.Scenario}/{k.Variant}"))}); their counters and plans are");
            }

            var code = BaselineComparison.CompareAndReport(new BaselineRun(baseline, Path.Combine(final, "base"), options.Compare), candidate, final, host, scope);
            MergedRun.RefreshLatest(final);
            return code;
        }
        finally
        {
            await BaseBuild.RemoveAsync(repo, _tree, temp, host.Err);
        }
    }

    /// <summary>
    /// How ab's duets decide: 16 pairs of ~30 ms slices, 16 more at a time up to 48 while undecided; a change is called
    /// once it is at least half of --threshold-time and significant at α, and confirmed by a second duet, so that a slowdown of the whole threshold is caught every time (calibrate's default,
    /// 5%, is the same rule at ab's default of 10%).
    /// </summary>
    /// <remarks>
    /// With <c>--profile smoke</c> (proves that ab runs; decides nothing) 8 pairs of ~10 ms that do not grow, and workers
    /// warmed by one pass: a two-scenario ab on tiny spent 28 of its 72 s in duets and 20 in the workers' warm-ups.
    /// </remarks>
    public static DuetSettings DuetSettings(CompareSettings compare, BenchProfile? profile = null) =>
        profile?.Name == BenchProfile.Smoke.Name
            ? new(Pairs: 8, TimeSpan.FromMilliseconds(10), compare.TimeThreshold / 2, 1 - compare.Alpha, MaxPairs: 8)
            : new(Pairs: 16, TimeSpan.FromMilliseconds(30), compare.TimeThreshold / 2, 1 - compare.Alpha, MaxPairs: 48);

    /// <summary>
    /// The variants (scenario/variant) whose time will not be compared, as the smoke rounds captured their statements, and
    /// the scenarios left with a variant to interleave (null: every scenario of the run, none skipped).
    /// </summary>
    public static (IReadOnlySet<string> Skip, IReadOnlyList<string>? Scenarios) Untimed(DatasetVerdict verdict, Results.RunResults baseline, Results.RunResults candidate)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var notTimed = TimeScope.For(verdict, baseline, candidate).TimeNotCompared;
        var skip = notTimed.Keys.Select(k => BenchmarkCases.Key(k.Scenario, k.Variant)).ToHashSet(StringComparer.Ordinal);
        if (skip.Count == 0)
        {
            return (skip, null);
        }

        var kept = candidate.Scenarios.Where(s => s.Variants.Any(v => !skip.Contains(BenchmarkCases.Key(s.Name, v.Name)))).Select(s => s.Name).Distinct(StringComparer.Ordinal).ToList();
        return (skip, kept);
    }

    private DuetBuild Worker(AbBuild side, AbDatabases databases, IReadOnlyList<string> delays, IReadOnlyList<string>? scenarios)
    {
        var built = Worker(side, databases, delays);
        return scenarios is null ? built : built with { Arguments = AbDuet.Narrowed(built.Arguments, scenarios) };
    }

    private DuetBuild Worker(AbBuild side, AbDatabases databases, IReadOnlyList<string> delays)
    {
        var args = new List<string>();
        if (options.ScenarioPattern is { } pattern)
        {
            args.AddRange(["--scenario", pattern]);
        }

        args.AddRange(delays.SelectMany(d => new[] { "--inject-delay", d }));
        if (delays.Count > 0)
        {
            args.AddRange(["--inject-at", options.InjectAt]); // only the head gets delays, and it is this build
        }
        else if (side.Side == AbSide.Base && options.InjectDelays.Count > 0)
        {
            // The head's delayed variants run on the injection's own data source, which alone moves a variant by up to
            // ±14%: the base runs them through the same path undelayed, so the duet measures the delay and nothing else.
            if (side.Abilities.RunsInjectionReference)
            {
                args.AddRange(options.InjectDelays.SelectMany(d => new[] { "--inject-reference", d[..d.IndexOf('=', StringComparison.Ordinal)] }));
                args.AddRange(["--inject-at", options.InjectAt]);
            }
            else
            {
                host.Out.WriteLine("ab: warning: the base's worker has no --inject-reference, so the head's delayed variants are compared with the base's own connections, which alone differ by up to ±14%");
            }
        }

        if (options.Profile.Name == BenchProfile.Smoke.Name && side.Abilities.RunsQuickWorker)
        {
            args.Add("--quick");
        }

        // The connection (password included) goes through the environment, never the command line ps shows.
        var env = new Dictionary<string, string> { ["QUERYLAB_CONNECTION"] = databases.ConnectionString(side.Side) };
        return new DuetBuild(AbPlan.Name(side.Side), side.Dll, env, args);
    }

    private void PrintRounds(AbBuild baseBuild)
    {
        if (options.IterationsPerRound is { } each)
        {
            host.Out.WriteLine(baseBuild.Abilities.TakesRoundOptions
                ? $"ab: {options.Rounds} round(s) of {each} measured iterations per variant and side; plans and counters from the last round"
                : $"ab: the base's bench has no --iterations/--no-profile: its rounds take the whole '{options.Profile.Name}' profile and profile every time (slower)");
        }
    }

    /// <summary>Each side migrates and seeds its own database with its own build, the same scale and seed; then the two are judged.</summary>
    private async Task<DatasetVerdict> SeedAndJudgeAsync(Dictionary<AbSide, AbBuild> sides, AbDatabases databases, CancellationToken ct)
    {
        var seed = options.Dataset;
        string[] args = ["seed", "--scale", seed.Scale.Key, "--seed", seed.Seed.ToString(CultureInfo.InvariantCulture)];
        foreach (var side in sides.Values)
        {
            var db = AbDatabases.NameOf(side.Side);
            var prefix = $"{AbPlan.Name(side.Side)}-seed";
            host.Out.WriteLine($"ab: {db}: migrated and seeded by the {AbPlan.Name(side.Side)}'s build: querylab {string.Join(' ', args)}");
            host.Work.Step($"seeding {db} with the {AbPlan.Name(side.Side)}'s build");
            var r = await ChildQuerylab.RunAsync(side, args, databases.ConnectionString(side.Side), prefix, host.Out, ct);
            if (!r.Succeeded)
            {
                var who = side.Side == AbSide.Base ? $"the base {side.Label}" : "this querylab";
                var output = $"its output is above, prefixed [{prefix}]";
                throw r.ExitCode is 3 or 130
                    ? new LabException((ExitCode)r.ExitCode, $"{who}'s querylab seed of {db} failed with exit {r.ExitCode}: {ChildQuerylab.Reason(r)} ({output})")
                    : LabException.BadInput(
                        $"{who} cannot migrate and seed its own database {db}: {ChildQuerylab.Reason(r)} ({output}); "
                        + (side.Side == AbSide.Base ? "pick a --base-ref whose migrations and seed work" : "fix the migration or the seed, then run ab again"));
            }
        }

        host.Work.Step("comparing the two databases' manifests and schemas");
        var verdict = DatasetJudge.Judge(
            await DatabaseState.ReadAsync(databases.ConnectionString(AbSide.Base), ct),
            await DatabaseState.ReadAsync(databases.ConnectionString(AbSide.Head), ct),
            seed,
            sides[AbSide.Base].Label);
        foreach (var line in verdict.Changes.Append(verdict.Summary))
        {
            host.Out.WriteLine("ab: " + line);
        }

        if (verdict.Differs.Count == 0)
        {
            await CopyBaseIntoHeadAsync(sides[AbSide.Head], databases, ct);
        }

        return verdict;
    }

    /// <summary>
    /// Where the two sides hold the same data, the head's database becomes a copy of the base's with the head's migrations
    /// applied on top, the way a release meets production. Two seeds of the same rows are not the same database to the
    /// planner: ANALYZE reads a random sample, so the two get different statistics, and a prepared statement can settle on
    /// a generic plan in one and not in the other (a full-catalog A/A called 6 of 53 variants 9–188% slower that way). The
    /// copy has the base's pages and statistics. The head's own seeding is kept when its migrations do not apply to the
    /// copy or leave another schema than the one it built.
    /// </summary>
    private async Task CopyBaseIntoHeadAsync(AbBuild head, AbDatabases databases, CancellationToken ct)
    {
        host.Work.Step($"copying {AbDatabases.NameOf(AbSide.Base)} for the head");
        var own = await DatabaseState.ReadAsync(databases.ConnectionString(AbSide.Head), ct);
        string? refused = null;
        var copied = await databases.ReplaceHeadWithCopyOfBaseAsync(
            async copy =>
            {
                var r = await ChildQuerylab.RunAsync(head, ["migrate"], copy, "head-migrate", host.Out, ct);
                if (!r.Succeeded)
                {
                    refused = $"the head's migrate on the copy failed ({ChildQuerylab.Reason(r)})";
                    return false;
                }

                var copyState = await DatabaseState.ReadAsync(copy, ct);
                refused = DatabaseState.SchemaDifference(own, copyState);
                // The head's migrations changed nothing of the base's schema: either build can run on either database.
                _interchangeable = refused is null && DatabaseState.SchemaDifference(await DatabaseState.ReadAsync(databases.ConnectionString(AbSide.Base), ct), copyState) is null;
                return refused is null;
            },
            ct);
        host.Out.WriteLine(copied
            ? $"ab: {AbDatabases.NameOf(AbSide.Head)} is now a copy of {AbDatabases.NameOf(AbSide.Base)} with the head's migrations applied: the same pages and planner statistics on both sides (ANALYZE samples at random, so two seeds of the same data plan differently)"
            : $"ab: {AbDatabases.NameOf(AbSide.Head)} keeps the head's own seeding ({refused}); its planner statistics come from another ANALYZE sample than the base's, so prepared statements may settle on other plans");
    }

    /// <summary>What an interrupt leaves, as it is once the run has unwound (read after the cleanup).</summary>
    private string Leaves()
    {
        var run = _final is null ? "no run folder was written" : $"the run {host.Display(_final)} was written but not compared";
        var dbs = _databases?.Describe() ?? "no ab database was left on the server";
        var tree = !_worktreeAdded ? "no worktree had been created"
            : _tree is null || !Directory.Exists(_tree) ? "the base's worktree was removed"
            : $"the base's worktree {_tree} is left: remove it with `git worktree remove --force {_tree}`";
        return $"{run}; {dbs}; {tree}";
    }
}
