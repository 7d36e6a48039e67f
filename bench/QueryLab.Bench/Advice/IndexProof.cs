using System.Diagnostics;
using System.Globalization;
using Npgsql;
using QueryLab.Bench.Plans;
using QueryLab.Bench.Timing;

namespace QueryLab.Bench.Advice;

/// <summary>
/// Proves one candidate on the lab, inside one transaction that is always rolled back:
/// <list type="number">
/// <item>the plans of the statements it was proposed for, without it;</item>
/// <item><c>SAVEPOINT</c>, <c>CREATE INDEX</c> (its build time), <c>ANALYZE</c> the table, its size, the plans again;</item>
/// <item>the same answer: each operation replayed on a second connection (which cannot see the uncommitted index) and in
/// the transaction, row for row;</item>
/// <item>the time: a duet of those two connections, slices A B A B … A, after ÷ before per pair with its interval;</item>
/// <item><c>ROLLBACK TO SAVEPOINT</c> (the index and ANALYZE's statistics go), then the write scenarios touching the table:
/// pairs of write slices without and with the index, rebuilt in a savepoint for each pair;</item>
/// <item><c>ROLLBACK</c>. An interrupt cancels the running statement and rolls back the same way; a process that dies
/// leaves the server to roll back its open transaction.</item>
/// </list>
/// </summary>
public sealed class IndexProof(NpgsqlDataSource dataSource, AdviceSettings settings, string? plansDir, TextWriter log)
{
    public async Task<CandidateProof> ProveAsync(IndexCandidate candidate, IReadOnlyList<CandidateSource> sources, IReadOnlyList<ReplayOperation> reads, IReadOnlyList<ReplayOperation> writes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(reads);
        ArgumentNullException.ThrowIfNull(writes);
        await using var reference = await dataSource.OpenConnectionAsync(ct);
        await using var lab = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await lab.BeginTransactionAsync(ct);
        try
        {
            await StatementReplay.ExecAsync(lab, "SET LOCAL lock_timeout = '10s'", ct);
            var before = new List<(ReplayOperation Op, int Index, CapturedPlan Plan)>();
            foreach (var op in reads)
            {
                foreach (var (s, i) in op.Distinct.Select((s, i) => (s, i + 1)))
                {
                    before.Add((op, i, new CapturedPlan(s, await StatementReplay.ExplainAsync(lab, s, ct))));
                }
            }

            await StatementReplay.ExecAsync(lab, "SAVEPOINT querylab_candidate", ct);
            double buildMs;
            try
            {
                buildMs = await BuildAsync(lab, candidate, ct);
            }
            catch (PostgresException e) when (!ct.IsCancellationRequested)
            {
                await StatementReplay.ExecAsync(lab, "ROLLBACK TO SAVEPOINT querylab_candidate", CancellationToken.None);
                var why = e.SqlState == PostgresErrorCodes.UniqueViolation
                    ? $"CREATE UNIQUE INDEX failed on the lab's data ({e.SqlState} {e.MessageText}{(e.Detail is { } d ? ": " + d : "")}): the column(s) hold duplicates, so this unique index cannot exist"
                    : $"CREATE INDEX failed ({e.SqlState} {e.MessageText})";
                log.WriteLine($"  {candidate.Name}: skipped — {why}");
                return Proof(candidate, sources, AdviceVerdict.Skipped, why, null, null, null, [], [], []);
            }

            await StatementReplay.ExecAsync(lab, $"ANALYZE {IndexCandidate.Schema}.{candidate.Table}", ct);
            var size = await ScalarAsync<long>(lab, $"SELECT pg_relation_size('{IndexCandidate.Schema}.{candidate.Name}'::regclass)", ct);
            log.WriteLine($"  {candidate.Name}: built in {Reports.Units.Ms(buildMs)}, {Reports.Units.Bytes(size)}; ANALYZE {candidate.Table}");

            var plans = new List<StatementPlans>();
            foreach (var (op, i, plan) in before)
            {
                var after = await StatementReplay.ExplainAsync(lab, plan.Statement, ct);
                plans.Add(Compare(op, i, plan, after, candidate.Name));
            }

            // The same answer: the reference connection cannot see the uncommitted index, the lab's transaction uses it.
            string? difference = null;
            foreach (var op in reads)
            {
                var expected = await StatementReplay.RunAsync(reference, op, collect: true, ct);
                var actual = await StatementReplay.RunAsync(lab, op, collect: true, ct);
                if (!expected.SequenceEqual(actual, StringComparer.Ordinal))
                {
                    var at = expected.Zip(actual).TakeWhile(p => p.First == p.Second).Count();
                    difference ??= $"{op.Key}: row {at + 1} differs ({actual.Count} rows with the index, {expected.Count} without)";
                }
            }

            var used = plans.Any(p => p.UsesIndex);
            var times = new List<TimeChange>();
            foreach (var op in used ? reads : [])
            {
                log.WriteLine($"  {candidate.Name}: timing {op.Key} without and with it (paired slices)…");
                times.Add(await TimeAsync(reference, lab, op, ct));
            }

            await StatementReplay.ExecAsync(lab, "ROLLBACK TO SAVEPOINT querylab_candidate", ct);
            var writeCosts = new List<WriteCost>();
            var builds = new List<double> { buildMs };
            // An index the planner does not use is not timed: it cannot be recommended, and its build and write cost would only cost minutes.
            foreach (var op in used ? writes.Where(w => Touches(w, candidate.Table)) : [])
            {
                log.WriteLine($"  {candidate.Name}: what it adds to {op.Key} (the index rebuilt for each of {settings.WritePairs} pairs)…");
                writeCosts.Add(await WriteCostAsync(lab, candidate, op, builds, ct));
            }

            var (verdict, reason) = Judge(plans, difference, times, writeCosts);
            log.WriteLine($"  {candidate.Name}: {Describe(verdict)} — {reason}");
            return Proof(candidate, sources, verdict, reason, Median(builds), size, difference is null, plans, times, writeCosts);
        }
        finally
        {
            await tx.RollbackAsync(CancellationToken.None);
        }
    }

    /// <summary>A candidate HypoPG's planner costs rule out: reported, never built.</summary>
    public static CandidateProof ScreenedOut(IndexCandidate candidate, IReadOnlyList<CandidateSource> sources)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        return Proof(candidate, sources, AdviceVerdict.NotRecommended, "screened out by HypoPG: as a hypothetical index the planner would not choose it for any statement it was proposed for, so it was not built", null, null, null, [], [], []);
    }

    public static string Describe(AdviceVerdict v) => v switch
    {
        AdviceVerdict.Recommended => "recommended",
        AdviceVerdict.NotRecommended => "not recommended",
        _ => "skipped",
    };

    /// <summary>Whether a write operation's statements change <paramref name="table"/> (UPDATE, INSERT INTO, DELETE FROM, MERGE INTO it).</summary>
    public static bool Touches(ReplayOperation write, string table)
    {
        ArgumentNullException.ThrowIfNull(write);
        var pattern = $@"\b(UPDATE|INSERT\s+INTO|DELETE\s+FROM|MERGE\s+INTO)\s+(""?{IndexCandidate.Schema}""?\.)?""?{System.Text.RegularExpressions.Regex.Escape(table)}""?(\s|\(|$)";
        return write.Statements.Any(s => System.Text.RegularExpressions.Regex.IsMatch(s.Sql, pattern, System.Text.RegularExpressions.RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1)));
    }

    private (AdviceVerdict, string) Judge(IReadOnlyList<StatementPlans> plans, string? difference, IReadOnlyList<TimeChange> times, IReadOnlyList<WriteCost> writes)
    {
        if (difference is not null)
        {
            return (AdviceVerdict.NotRecommended, "the answer changed with the index: " + difference);
        }

        if (!plans.Any(p => p.UsesIndex))
        {
            return (AdviceVerdict.NotRecommended, "the planner did not use it in any statement it was proposed for");
        }

        var faster = times.Where(t => t.Verdict == DuetVerdict.Faster).ToList();
        if (faster.Count == 0)
        {
            return (AdviceVerdict.NotRecommended, "not measured faster beyond the noise: " + string.Join("; ", times.Select(t => $"{t.Operation} {t.Why}")));
        }

        var over = writes.Where(w => !w.WithinBudget).ToList();
        if (over.Count > 0)
        {
            return (AdviceVerdict.NotRecommended, $"faster ({string.Join("; ", faster.Select(t => $"{t.Operation} {Change(t.Ratio)}"))}), but it slows "
                + string.Join(", ", over.Select(w => $"{w.Operation} by {Change(w.Ratio)}")) + $", over the write budget of +{QueryLab.Bench.Compare.CompareSettings.Pct(settings.WriteBudget)}");
        }

        var near = writes.Where(w => w.Upper > 1 + settings.WriteBudget).ToList();
        return (AdviceVerdict.Recommended, $"{string.Join("; ", faster.Select(t => $"{t.Operation} {t.Why}"))}; same answer; "
            + (writes.Count == 0 ? "no write scenario touches the table" : "writes " + string.Join(", ", writes.Select(w => $"{w.Operation} {Change(w.Ratio)}")) + $" (budget +{QueryLab.Bench.Compare.CompareSettings.Pct(settings.WriteBudget)})")
            + (near.Count == 0 ? "" : $"; near the budget: the interval of {string.Join(", ", near.Select(w => $"{w.Operation} reaches {Change(w.Upper!.Value)}"))}, so another run may judge otherwise"));
    }

    private async Task<TimeChange> TimeAsync(NpgsqlConnection reference, NpgsqlConnection lab, ReplayOperation op, CancellationToken ct)
    {
        var ops = new Dictionary<string, ReplayOperation> { [op.Key] = op };
        var estimate = await EstimateAsync(reference, op, ct);
        var slice = Duet.SliceOperations(estimate, settings.Reads.SliceTime);
        var result = await Duet.CompareAsync(
            new DuetSide(new ReplaySliceRunner(reference, ops), op.Key, slice),
            new DuetSide(new ReplaySliceRunner(lab, ops), op.Key, slice),
            settings.Reads,
            ct);
        return new TimeChange(op.Key, result.AMedianNs, result.BMedianNs, result.Ratio.Ratio, result.Ratio.Lower, result.Ratio.Upper, result.Ratio.Pairs, result.Verdict, result.Why);
    }

    private async Task<WriteCost> WriteCostAsync(NpgsqlConnection lab, IndexCandidate candidate, ReplayOperation op, List<double> builds, CancellationToken ct)
    {
        var ops = new Dictionary<string, ReplayOperation> { [op.Key] = op };
        var runner = new ReplaySliceRunner(lab, ops);
        var slice = Duet.SliceOperations(await EstimateAsync(lab, op, ct), settings.Reads.SliceTime);
        var without = new List<double>();
        var with = new List<double>();
        for (var i = 0; i < settings.WritePairs; i++)
        {
            without.Add(await runner.SliceAsync(op.Key, 0, slice, ct));
            await StatementReplay.ExecAsync(lab, "SAVEPOINT querylab_write_cost", ct);
            builds.Add(await BuildAsync(lab, candidate, ct));
            with.Add(await runner.SliceAsync(op.Key, 0, slice, ct));
            await StatementReplay.ExecAsync(lab, "ROLLBACK TO SAVEPOINT querylab_write_cost", ct);
        }

        without.Add(await runner.SliceAsync(op.Key, 0, slice, ct));
        var ratios = with.Select((t, i) => t / Math.Sqrt(without[i] * without[i + 1])).ToList();
        var e = PairedRatio.OfRatios(ratios) ?? new PairedRatio.Estimate(double.NaN, null, null, 0, PairedRatio.DefaultConfidence);
        return new WriteCost(op.Key, PairedRatio.RoundMedian(without), PairedRatio.RoundMedian(with), e.Ratio, e.Lower, e.Upper, e.Pairs, e.Ratio <= 1 + settings.WriteBudget);
    }

    private static async Task<double> EstimateAsync(NpgsqlConnection conn, ReplayOperation op, CancellationToken ct)
    {
        await StatementReplay.RunAsync(conn, op, collect: false, ct);
        var started = Stopwatch.GetTimestamp();
        await StatementReplay.RunAsync(conn, op, collect: false, ct);
        return Stopwatch.GetElapsedTime(started).TotalNanoseconds;
    }

    private static async Task<double> BuildAsync(NpgsqlConnection lab, IndexCandidate candidate, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        await StatementReplay.ExecAsync(lab, candidate.CreateSql(concurrently: false), ct);
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }

    private StatementPlans Compare(ReplayOperation op, int index, CapturedPlan before, string afterJson, string indexName)
    {
        var b = PlanAnalyzer.Analyze(before.Json);
        var a = PlanAnalyzer.Analyze(afterJson);
        var file = $"{op.Scenario}.{op.Variant}-{index.ToString(CultureInfo.InvariantCulture)}";
        return new StatementPlans(
            op.Key,
            index,
            before.Statement.Sql,
            b.ExecutionTime,
            a.ExecutionTime,
            b.Buffers.SharedHit + b.Buffers.SharedRead,
            a.Buffers.SharedHit + a.Buffers.SharedRead,
            PlanText.Render(b, 110),
            PlanText.Render(a, 110),
            b.ShapeHash == a.ShapeHash ? [] : PlanShape.Diff(b, a),
            a.Nodes.Any(n => n.IndexName == indexName),
            Save(indexName, file + "-before.json", before.Json),
            Save(indexName, file + "-after.json", afterJson));
    }

    private string? Save(string candidate, string file, string json)
    {
        if (plansDir is null)
        {
            return null;
        }

        var relative = Path.Combine("plans", candidate, file);
        var path = Path.Combine(plansDir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, json);
        return relative.Replace('\\', '/');
    }

    private static CandidateProof Proof(
        IndexCandidate c, IReadOnlyList<CandidateSource> sources, AdviceVerdict verdict, string why, double? buildMs, long? size, bool? same,
        IReadOnlyList<StatementPlans> plans, IReadOnlyList<TimeChange> reads, IReadOnlyList<WriteCost> writes) =>
        new(c.Name, c.Table, c.Definition, c.CreateSql(concurrently: true) + ";", sources, verdict, why, buildMs, size, same, plans, reads, writes);

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
#pragma warning disable CA2100 // Built from the candidate's name, an identifier QueryLab derived.
        await using var cmd = new NpgsqlCommand(sql, conn);
#pragma warning restore CA2100
        return (T)(await cmd.ExecuteScalarAsync(ct))!;
    }

    private static double Median(List<double> values) => PairedRatio.RoundMedian(values);

    private static string Change(double ratio) =>
        (ratio >= 1 ? "+" : "−") + Math.Abs((ratio - 1) * 100).ToString("0", CultureInfo.InvariantCulture) + "%";

    private sealed record CapturedPlan(Profiling.CapturedStatement Statement, string Json);
}
