using QueryLab.Bench.Findings;
using QueryLab.Bench.Plans;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Plans;

/// <summary>Row estimates off by orders of magnitude, reported where they start.</summary>
[Collection(LabCollection.Name)]
public class EstimateFindingTests(LabFixture fixture)
{
    [Fact]
    public async Task Correlated_columns_are_under_estimated_until_extended_statistics()
    {
        var lab = await PlanLab.GetAsync(fixture);
        await lab.ExecuteAsync(
            "DROP TABLE IF EXISTS correlated",
            "CREATE TABLE correlated (id int PRIMARY KEY, a int NOT NULL, b int NOT NULL) WITH (autovacuum_enabled = false)",
            "INSERT INTO correlated SELECT i, i % 300, i % 300 FROM generate_series(1, 100000) i",
            "ANALYZE correlated");
        const string sql = "SELECT * FROM correlated WHERE a = 7 AND b = 7 ORDER BY id";

        // a = 7 keeps 1/300 and so does b = 7; assumed independent, 1/90,000 of 100,000 rows: 1 row, not 333.
        var a = await lab.ExplainAsync(sql);
        var scan = PlanAssert.One(a, n => n.NodeType == "Seq Scan", "Seq Scan");
        var sort = PlanAssert.One(a, n => n.NodeType == "Sort", "Sort");
        Assert.Equal(EstimateDirection.Under, scan.RowEstimate!.Direction);
        var f = PlanAssert.Single(a, FindingCodes.RowEstimate, scan);
        Assert.Equal(Severity.Warning, f.Severity); // ≈333×
        Assert.Contains("CREATE STATISTICS", f.Fix, StringComparison.Ordinal);

        // The sort above inherits the same error; it is reported once, where it starts.
        Assert.True(sort.RowEstimate!.Factor >= 100);
        Assert.DoesNotContain(a.Findings, x => x.Code == FindingCodes.RowEstimate && x.NodePath == sort.Path);

        await lab.ExecuteAsync("CREATE STATISTICS correlated_ab (dependencies) ON a, b FROM correlated", "ANALYZE correlated");
        var fixedPlan = await lab.ExplainAsync(sql);
        PlanAssert.None(fixedPlan, FindingCodes.RowEstimate);
        Assert.True(fixedPlan.Nodes.Single(n => n.NodeType == "Seq Scan").RowEstimate!.Factor < 10);
    }

    [Fact]
    public async Task Fewer_rows_than_planned_below_a_Limit_is_expected_not_reported()
    {
        var lab = await PlanLab.GetAsync(fixture);
        var a = await lab.ExplainAsync("SELECT * FROM items ORDER BY id LIMIT 5");

        var scan = PlanAssert.One(a, n => n.NodeType == "Index Scan", "Index Scan");
        Assert.Equal(EstimateDirection.Over, scan.RowEstimate!.Direction);
        Assert.True(scan.RowEstimate.Factor >= 1000); // 200,000 planned, 5 read: the Limit stopped it
        PlanAssert.None(a, FindingCodes.RowEstimate);
    }
}
