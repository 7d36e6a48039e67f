using QueryLab.Bench.Plans;
using QueryLab.Bench.Results;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Plans;

/// <summary>The executor's counters summed over a plan's JSON: rows processed, temp blocks and WAL, and their totals per variant.</summary>
[Trait("Category", "Serverless")]
public class ExecutorWorkTests
{
    [Fact]
    public void Rows_processed_are_actual_rows_times_loops_over_every_node_and_never_executed_nodes_add_nothing()
    {
        var a = PlanAnalyzer.Analyze(File.ReadAllText(Path.Combine(LabFixture.RepoRoot, "tests", "QueryLab.Tests", "Plans", "Golden", "cte-initplan-parallel.json")));

        // Hash Semi Join 0 × 1; the CTE: Finalize HashAggregate 300 × 1, Gather 600 × 1, Partial HashAggregate 200 × 3,
        // Parallel Seq Scan 33,333 × 3 (per process, 2 workers + the leader); InitPlan 2: Aggregate 1 × 1, Index Scan 5 × 1;
        // CTE Scan 0 × 1; Hash and its CTE Scan never executed (0 loops).
        Assert.Equal(300 + 600 + (200 * 3) + (33_333 * 3) + 1 + 5, a.Work.RowsProcessed);
        Assert.False(a.Node("1.4")!.Executed);
        Assert.True(a.Work.Parallel); // a Gather planned 2 workers: the split of rows between processes is not reproducible
        Assert.False(a.Work.Writes);
        Assert.Null(a.Work.Wal); // explained without the WAL option: absent, not 0
        Assert.Equal(0, a.Work.TempBlocks);
    }

    [Fact]
    public void Temp_blocks_and_WAL_are_the_top_nodes_counts_which_already_include_the_nodes_below()
    {
        var a = PlanAnalyzer.Analyze(InsertFromSortedSelect);

        Assert.Equal(100 + 100 + 100, a.Work.RowsProcessed); // ModifyTable returns none; Subquery Scan, Sort, Seq Scan 100 each
        Assert.True(a.Work.Writes);
        Assert.False(a.Work.Parallel);
        Assert.Equal(30 + 30, a.Work.TempBlocks); // the Sort's 30 read + 30 written, counted once though the Insert repeats them
        Assert.Equal(new PlanWal(Records: 212, FullPageImages: 1, Bytes: 19_840), a.Work.Wal);
    }

    [Fact]
    public void A_variant_sums_its_statements_counters_times_their_executions_and_absent_stays_absent()
    {
        PlanSummary Plan(long? rows, long temp, long? wal) =>
            new("h", "Seq Scan on t\n", 0, 0, 1, 0, temp, 1, [], "", RowsProcessed: rows, WalBytes: wal);
        StatementRecord Stmt(int executions, PlanSummary? plan) => new("SELECT 1", [], executions, null, null, plan, null, null, [], plan is null ? "COPY statements have no plan to show" : null);

        var p = new ProfileRecord(3, 6, 5, [], [Stmt(1, Plan(10, 4, 0)), Stmt(5, Plan(3, 0, 100)), Stmt(1, null)], []);
        Assert.Equal(10 + (5 * 3), p.RowsProcessed);
        Assert.Equal(4, p.TempBlocks);
        Assert.Equal(5 * 100, p.WalBytes);

        // A run of an older QueryLab (no counters in its plans), or only statements without a plan: null, never 0.
        var old = new ProfileRecord(1, 1, 1, [], [Stmt(1, Plan(null, 0, null))], []);
        Assert.Null(old.RowsProcessed);
        Assert.Null(old.WalBytes);
        Assert.Null(new ProfileRecord(1, 1, 1, [], [Stmt(1, null)], []).RowsProcessed);
    }

    /// <summary>
    /// The shape PostgreSQL 15 writes for <c>EXPLAIN (ANALYZE, BUFFERS, WAL, FORMAT JSON) INSERT INTO u SELECT * FROM
    /// (SELECT * FROM t ORDER BY pad) s</c>, t of 100 rows, with a tiny work_mem: every node repeats its children's temp
    /// blocks and WAL.
    /// </summary>
    private const string InsertFromSortedSelect =
        """
        [{"Plan": {"Node Type": "ModifyTable", "Operation": "Insert", "Parallel Aware": false, "Relation Name": "u", "Alias": "u",
          "Actual Rows": 0, "Actual Loops": 1, "Actual Startup Time": 2.1, "Actual Total Time": 2.1,
          "Temp Read Blocks": 30, "Temp Written Blocks": 30, "WAL Records": 212, "WAL FPI": 1, "WAL Bytes": 19840,
          "Plans": [{"Node Type": "Subquery Scan", "Parent Relationship": "Outer", "Alias": "s", "Actual Rows": 100, "Actual Loops": 1,
            "Actual Startup Time": 1.5, "Actual Total Time": 1.6, "Temp Read Blocks": 30, "Temp Written Blocks": 30, "WAL Records": 0, "WAL FPI": 0, "WAL Bytes": 0,
            "Plans": [{"Node Type": "Sort", "Parent Relationship": "Subquery", "Actual Rows": 100, "Actual Loops": 1, "Actual Startup Time": 1.5, "Actual Total Time": 1.55,
              "Sort Method": "external merge", "Sort Space Used": 240, "Sort Space Type": "Disk",
              "Temp Read Blocks": 30, "Temp Written Blocks": 30, "WAL Records": 0, "WAL FPI": 0, "WAL Bytes": 0,
              "Plans": [{"Node Type": "Seq Scan", "Parent Relationship": "Outer", "Relation Name": "t", "Alias": "t", "Actual Rows": 100, "Actual Loops": 1,
                "Actual Startup Time": 0.01, "Actual Total Time": 0.2, "Temp Read Blocks": 0, "Temp Written Blocks": 0, "WAL Records": 0, "WAL FPI": 0, "WAL Bytes": 0}]}]}]},
          "Planning Time": 0.1, "Triggers": [], "Execution Time": 2.3}]
        """;
}
