using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Compare;

/// <summary>
/// The executor's counters from the plans (<see cref="Plans.ExecutorWork"/>), judged like buffers against the counters
/// threshold: rows processed (Σ actual rows × loops), temp blocks (read + written) and WAL bytes. A counter one run
/// lacks (an older QueryLab's run; a server without EXPLAIN's WAL option) is not compared. Where a count is not exactly
/// reproducible, a change is shown as unknown with the reason, never a regression: a parallel plan's rows, the WAL of
/// a statement that only reads (page pruning and hint bits, which depend on the table's state), and WAL whose full-page
/// images differ (the first change of a page after a checkpoint writes the whole page).
/// </summary>
public static class WorkComparer
{
    /// <summary>One statement's counters, matched by SQL across the runs.</summary>
    public static IEnumerable<MetricChange> Statement(VariantPair pair, string sql, PlanSummary b, PlanSummary c, CompareSettings settings)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(settings);
        if (b.RowsProcessed is { } br && c.RowsProcessed is { } cr)
        {
            var rows = Gated(pair, "rows processed", br, cr, settings, Rows);
            yield return (b.Parallel == true || c.Parallel == true ? NotGated(rows, ParallelNote) : rows) with { Statement = sql };
        }

        if (b.TempBlocks != 0 || c.TempBlocks != 0)
        {
            yield return Gated(pair, "temp blocks", b.TempBlocks, c.TempBlocks, settings, StatementComparer.Blocks) with { Statement = sql };
        }

        if (b.WalBytes is { } bw && c.WalBytes is { } cw && (bw != 0 || cw != 0))
        {
            var wal = Gated(pair, "WAL bytes", bw, cw, settings, x => Units.Bytes(x));
            yield return (b.Writes != true && c.Writes != true ? NotGated(wal, ReadWalNote)
                : b.WalFpi != c.WalFpi ? NotGated(wal, $"full-page images {Units.Count(b.WalFpi ?? 0)} → {Units.Count(c.WalFpi ?? 0)}: " + FpiNote)
                : wal) with { Statement = sql };
        }
    }

    /// <summary>The variant's counters over all its statements (each × its executions), when the statements differ.</summary>
    public static IEnumerable<MetricChange> Variant(VariantPair pair, ProfileRecord b, ProfileRecord c, CompareSettings settings)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(settings);
        const string note = "the statements differ, so the counter is compared over all of them, each weighted by how often it ran";
        if (b.RowsProcessed is { } br && c.RowsProcessed is { } cr)
        {
            var rows = Gated(pair, "rows processed (all statements)", br, cr, settings, Rows) with { Note = note };
            yield return Parallel(b) || Parallel(c) ? NotGated(rows, ParallelNote) : rows;
        }

        if (b.TempBlocks != 0 || c.TempBlocks != 0)
        {
            yield return Gated(pair, "temp blocks (all statements)", b.TempBlocks, c.TempBlocks, settings, StatementComparer.Blocks) with { Note = note };
        }

        // WAL of the statements that write, each × its executions: the WAL of reads is not reproducible (see above).
        if (WritesWal(b) is { } bw && WritesWal(c) is { } cw && (bw != 0 || cw != 0))
        {
            var wal = Gated(pair, "WAL bytes (all statements)", bw, cw, settings, x => Units.Bytes(x)) with { Note = note + "; only the statements that write" };
            yield return Fpi(b) != Fpi(c) ? NotGated(wal, $"full-page images {Units.Count(Fpi(b))} → {Units.Count(Fpi(c))}: " + FpiNote) : wal;
        }
    }

    /// <summary>Whether one run or both lack a counter the other has: then it is not compared (RunComparer warns once).</summary>
    public static bool Lacks(ProfileRecord b, ProfileRecord c)
    {
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        return (b.RowsProcessed is null) != (c.RowsProcessed is null) || (b.WalBytes is null) != (c.WalBytes is null);
    }

    private const string ParallelNote = "a parallel plan: how many workers started and how the rows were split between them and the leader vary from run to run, so its rows processed are shown, not gated";

    private const string ReadWalNote = "WAL written by a statement that only reads (pruning dead rows, hint bits after a checkpoint) depends on the tables' state, not on the statement: shown, not gated";

    private const string FpiNote = "the first change of a page after a checkpoint writes the whole page into the WAL, so WAL bytes depend on when the checkpoint ran: shown, not gated";

    private static MetricChange Gated(VariantPair pair, string metric, long b, long c, CompareSettings s, Func<long, string> format) =>
        CounterComparer.Relative(pair, metric, b, c, s.CounterThreshold, format) with { Baseline = b, Candidate = c };

    private static MetricChange NotGated(MetricChange change, string note) =>
        change.Outcome is Outcome.Regression or Outcome.Improvement ? change with { Outcome = Outcome.Unknown, Note = note } : change;

    private static bool Parallel(ProfileRecord p) => p.DistinctStatements.Any(s => s.Plan?.Parallel == true);

    private static IEnumerable<StatementRecord> Writing(ProfileRecord p) => p.DistinctStatements.Where(s => s.Plan is { Writes: true, WalBytes: not null });

    private static long? WritesWal(ProfileRecord p) => p.WalBytes is null ? null : Writing(p).Sum(s => s.Plan!.WalBytes!.Value * s.Executions);

    private static long Fpi(ProfileRecord p) => Writing(p).Sum(s => (s.Plan!.WalFpi ?? 0) * s.Executions);

    private static string Rows(long n) => Units.Count(n) + (n == 1 ? " row" : " rows");
}
