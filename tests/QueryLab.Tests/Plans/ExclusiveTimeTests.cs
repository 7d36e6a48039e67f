using QueryLab.Bench.Plans;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Plans;

/// <summary>Exclusive time on real plans: CTEs, InitPlans and parallel workers counted once, adding up to the execution time.</summary>
[Collection(LabCollection.Name)]
public class ExclusiveTimeTests(LabFixture fixture)
{
    [Fact]
    public async Task A_CTE_is_charged_to_the_scans_that_read_it()
    {
        var lab = await PlanLab.GetAsync(fixture);
        var a = await lab.ExplainAsync("""
            WITH g AS MATERIALIZED (SELECT a, count(*) AS c, sum(v) AS s FROM items GROUP BY a)
            SELECT x.a, x.c, y.s FROM g x JOIN g y ON y.a = x.a WHERE x.c > 10
            """);

        var cte = PlanAssert.One(a, n => n.SubplanName == "CTE g", "CTE g");
        var scans = a.Nodes.Where(n => n.NodeType == "CTE Scan").ToList();
        Assert.Equal(2, scans.Count);
        PlanAssert.TimesAddUp(a);

        // Aggregating 200,000 rows is the work; reading 300 rows twice from the CTE's tuplestore is not.
        Assert.True(scans.Sum(s => s.ExclusiveTime) < cte.InclusiveTime * 0.5, PlanText.Render(a));
        var cteOwn = cte.DescendantsAndSelf().Sum(n => n.ExclusiveTime);
        Assert.True(cteOwn > a.ExecutionTime * 0.5, PlanText.Render(a));

        // Subtracting every child, the CTE included, from the node it hangs under would go negative.
        var owner = a.Nodes.Single(n => n.Children.Contains(cte));
        Assert.True(owner.InclusiveTime - owner.Children.Sum(c => c.InclusiveTime) < 0);
        Assert.True(owner.ExclusiveTime < cte.InclusiveTime * 0.5);
    }

    [Fact]
    public async Task An_InitPlan_is_charged_to_the_node_that_uses_its_value()
    {
        var lab = await PlanLab.GetAsync(fixture);
        var a = await lab.ExplainAsync(
            "SELECT count(*) FROM items i WHERE i.v < (SELECT count(*) FROM items WHERE payload LIKE '%abc%')",
            new Dictionary<string, string> { ["enable_bitmapscan"] = "off" });

        var initPlan = PlanAssert.One(a, n => n.ParentRelationship == "InitPlan", "InitPlan");
        Assert.StartsWith("InitPlan 1 (returns $0)", initPlan.SubplanName);
        var consumer = PlanAssert.One(a, n => n.Conditions.Any(c => c.Value.Contains("$0", StringComparison.Ordinal)), "node reading $0");
        Assert.Equal("items_v_idx", consumer.IndexName);
        Assert.Contains(consumer, a.Root.Children);
        PlanAssert.TimesAddUp(a);

        // The LIKE over 200,000 rows is the InitPlan's; the index scan reading the ~1,500 rows it counts, and the count, are cheap.
        Assert.True(consumer.ExclusiveTime < initPlan.InclusiveTime * 0.5, PlanText.Render(a));
        Assert.True(a.Root.ExclusiveTime < initPlan.InclusiveTime * 0.5, PlanText.Render(a));
        Assert.True(a.Root.InclusiveTime - a.Root.Children.Sum(c => c.InclusiveTime) < 0, "naive subtraction would count the InitPlan twice");
    }

    [Fact]
    public async Task Parallel_workers_time_is_elapsed_time_not_the_sum_over_processes()
    {
        var lab = await PlanLab.GetAsync(fixture);
        var a = await lab.ExplainAsync("SELECT count(*) FROM items WHERE payload LIKE '%abc%'", Parallel);

        var gather = PlanAssert.One(a, n => n.NodeType == "Gather", "Gather");
        var scan = PlanAssert.One(a, n => n.NodeType == "Seq Scan", "Seq Scan");
        Assert.True(scan.ParallelAware);
        var launched = gather.WorkersLaunched!.Value;
        var processes = (int)Math.Min(launched + 1, scan.ActualLoops!.Value);
        Assert.Equal(processes, scan.ParallelProcesses);
        Assert.Equal(scan.ActualTotalTime!.Value * scan.ActualLoops.Value / processes, scan.InclusiveTime, 1e-9);
        Assert.Equal(1, gather.ParallelProcesses);
        Assert.True(scan.InclusiveTime <= gather.InclusiveTime + 1.0, PlanText.Render(a));
        PlanAssert.TimesAddUp(a);
    }

    internal static readonly Dictionary<string, string> Parallel = new()
    {
        ["max_parallel_workers_per_gather"] = "2",
        ["parallel_setup_cost"] = "0",
        ["parallel_tuple_cost"] = "0",
        ["min_parallel_table_scan_size"] = "0",
    };
}
