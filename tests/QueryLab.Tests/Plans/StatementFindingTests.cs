using QueryLab.Bench.Findings;
using QueryLab.Bench.Plans;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Plans;

/// <summary>Findings about the statement as a whole — JIT, planning, cold cache, workers — and its hot node.</summary>
[Collection(LabCollection.Name)]
public class StatementFindingTests(LabFixture fixture)
{
    [Fact]
    public async Task JIT_that_costs_more_than_it_saves()
    {
        var lab = await PlanLab.GetAsync(fixture);
        var a = await lab.ExplainAsync(
            "SELECT a, sum(v), avg(b) FROM items WHERE v > 10 GROUP BY a",
            new Dictionary<string, string> { ["jit"] = "on", ["jit_above_cost"] = "0", ["jit_inline_above_cost"] = "0", ["jit_optimize_above_cost"] = "0" });

        if (!await lab.JitAvailableAsync())
        {
            // A server built without LLVM: no JIT section, so no finding.
            Assert.Null(a.Jit);
            PlanAssert.None(a, FindingCodes.JitShare);
            return;
        }

        Assert.True(a.Jit!.Functions > 0);
        Assert.True(a.Jit.TotalMs > 0);
        var f = Assert.Single(a.Findings, x => x.Code == FindingCodes.JitShare);
        Assert.Equal("", f.NodePath);
        Assert.Contains("jit_above_cost", f.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Planning_longer_than_execution_asks_to_prepare()
    {
        var lab = await PlanLab.GetAsync(fixture);
        // Twelve tables whose join order the planner searches exhaustively (tens of ms), and an id that does not
        // exist: execution is one index probe that finds nothing, so the other eleven scans never run.
        var joins = string.Concat(Enumerable.Range(2, 11).Select(k => $" JOIN items i{k} ON i{k}.id = i{k - 1}.v"));
        var a = await lab.ExplainAsync(
            $"SELECT i12.payload FROM items i1{joins} WHERE i1.id = $1",
            new Dictionary<string, string> { ["join_collapse_limit"] = "12", ["geqo_threshold"] = "13" },
            parameters: [-1],
            warm: true);

        Assert.True(a.PlanningTime > a.ExecutionTime, $"planning {a.PlanningTime} ms, execution {a.ExecutionTime} ms");
        var f = Assert.Single(a.Findings, x => x.Code == FindingCodes.PlanningShare);
        Assert.Contains("auto-prepare", f.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cold_cache_is_reported_once_then_warm()
    {
        var lab = await PlanLab.GetAsync(fixture);

        // CREATE TABLE AS writes through a 16 MB ring of shared buffers, so most of a ~30 MB table is not in
        // shared buffers afterwards: the first scan reads it, the second finds it.
        await lab.ExecuteAsync(
            "DROP TABLE IF EXISTS cold",
            "CREATE TABLE cold WITH (autovacuum_enabled = false) AS SELECT i AS id, repeat('x', 250) AS filler FROM generate_series(1, 100000) i");
        const string sql = "SELECT count(*) FROM cold";

        var first = await lab.ExplainAsync(sql);
        Assert.True(first.CacheHitRate < 0.9, $"hit rate {first.CacheHitRate}");
        var f = Assert.Single(first.Findings, x => x.Code == FindingCodes.CacheMisses);
        Assert.Equal(Severity.Info, f.Severity);

        var second = await lab.ExplainAsync(sql);
        Assert.True(second.CacheHitRate >= 0.9, $"hit rate {second.CacheHitRate}");
        PlanAssert.None(second, FindingCodes.CacheMisses);
    }

    [Fact]
    public async Task Parallel_workers_that_never_started()
    {
        var lab = await PlanLab.GetAsync(fixture);
        var settings = new Dictionary<string, string>(ExclusiveTimeTests.Parallel) { ["max_parallel_workers"] = "0" };
        var a = await lab.ExplainAsync("SELECT count(*) FROM items WHERE payload LIKE '%abc%'", settings);

        var gather = PlanAssert.One(a, n => n.NodeType == "Gather", "Gather");
        Assert.True(gather.WorkersPlanned > 0);
        Assert.Equal(0, gather.WorkersLaunched);
        var f = PlanAssert.Single(a, FindingCodes.WorkersNotLaunched, gather);
        Assert.Equal(Severity.Warning, f.Severity);
        PlanAssert.TimesAddUp(a);
    }

    [Fact]
    public async Task The_node_with_most_of_the_time_is_named()
    {
        var lab = await PlanLab.GetAsync(fixture);
        var a = await lab.ExplainAsync("SELECT * FROM items ORDER BY payload", new Dictionary<string, string> { ["work_mem"] = "256MB" });

        var sort = PlanAssert.One(a, n => n.NodeType == "Sort", "Sort");
        Assert.Same(sort, a.TopNodes[0].Node);
        Assert.True(a.TopNodes[0].Share > 0.5, PlanText.Render(a));
        Assert.Equal(2, a.TopNodes.Count); // the Sort and its Seq Scan: no more nodes than the plan has
        var f = PlanAssert.Single(a, FindingCodes.HotNode, sort);
        Assert.StartsWith("Sort is ", f.Message, StringComparison.Ordinal);
    }
}
