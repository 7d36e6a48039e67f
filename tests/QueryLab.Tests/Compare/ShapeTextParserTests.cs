using QueryLab.Bench.Compare;
using QueryLab.Bench.Plans;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Compare;

/// <summary>results.json keeps shape texts, not plans: the parser rebuilds enough of the tree for PlanShape.Diff.</summary>
[Trait("Category", "Serverless")]
public class ShapeTextParserTests
{
    [Fact]
    public void A_real_plan_shape_round_trips()
    {
        var golden = PlanAnalyzer.Analyze(File.ReadAllText(Path.Combine(LabFixture.RepoRoot, "tests", "QueryLab.Tests", "Plans", "Golden", "cte-initplan-parallel.json")));
        var parsed = ShapeTextParser.Parse(golden.ShapeText);

        Assert.NotNull(parsed);
        Assert.Equal(golden.ShapeText, PlanShape.Text(parsed));
        Assert.Empty(PlanShape.Diff(golden.Root, parsed));
    }

    [Theory]
    [InlineData("Hash Right Anti Join\n  Seq Scan on a\n  Hash  [Inner]\n    Parallel Index Only Scan Backward using b_pkey on b\n")]
    [InlineData("Finalize GroupAggregate\n  Gather Merge\n    Partial HashAggregate\n      Parallel Seq Scan on t\n")]
    [InlineData("Update on shipments\n  Bitmap Heap Scan on shipments\n    Bitmap Index Scan on shipments_status_idx\n")]
    [InlineData("Result\n  CTE Scan on x\n  HashSetOp\n  Function Scan on generate_series  [CTE x]\n  Result  [InitPlan 1 (returns $0)]\n  Index Scan using t_pkey on t  [SubPlan 2]\n")]
    public void Node_names_joins_strategies_and_subplans_round_trip(string shape)
    {
        Assert.Equal(shape, PlanShape.Text(ShapeTextParser.Parse(shape)!));
    }

    [Fact]
    public void The_diff_speaks_of_scans_joins_and_added_nodes()
    {
        Assert.Equal(
            ["join strategy changed: Nested Loop → Hash Join (at the root)", "scan changed: Index Scan using carriers_pkey on carriers → Seq Scan on carriers (under Hash Join)"],
            PlanDiffLines.Between(
                "Nested Loop\n  Seq Scan on shipments\n  Index Scan using carriers_pkey on carriers  [Inner]\n",
                "Hash Join\n  Seq Scan on shipments\n  Seq Scan on carriers  [Inner]\n"));
    }

    [Fact]
    public void A_shape_it_cannot_rebuild_falls_back_to_the_nodes_only_one_side_has()
    {
        Assert.Null(ShapeTextParser.Parse("Limit\n      Seq Scan on t\n")); // skips a level
        Assert.Equal(["removed Index Scan using t_pkey on t", "added Seq Scan on t"], PlanDiffLines.Between("Limit\n      Index Scan using t_pkey on t\n", "Limit\n      Seq Scan on t\n"));
    }
}
