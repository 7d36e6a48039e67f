using QueryLab.Bench.Compare;
using QueryLab.Bench.Results;
using static QueryLab.Tests.Compare.CompareRuns;

namespace QueryLab.Tests.Compare;

/// <summary>The executor's counters in a comparison: rows processed, temp blocks and WAL bytes gated like buffers, and what is shown but not gated.</summary>
[Trait("Category", "Serverless")]
public class WorkComparerTests
{
    private static CompareReport Compare(RunResults baseline, RunResults candidate) => RunComparerTests.Compare(baseline, candidate);

    /// <summary>Every plan of the run with executor counters, as this QueryLab records them.</summary>
    private static RunResults Counted(RunResults r, long rows = 120, long temp = 0, long? wal = null, long fpi = 0, bool parallel = false, bool writes = false) => r with
    {
        Scenarios = r.Scenarios.Select(s => s with
        {
            Variants = s.Variants.Select(v => WithPlans(v, p => p with { RowsProcessed = rows, TempBlocks = temp, WalBytes = wal, WalRecords = wal is null ? null : 3, WalFpi = wal is null ? null : fpi, Parallel = parallel, Writes = writes })).ToList(),
        }).ToList(),
    };

    private static RunResults Changed(RunResults r, Func<PlanSummary, PlanSummary> change) =>
        With(r, "pending-page", "dapper", v => WithPlans(v, change));

    private static MetricChange Change(CompareReport r, string metric) =>
        r.All.Single(c => c.Scenario == "pending-page" && c.Variant == "dapper" && c.Metric == metric);

    [Fact]
    public void More_rows_processed_than_the_threshold_is_a_counter_regression_with_the_exit_code_of_a_regression()
    {
        var r = Compare(Counted(Run()), Changed(Counted(Run()), p => p with { RowsProcessed = 150 }));

        var g = Assert.Single(r.Regressions);
        Assert.Equal((ChangeKind.Counter, "rows processed", PendingSql, "120 rows", "150 rows", "+25.0%"), (g.Kind, g.Metric, g.Statement, g.BaselineText, g.CandidateText, g.ChangeText));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("| pending-page | dapper | counter | rows processed of `", CompareMarkdown.Render(r), StringComparison.Ordinal);

        var annotations = new StringWriter();
        GitHubActions.Annotate(r, annotations);
        Assert.Contains("::error title=QueryLab regression%3A pending-page / dapper::counter rows processed of one statement: 120 rows → 150 rows, +25.0%", annotations.ToString(), StringComparison.Ordinal);

        // Within the counters threshold it is unchanged; fewer rows beyond it is an improvement.
        Assert.Equal(Outcome.Unchanged, Change(Compare(Counted(Run()), Changed(Counted(Run()), p => p with { RowsProcessed = 140 })), "rows processed").Outcome);
        Assert.Equal(Outcome.Improvement, Change(Compare(Counted(Run()), Changed(Counted(Run()), p => p with { RowsProcessed = 60 })), "rows processed").Outcome);
    }

    [Fact]
    public void Temp_blocks_and_the_WAL_bytes_of_writes_are_gated_like_buffers()
    {
        var temp = Compare(Counted(Run(), temp: 100), Changed(Counted(Run(), temp: 100), p => p with { TempBlocks = 180 }));
        var t = Assert.Single(temp.Regressions);
        Assert.Equal(("temp blocks", "100 blocks", "180 blocks", "+80.0%"), (t.Metric, t.BaselineText, t.CandidateText, t.ChangeText));

        var spill = Compare(Counted(Run()), Changed(Counted(Run()), p => p with { TempBlocks = 12 }));
        Assert.Equal("from 0 to 12 blocks", Assert.Single(spill.Regressions).ChangeText); // a sort that now spills

        var wal = Compare(Counted(Run(), wal: 4_000, writes: true), Changed(Counted(Run(), wal: 4_000, writes: true), p => p with { WalBytes = 6_000 }));
        var w = Assert.Single(wal.Regressions);
        Assert.Equal(("WAL bytes", "3.9 KiB", "5.9 KiB", "+50.0%"), (w.Metric, w.BaselineText, w.CandidateText, w.ChangeText));
    }

    [Fact]
    public void Counts_that_are_not_reproducible_are_shown_as_not_decided_never_as_a_regression()
    {
        var parallel = Compare(Counted(Run(), parallel: true), Changed(Counted(Run(), parallel: true), p => p with { RowsProcessed = 300 }));
        Assert.Empty(parallel.Regressions);
        Assert.Contains("a parallel plan", Change(parallel, "rows processed").Note, StringComparison.Ordinal);
        Assert.Contains("| rows processed of `" + PendingSql[..20], CompareMarkdown.Render(parallel), StringComparison.Ordinal);
        Assert.Matches(@"\| 120 rows \| 300 rows \| \+150% \| a parallel plan: ", CompareMarkdown.Render(parallel)); // the change and why it is not gated
        Assert.Equal(Outcome.Unknown, Change(parallel, "rows processed").Outcome);

        var fpi = Compare(Counted(Run(), wal: 4_000, writes: true), Changed(Counted(Run(), wal: 4_000, writes: true), p => p with { WalBytes = 12_192, WalFpi = 1 }));
        Assert.Empty(fpi.Regressions);
        Assert.StartsWith("full-page images 0 → 1: ", Change(fpi, "WAL bytes").Note, StringComparison.Ordinal);

        var read = Compare(Counted(Run(), wal: 0), Changed(Counted(Run(), wal: 0), p => p with { WalBytes = 300 }));
        Assert.Empty(read.Regressions);
        Assert.Equal(Outcome.Unknown, Change(read, "WAL bytes").Outcome);
        Assert.Contains("only reads", Change(read, "WAL bytes").Note, StringComparison.Ordinal);
        Assert.Equal(0, read.ExitCode);
    }

    [Fact]
    public void A_baseline_without_executor_counters_compares_the_rest_and_says_what_it_did_not_compare()
    {
        // CompareRuns.Run() is a run as an older QueryLab wrote it: no rows processed, no WAL in its plans.
        var r = Compare(Run(), Changed(Counted(Run(), rows: 5_000, wal: 9_000, writes: true), p => p));

        Assert.Equal(0, r.ExitCode);
        Assert.Empty(r.Regressions);
        Assert.DoesNotContain(r.All, c => c.Metric is "rows processed" or "WAL bytes");
        Assert.Equal(
            "11 of 11 variants have executor counters (rows processed, WAL bytes) in one run only (a run of an older QueryLab, or a server without EXPLAIN's WAL option): those counters were not compared",
            Assert.Single(r.Warnings));
    }

    [Fact]
    public void When_the_statements_differ_the_counters_are_compared_over_all_of_them_times_their_executions()
    {
        var b = Counted(Run(), rows: 100);
        var c = With(Counted(Run(), rows: 100), "in-transit-with-carrier-and-latest-event", "ef-n-plus-one", v => WithProfile(v, p => p with
        {
            // The carrier lookup rewritten (another SQL text) and now processing 4 rows each time instead of 100.
            DistinctStatements = [p.DistinctStatements[0], p.DistinctStatements[1] with { Sql = CarrierSql + " AND true", Plan = p.DistinctStatements[1].Plan! with { RowsProcessed = 4 } }, p.DistinctStatements[2]],
        }));
        var r = Compare(b, c);

        var all = r.All.Single(x => x.Variant == "ef-n-plus-one" && x.Metric == "rows processed (all statements)");
        Assert.Equal((Outcome.Improvement, 100 + (100 * 20) + (100 * 20), 100 + (4 * 20) + (100 * 20)), (all.Outcome, (int)all.Baseline!, (int)all.Candidate!));
    }
}
