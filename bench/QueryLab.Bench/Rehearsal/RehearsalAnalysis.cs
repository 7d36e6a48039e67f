using System.Diagnostics;
using System.Globalization;
using QueryLab.Bench.Reports;
using QueryLab.Seed.Migrations;

namespace QueryLab.Bench.Rehearsal;

/// <summary>What the traffic and the sampler recorded while the migration ran, and when.</summary>
public sealed record RehearsalRecording(
    long MeasureStart,
    long MigrationStart,
    long MigrationEnd,
    long End,
    IReadOnlyList<string> Scenarios,
    IReadOnlyList<TrafficRequest> Requests,
    IReadOnlyList<WaitSample> Waits,
    IReadOnlyCollection<HeldSample> Held,
    IReadOnlyList<RanFile> Files,
    IReadOnlyList<RanStatement> Statements,
    IReadOnlyDictionary<int, double> MigrationWaits);

/// <summary>
/// Turns a recording into the figures of rehearsal.md: per statement the locks it took, the requests that waited for
/// it and for how long, failed requests and the scenarios' latency while it held its locks, beside its lint findings;
/// per scenario the latency before, during and after; the timeline; and the verdict per file.
/// </summary>
public static class RehearsalAnalysis
{
    public const string Before = "before";
    public const string During = "during";
    public const string After = "after";

    /// <summary>The failed requests of the measured traffic, by phase, scenario, kind and SqlState.</summary>
    public static IReadOnlyList<FailureSummary> Failures(RehearsalRecording rec)
    {
        ArgumentNullException.ThrowIfNull(rec);
        string PhaseOf(TrafficRequest r) => r.Start < rec.MigrationStart ? Before : r.Start <= rec.MigrationEnd ? During : After;
        return rec.Requests.Where(r => r.Start >= rec.MeasureStart && r.Failure is not null)
            .GroupBy(r => (Phase: PhaseOf(r), r.Scenario, r.Failure!.Value.Kind, r.Failure!.Value.SqlState))
            .OrderBy(g => g.Key.Phase == Before ? 0 : g.Key.Phase == During ? 1 : 2).ThenBy(g => g.Key.Scenario)
            .Select(g => new FailureSummary(g.Key.Phase, rec.Scenarios[g.Key.Scenario], g.Key.Kind.ToString(), g.Key.SqlState, g.Count(), g.First().Failure!.Value.What))
            .ToList();
    }

    public static (IReadOnlyList<StatementRehearsal> Statements, IReadOnlyList<FileRehearsal> Files, IReadOnlyList<PhaseLatency> Phases, IReadOnlyList<TimelinePoint> Timeline)
        Analyse(RehearsalRecording rec, IReadOnlyList<LintFinding> lint, TimeSpan maxBlock, string scale)
    {
        ArgumentNullException.ThrowIfNull(rec);
        ArgumentNullException.ThrowIfNull(lint);
        var measured = rec.Requests.Where(r => r.Start >= rec.MeasureStart).ToList();
        var waits = Attribute(rec);
        var phases = new List<PhaseLatency>();
        for (var s = 0; s < rec.Scenarios.Count; s++)
        {
            phases.Add(Latency(rec.Scenarios[s], Before, measured.Where(r => r.Scenario == s && r.Start < rec.MigrationStart)));
            phases.Add(Latency(rec.Scenarios[s], During, measured.Where(r => r.Scenario == s && r.Start >= rec.MigrationStart && r.Start <= rec.MigrationEnd)));
            phases.Add(Latency(rec.Scenarios[s], After, measured.Where(r => r.Scenario == s && r.Start > rec.MigrationEnd)));
        }

        var statements = new List<StatementRehearsal>();
        foreach (var st in rec.Statements)
        {
            var mine = waits.Where(w => w.Statement == st.Index).ToList();
            var perRequest = mine.GroupBy(w => (w.Pid, w.QueryStart)).Select(g => g.Max(w => w.WaitedMs)).ToList();
            var longest = perRequest.DefaultIfEmpty(0).Max();
            var overlapping = measured.Where(r => r.Start < st.HoldEnd && r.End > st.Start).ToList();
            var latency = Enumerable.Range(0, rec.Scenarios.Count)
                .Select(s => Latency(rec.Scenarios[s], "while held", overlapping.Where(r => r.Scenario == s)))
                .Where(p => p.Requests > 0).ToList();
            var locks = rec.Held.Where(h => h.Statement == st.Index).Select(h => (h.Table, h.Mode)).Concat(st.Locks)
                .GroupBy(l => l.Table).Select(g => $"{Mode(g.MaxBy(l => Strength(l.Mode)).Mode)} on {g.Key}").Order(StringComparer.Ordinal).ToList();
            var blocked = longest > maxBlock.TotalMilliseconds;
            var waitedOn = mine.Select(w => w.Table).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
            var partial = new StatementRehearsal(
                st.Index, st.File, st.Line, st.Sql, st.InTransaction, st.Error is null ? RehearsalRun.Applied : RehearsalRun.FailedOutcome,
                Ms(rec.MeasureStart, st.Start), Ms(st.Start, st.End), Ms(st.Start, st.HoldEnd), locks, st.Rewritten, st.WalBytes, st.Error,
                perRequest.Count, longest, waitedOn, overlapping.Count(r => r.Failure is not null), latency, [], blocked,
                rec.MigrationWaits.GetValueOrDefault(st.Index));
            var notes = LintOf(st, rec.Statements, lint)
                .Select(f => new LintNote(f.Rule, f.Severity.ToString().ToLowerInvariant(), f.Message, Measured(f.Rule, partial, phases, scale))).ToList();
            statements.Add(partial with { Lint = notes });
        }

        var files = rec.Files.Select(f => File(f, statements.Where(s => s.File == f.File).ToList(), maxBlock)).ToList();
        return (statements, files, phases, Timeline(rec, measured));
    }

    /// <summary>
    /// Which statement each wait is for. A wait seen while statement k ran is for k, unless k's file runs in a transaction and
    /// an earlier statement of that file took the lock of the table the session waits on: that statement still holds it.
    /// </summary>
    private static List<WaitSample> Attribute(RehearsalRecording rec)
    {
        var byIndex = rec.Statements.ToDictionary(s => s.Index);
        var taken = rec.Statements.ToDictionary(
            s => s.Index,
            s => s.Locks.Select(l => l.Table).Concat(rec.Held.Where(h => h.Statement == s.Index).Select(h => h.Table)).ToHashSet(StringComparer.Ordinal));
        var result = new List<WaitSample>();
        foreach (var w in rec.Waits)
        {
            if (!byIndex.TryGetValue(w.Statement, out var st))
            {
                continue; // between statements: not the migration's doing
            }

            var owner = st.Index;
            if (st.InTransaction && w.Table is { } table)
            {
                owner = rec.Statements.Where(s => s.FileIndex == st.FileIndex && s.Index <= st.Index && taken[s.Index].Contains(table))
                    .Select(s => s.Index).DefaultIfEmpty(st.Index).Min();
            }

            result.Add(w with { Statement = owner });
        }

        return result;
    }

    /// <summary>The findings of the lint on a statement: those of its file whose line falls between its first line and the next statement's.</summary>
    private static IEnumerable<LintFinding> LintOf(RanStatement st, IReadOnlyList<RanStatement> all, IReadOnlyList<LintFinding> lint)
    {
        var next = all.Where(s => s.File == st.File && s.Line > st.Line).Select(s => s.Line).DefaultIfEmpty(int.MaxValue).Min();
        return lint.Where(f => f.File == st.File && f.Line >= st.Line && f.Line < next);
    }

    /// <summary>"measured: writes to shipments waited up to 3.1 s at small; 1,204 requests waited; p99 of mark-delivered 4 ms → 3.1 s".</summary>
    private static string Measured(string rule, StatementRehearsal s, IReadOnlyList<PhaseLatency> phases, string scale)
    {
        if (s.Error is not null)
        {
            return $"measured: it failed ({s.Error})";
        }

        var parts = new List<string>();
        if (rule == LintRules.RequireLockTimeout)
        {
            parts.Add(s.MigrationWaitMs > 0 ? $"the migration waited {Units.Duration(s.MigrationWaitMs)} for its own lock, queueing the traffic behind it" : "the migration got its lock without waiting here (a long transaction in production is what makes it wait)");
        }
        else if (rule == LintRules.RequireStatementTimeout)
        {
            parts.Add($"it ran {Units.Duration(s.DurationMs ?? 0)} at {scale} and its locks were held {Units.Duration(s.HoldMs)}");
        }

        var held = s.Locks.Count > 0 ? string.Join(", ", s.Locks) : "no table lock seen";
        if (s.WaitingRequests == 0)
        {
            parts.Add($"no request waited for it at {scale} ({held}, held {Units.Duration(s.HoldMs)})");
        }
        else
        {
            var on = s.WaitedOn.Count > 0 ? $" on {string.Join(", ", s.WaitedOn)}" : "";
            parts.Add($"requests{on} waited up to {Units.Duration(s.LongestWaitMs)} at {scale} ({held}); {Units.Count(s.WaitingRequests)} requests waited");
        }

        var worst = s.Latency.Where(l => l.P99Ms is not null).MaxBy(l => l.P99Ms);
        var before = worst is null ? null : phases.FirstOrDefault(p => p.Scenario == worst.Scenario && p.Phase == Before);
        if (worst is not null && before?.P99Ms is { } b)
        {
            parts.Add($"p99 of {worst.Scenario} {Units.Duration(b)} → {Units.Duration(worst.P99Ms!.Value)}");
        }

        if (s.Rewritten.Count > 0)
        {
            parts.Add($"rewrote {string.Join(", ", s.Rewritten)}");
        }

        return "measured: " + string.Join("; ", parts);
    }

    private static FileRehearsal File(RanFile f, IReadOnlyList<StatementRehearsal> statements, TimeSpan maxBlock)
    {
        var longest = statements.Select(s => s.LongestWaitMs).DefaultIfEmpty(0).Max();
        var duration = f.Outcome == RehearsalRun.NotRun ? (double?)null : Ms(f.Start, f.End);
        var blocker = statements.Where(s => s.Blocked).MaxBy(s => s.LongestWaitMs);
        var verdict = f.Outcome switch
        {
            RehearsalRun.NotRun => "not run: an earlier file failed",
            RehearsalRun.FailedOutcome => $"fails: {f.Error}",
            _ when blocker is not null => string.Create(CultureInfo.InvariantCulture,
                $"blocks the traffic: requests waited up to {Units.Duration(blocker.LongestWaitMs)} for line {blocker.Line} ({string.Join(", ", blocker.Locks)}), more than --max-block {Units.Duration(maxBlock.TotalMilliseconds)}"),
            _ => $"safe at this scale: no request waited longer than --max-block {Units.Duration(maxBlock.TotalMilliseconds)} (longest wait {Units.Duration(longest)})",
        };
        return new FileRehearsal(f.File, f.InTransaction, f.Outcome, verdict, duration, longest);
    }

    private static IReadOnlyList<TimelinePoint> Timeline(RehearsalRecording rec, IReadOnlyList<TrafficRequest> measured)
    {
        var total = Ms(rec.MeasureStart, rec.End);
        var slice = Math.Max(250, Math.Ceiling(total / 60 / 250) * 250); // at most ~60 points, in steps of 250 ms
        var points = new List<TimelinePoint>();
        for (var from = 0.0; from < total; from += slice)
        {
            var inSlice = measured.Where(r => Ms(rec.MeasureStart, r.Start) is var t && t >= from && t < from + slice).ToList();
            var done = inSlice.Where(r => r.Failure is null).Select(r => Ms(r.Start, r.End)).Order().ToList();
            points.Add(new TimelinePoint(from, inSlice.Count, inSlice.Count - done.Count, Percentile(done, 0.99), done.Count > 0 ? done[^1] : null));
        }

        return points;
    }

    private static PhaseLatency Latency(string scenario, string phase, IEnumerable<TrafficRequest> requests)
    {
        var list = requests.ToList();
        var done = list.Where(r => r.Failure is null).Select(r => Ms(r.Start, r.End)).Order().ToList();
        return new PhaseLatency(scenario, phase, list.Count, list.Count - done.Count, Percentile(done, 0.50), Percentile(done, 0.99), done.Count > 0 ? done[^1] : null);
    }

    /// <summary>Nearest rank, as load computes them.</summary>
    private static double? Percentile(IReadOnlyList<double> sorted, double q) =>
        sorted.Count == 0 ? null : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];

    internal static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    /// <summary>pg_locks' "ShareRowExclusiveLock" as the documentation writes it: SHARE ROW EXCLUSIVE.</summary>
    public static string Mode(string pgLocksMode)
    {
        ArgumentNullException.ThrowIfNull(pgLocksMode);
        var m = pgLocksMode.EndsWith("Lock", StringComparison.Ordinal) ? pgLocksMode[..^4] : pgLocksMode;
        return string.Concat(m.Select((c, i) => i > 0 && char.IsUpper(c) ? " " + c : c.ToString())).ToUpperInvariant();
    }

    private static int Strength(string mode) => mode switch
    {
        "AccessShareLock" => 1,
        "RowShareLock" => 2,
        "RowExclusiveLock" => 3,
        "ShareUpdateExclusiveLock" => 4,
        "ShareLock" => 5,
        "ShareRowExclusiveLock" => 6,
        "ExclusiveLock" => 7,
        "AccessExclusiveLock" => 8,
        _ => 0,
    };
}
