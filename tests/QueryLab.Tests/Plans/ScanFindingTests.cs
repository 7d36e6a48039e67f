using QueryLab.Bench.Findings;
using QueryLab.Bench.Plans;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Plans;

/// <summary>Scans that read far more than they keep, and index-only scans that still visit the heap.</summary>
[Collection(LabCollection.Name)]
public class ScanFindingTests(LabFixture fixture)
{
    [Fact]
    public async Task A_seq_scan_that_keeps_few_of_many_rows_asks_for_an_index()
    {
        var lab = await PlanLab.GetAsync(fixture);
        var a = await lab.ExplainAsync("SELECT * FROM items WHERE payload LIKE 'abc%'");

        var scan = PlanAssert.One(a, n => n.NodeType == "Seq Scan", "Seq Scan");
        var f = PlanAssert.Single(a, FindingCodes.SeqScanLargeTable, scan);
        Assert.True(f.Severity >= Severity.Warning);
        Assert.Contains("200,000 rows", f.Message, StringComparison.Ordinal);
        Assert.Contains("index on items", f.Fix, StringComparison.Ordinal);

        // One cause, one finding: the filter's removed rows are the seq scan's finding.
        Assert.DoesNotContain(a.Findings, x => x.Code == FindingCodes.RowsRemovedByFilter);

        // The threshold is a setting.
        var lenient = PlanAnalyzer.Analyze(await lab.ExplainJsonAsync("SELECT * FROM items WHERE payload LIKE 'abc%'"), FindingThresholds.Default with { SeqScanMinRows = 1_000_000 });
        PlanAssert.None(lenient, FindingCodes.SeqScanLargeTable);
    }

    [Fact]
    public async Task A_seq_scan_that_keeps_most_rows_is_not_reported()
    {
        var lab = await PlanLab.GetAsync(fixture);
        var a = await lab.ExplainAsync("SELECT count(payload) FROM items WHERE a >= 3"); // no index on a; keeps 99%
        Assert.Contains(a.Nodes, n => n.NodeType == "Seq Scan");
        PlanAssert.None(a, FindingCodes.SeqScanLargeTable);
        PlanAssert.None(a, FindingCodes.RowsRemovedByFilter);
    }

    [Fact]
    public async Task An_index_scan_whose_filter_throws_most_rows_away()
    {
        var lab = await PlanLab.GetAsync(fixture);
        var a = await lab.ExplainAsync(
            "SELECT * FROM items WHERE v < 20000 AND a = 3",
            new Dictionary<string, string> { ["enable_bitmapscan"] = "off", ["enable_seqscan"] = "off" });

        var scan = PlanAssert.One(a, n => n.NodeType == "Index Scan", "Index Scan");
        Assert.Equal("items_v_idx", scan.IndexName);
        var f = PlanAssert.Single(a, FindingCodes.RowsRemovedByFilter, scan);
        Assert.True(f.Severity >= Severity.Warning, f.ToString()); // ~99.7% removed
        Assert.Contains("(a = 3)", f.Message, StringComparison.Ordinal);
        Assert.Contains("index", f.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_index_only_scan_visits_the_heap_until_the_table_is_vacuumed()
    {
        var lab = await PlanLab.GetAsync(fixture);
        await lab.ExecuteAsync(
            "DROP TABLE IF EXISTS fetches",
            "CREATE TABLE fetches (id int PRIMARY KEY, v int NOT NULL) WITH (autovacuum_enabled = false)",
            "INSERT INTO fetches SELECT i, (i * 7919) % 100000 FROM generate_series(1, 100000) i",
            "CREATE INDEX fetches_v_idx ON fetches (v)",
            "ANALYZE fetches");
        var settings = new Dictionary<string, string> { ["enable_bitmapscan"] = "off", ["enable_seqscan"] = "off" };
        const string sql = "SELECT v FROM fetches WHERE v < 2000";

        var before = await lab.ExplainAsync(sql, settings);
        var scan = PlanAssert.One(before, n => n.NodeType == "Index Only Scan", "Index Only Scan");
        Assert.Equal(2000, scan.HeapFetches);
        var f = PlanAssert.Single(before, FindingCodes.HeapFetches, scan);
        Assert.Equal(Severity.Warning, f.Severity);
        Assert.Contains("VACUUM fetches", f.Fix, StringComparison.Ordinal);

        await lab.ExecuteAsync("VACUUM fetches");
        var after = await lab.ExplainAsync(sql, settings);
        Assert.Equal(0, after.Nodes.Single(n => n.NodeType == "Index Only Scan").HeapFetches);
        PlanAssert.None(after, FindingCodes.HeapFetches);
        Assert.Equal(before.ShapeHash, after.ShapeHash);
    }
}
