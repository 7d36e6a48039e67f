using QueryLab.Bench.Findings;
using QueryLab.Bench.Plans;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Plans;

/// <summary>
/// The arithmetic, to the microsecond, on one real plan saved from PostgreSQL 15 (Golden/cte-initplan-parallel.json):
/// <code>
/// WITH x AS MATERIALIZED (SELECT a, count(*) c FROM t GROUP BY a)
/// SELECT * FROM x WHERE c > (SELECT min(id) FROM t WHERE v &lt; 5) AND a = ANY (SELECT a FROM x WHERE c > 300)
/// </code>
/// with parallel plans forced: a CTE computed through a Gather with two workers, an InitPlan used by a CTE
/// Scan's filter, and a second CTE Scan that never ran. The Gather's workers are waited for at shutdown, so
/// the CTE (269.054 ms) took longer than the CTE Scan that read it (201.635 ms).
/// </summary>
[Trait("Category", "Serverless")]
public class GoldenPlanTests
{
    private const double Us = 0.0005;

    private static PlanAnalysis Golden() =>
        PlanAnalyzer.Analyze(File.ReadAllText(Path.Combine(LabFixture.RepoRoot, "tests", "QueryLab.Tests", "Plans", "Golden", "cte-initplan-parallel.json")));

    [Fact]
    public void Parallel_nodes_are_divided_by_the_processes_that_ran_them()
    {
        var a = Golden();
        var partial = a.Node("1.1.1.1")!;
        Assert.Equal("Partial HashAggregate", partial.Label);
        Assert.Equal(3, partial.ParallelProcesses); // 2 workers launched + the leader; 3 loops
        Assert.Equal(47.592, partial.InclusiveTime, Us); // 47.592 × 3 loops ÷ 3 processes
        Assert.Equal(47.592 - 25.105, partial.ExclusiveTime, Us);
        Assert.Equal(268.773 - 47.592, a.Node("1.1.1")!.ExclusiveTime, Us); // the Gather: worker start-up and shutdown
        Assert.Equal(1, a.Node("1.1.1")!.ParallelProcesses);
    }

    [Fact]
    public void InitPlan_goes_to_its_consumer_and_the_CTE_to_its_scan_then_up_to_its_owner()
    {
        var a = Golden();
        var scan = a.Node("1.3")!;
        Assert.Equal("CTE Scan on x", scan.Label);
        Assert.Equal("(c > $3)", scan.Condition("Filter"));

        // InitPlan 2 (0.100) is charged to the scan whose filter reads $3; the CTE (269.054) fills the rest of
        // the scan's 201.635 and its remaining 67.519 goes to the Hash Semi Join the CTE hangs under.
        Assert.Equal(0, scan.ExclusiveTime, Us);
        Assert.Equal(269.299 - 201.635 - 0 - (269.054 - (201.635 - 0.100)), a.Root.ExclusiveTime, Us);
        Assert.Equal(0.100 - 0.092, a.Node("1.2")!.ExclusiveTime, Us);
        Assert.Equal(269.054 - 268.773, a.Node("1.1")!.ExclusiveTime, Us);
        Assert.False(a.Node("1.4.1")!.Executed);

        // Every node is counted once: the exclusive times add up to the root's time exactly.
        Assert.Equal(269.299, a.Nodes.Sum(n => n.ExclusiveTime), Us);
    }

    [Fact]
    public void Statement_totals_estimates_and_findings()
    {
        var a = Golden();
        Assert.Equal(7.999, a.PlanningTime, Us);
        Assert.Equal(269.995, a.ExecutionTime, Us);
        Assert.Equal(1038, a.Buffers.SharedHit);
        Assert.Equal(1.0, a.CacheHitRate);
        Assert.Null(a.Jit);
        Assert.Equal("0", a.Settings["min_parallel_table_scan_size"]);

        var seqScan = a.Node("1.1.1.1.1")!.RowEstimate!;
        Assert.Equal(EstimateDirection.Over, seqScan.Direction); // 33,333 per process against 41,667 planned
        Assert.Equal(41667.0 / 33333, seqScan.Factor, 1e-9);
        Assert.Null(a.Node("1.4.1")!.RowEstimate); // never executed

        // The CTE Scan returned nothing where 100 rows were planned (100×); the join above only inherits it.
        Assert.Equal(
            [(Severity.Warning, FindingCodes.RowEstimate, "1.3"), (Severity.Info, FindingCodes.HotNode, "1.1.1")],
            a.Findings.Select(f => (f.Severity, f.Code, f.NodePath)).ToArray());
        Assert.Equal("1.1.1", a.TopNodes[0].Node.Path);
        Assert.Equal((268.773 - 47.592) / 269.995, a.TopNodes[0].Share, 1e-6);
    }

    [Fact]
    public void Shape_text_has_names_and_no_numbers()
    {
        var a = Golden();
        Assert.Equal(
            """
            Hash Semi Join
              Finalize HashAggregate  [CTE x]
                Gather
                  Partial HashAggregate
                    Parallel Seq Scan on t
              Aggregate  [InitPlan 2 (returns $3)]
                Index Scan using t_v_idx on t
              CTE Scan on x
              Hash  [Inner]
                CTE Scan on x

            """.ReplaceLineEndings("\n"),
            a.ShapeText);
        Assert.Matches("^[0-9a-f]{16}$", a.ShapeHash);
        Assert.Equal(PlanShape.Hash(a.ShapeText), a.ShapeHash);
        Assert.Empty(PlanShape.Diff(a, Golden()));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"Query\": 1}")]
    [InlineData("[{\"Plan\": {\"Total Cost\": 1}}]")]
    public void Text_that_is_not_a_plan_is_refused(string text)
    {
        Assert.Throws<FormatException>(() => PlanAnalyzer.Analyze(text));
    }

    [Theory]
    [InlineData(0, 0, 1, EstimateDirection.None)]
    [InlineData(0, 500, 500, EstimateDirection.Over)]
    [InlineData(1000, 10, 100, EstimateDirection.Under)]
    [InlineData(0.5, 1, 1, EstimateDirection.None)]
    public void Estimate_factor_floors_both_sides_at_one_row(double actual, double planned, double factor, EstimateDirection direction)
    {
        var e = RowEstimate.Of(actual, planned);
        Assert.Equal(factor, e.Factor, 1e-9);
        Assert.Equal(direction, e.Direction);
    }
}
