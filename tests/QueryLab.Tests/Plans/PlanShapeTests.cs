using QueryLab.Bench.Plans;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Plans;

/// <summary>The shape hash as a plan-change signal, and the diff that names what changed.</summary>
[Collection(LabCollection.Name)]
public class PlanShapeTests(LabFixture fixture)
{
    [Fact]
    public async Task The_same_query_with_other_parameter_values_has_the_same_shape()
    {
        var lab = await PlanLab.GetAsync(fixture);
        const string sql = "SELECT * FROM items WHERE v = $1";
        var first = await lab.ExplainAsync(sql, parameters: [42]);
        var second = await lab.ExplainAsync(sql, parameters: [187_654]);

        Assert.Equal("Index Scan using items_v_idx on items\n", first.ShapeText);
        Assert.Equal(first.ShapeHash, second.ShapeHash);
        Assert.Empty(PlanShape.Diff(first, second));
        Assert.DoesNotContain("42", first.ShapeText, StringComparison.Ordinal);
        Assert.Matches("^[0-9a-f]{16}$", first.ShapeHash);
    }

    [Fact]
    public async Task Dropping_the_index_changes_the_shape_and_the_diff_says_how()
    {
        var lab = await PlanLab.GetAsync(fixture);
        await lab.ExecuteAsync(
            "DROP TABLE IF EXISTS shapes",
            "CREATE TABLE shapes (id int PRIMARY KEY, v int NOT NULL, note text NOT NULL) WITH (autovacuum_enabled = false)",
            "INSERT INTO shapes SELECT i, (i * 7919) % 50000, md5(i::text) FROM generate_series(1, 50000) i",
            "CREATE INDEX shapes_v_idx ON shapes (v)",
            "CREATE INDEX shapes_v_note_idx ON shapes (v, note)", // wider, so (v) wins while it exists
            "VACUUM ANALYZE shapes");
        const string sql = "SELECT * FROM shapes WHERE v = $1";
        var noBitmap = new Dictionary<string, string> { ["enable_bitmapscan"] = "off" };

        var withIndex = await lab.ExplainAsync(sql, noBitmap, [42]);
        Assert.Equal("Index Scan using shapes_v_idx on shapes\n", withIndex.ShapeText);

        // The wider index on (v, note) takes over: the index changed, the scan did not.
        await lab.ExecuteAsync("DROP INDEX shapes_v_idx");
        var otherIndex = await lab.ExplainAsync(sql, noBitmap, [42]);
        Assert.NotEqual(withIndex.ShapeHash, otherIndex.ShapeHash);
        Assert.Equal(
            ["index changed on shapes: shapes_v_idx → shapes_v_note_idx (Index Scan using shapes_v_idx on shapes → Index Scan using shapes_v_note_idx on shapes) (at the root)"],
            PlanShape.Diff(withIndex, otherIndex));

        // No index left on v: a sequential scan.
        await lab.ExecuteAsync("DROP INDEX shapes_v_note_idx");
        var noIndex = await lab.ExplainAsync(sql, noBitmap, [42]);
        Assert.NotEqual(otherIndex.ShapeHash, noIndex.ShapeHash);
        var diff = Assert.Single(PlanShape.Diff(withIndex, noIndex));
        Assert.Contains("Index Scan using shapes_v_idx on shapes → Seq Scan on shapes", diff, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_join_strategy_and_an_added_node_are_named()
    {
        var lab = await PlanLab.GetAsync(fixture);
        const string sql = "SELECT a.id, b.payload FROM items a JOIN items b ON b.id = a.v WHERE a.id <= 50 ORDER BY b.payload";
        var hash = await lab.ExplainAsync(sql, new Dictionary<string, string> { ["enable_nestloop"] = "off", ["enable_mergejoin"] = "off" });
        var loop = await lab.ExplainAsync(sql, new Dictionary<string, string> { ["enable_hashjoin"] = "off", ["enable_mergejoin"] = "off" });

        Assert.Contains(hash.Nodes, n => n.NodeType == "Hash Join");
        Assert.Contains(loop.Nodes, n => n.NodeType == "Nested Loop");
        var diff = PlanShape.Diff(hash, loop);
        Assert.Contains(diff, line => line.StartsWith("join strategy changed: Hash Join → Nested Loop", StringComparison.Ordinal));
        Assert.Contains(diff, line => line.StartsWith("removed Hash", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_plan_that_was_not_run_has_the_same_shape_and_no_times()
    {
        var lab = await PlanLab.GetAsync(fixture);
        const string sql = "SELECT a, count(*) FROM items WHERE v < 5000 GROUP BY a ORDER BY a";
        var ran = await lab.ExplainAsync(sql);
        var planned = PlanAnalyzer.Analyze(await lab.PlanOnlyJsonAsync(sql));

        Assert.Equal(ran.ShapeText, planned.ShapeText);
        Assert.All(planned.Nodes, n => Assert.Null(n.RowEstimate));
        Assert.All(planned.Nodes, n => Assert.Equal(0, n.ExclusiveTime));
        Assert.Empty(planned.Findings);
        Assert.DoesNotContain("never executed", PlanText.Render(planned), StringComparison.Ordinal);
    }
}
