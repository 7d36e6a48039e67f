using QueryLab.Bench.Findings;
using QueryLab.Bench.Pipeline;
using QueryLab.Bench.Plans;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Plans;

/// <summary>
/// `querylab explain --plan FILE` on real plans of many shapes (Golden/shapes/, made by its generate.sh on PostgreSQL 15:
/// each query explained once in JSON and once in text), and on files that are not plans.
/// </summary>
[Trait("Category", "Serverless")]
public class PlanFileTests
{
    private static readonly string Shapes = Path.Combine(LabFixture.RepoRoot, "tests", "QueryLab.Tests", "Plans", "Golden", "shapes");

    public static TheoryData<string> Names => new(
        "seq-scan-filter", "parallel-aggregate", "gather-merge", "cte-initplan-subplan", "memoize", "incremental-sort", "append-partitions",
        "jit", "insert-returning-trigger", "update-returning", "sort-limit-spill", "hash-join-spill", "nested-loop-inner-filter");

    private static PlanAnalysis Read(string file) => PlanFileExplanation.Read(Path.Combine(Shapes, file), file).Analysis;

    [Theory]
    [MemberData(nameof(Names))]
    public void The_text_format_reads_as_the_same_plan_as_the_JSON_and_every_node_s_own_time_adds_up(string name)
    {
        var json = Read(name + ".json");
        var text = Read(name + ".txt");
        Assert.Equal(json.ShapeText, text.ShapeText);
        Assert.Equal(json.Nodes.Count(), text.Nodes.Count());
        foreach (var a in new[] { json, text })
        {
            Assert.True(a.ExecutionTime > 0);
            if (name != "cte-initplan-subplan")
            {
                // Not there: a CTE first read inside an InitPlan is charged to both (TimeAttribution's known limit, left as it is).
                Assert.Equal(a.Root.InclusiveTime, a.Nodes.Sum(n => n.ExclusiveTime), 0.01);
            }

            Assert.All(a.Nodes, n => Assert.True(n.ExclusiveTime >= 0, n.Label));
        }

        // Counters that do not depend on the clock read the same from both formats (the two runs read the same pages).
        Assert.Equal(json.Nodes.Select(n => n.Condition("Filter")), text.Nodes.Select(n => n.Condition("Filter")));
        Assert.Equal(json.Nodes.Select(n => n.Executed), text.Nodes.Select(n => n.Executed));
    }

    [Fact]
    public void Each_shape_is_read_for_what_makes_it_that_shape()
    {
        foreach (var ext in new[] { ".json", ".txt" })
        {
            var parallel = Read("parallel-aggregate" + ext);
            Assert.Contains(parallel.Nodes, n => n.NodeType is "Gather" or "Gather Merge" && n.WorkersLaunched > 0);
            Assert.Contains(parallel.Nodes, n => n.PartialMode == "Partial" && n.ParallelProcesses > 1);
            Assert.Contains(Read("gather-merge" + ext).Nodes, n => n.NodeType == "Gather Merge");

            var cte = Read("cte-initplan-subplan" + ext);
            Assert.Contains(cte.Nodes, n => n.SubplanName == "CTE big");
            Assert.Contains(cte.Nodes, n => n.ParentRelationship == "InitPlan" && n.SubplanName!.StartsWith("InitPlan", StringComparison.Ordinal));
            Assert.Contains(cte.Nodes, n => n.ParentRelationship == "SubPlan" && !n.Executed);

            var memoize = Read("memoize" + ext);
            Assert.Contains(memoize.Nodes, n => n.NodeType == "Memoize");
            Assert.Contains(memoize.Findings, f => f.Code == FindingCodes.SeqScanLargeTable);
            Assert.Contains(Read("incremental-sort" + ext).Nodes, n => n.NodeType == "Incremental Sort");
            Assert.Equal(["g_parts_2024", "g_parts_2025"], Read("append-partitions" + ext).Nodes.Where(n => n.RelationName is not null).Select(n => n.RelationName!).Order().ToArray());

            var jit = Read("jit" + ext).Jit;
            Assert.NotNull(jit);
            Assert.True(jit.Functions > 0 && jit.TotalMs > 0);

            var insert = Read("insert-returning-trigger" + ext);
            Assert.Equal(("ModifyTable", "Insert"), (insert.Root.NodeType, insert.Root.Operation));
            Assert.Equal(2, insert.Triggers.Count);
            Assert.True(insert.Work.Writes);
            Assert.True(insert.Work.Wal!.Bytes > 0);
            Assert.Equal("Update", Read("update-returning" + ext).Root.Operation);
            Assert.Contains(Read("sort-limit-spill" + ext).Findings, f => f.Code == FindingCodes.SortSpill);
            Assert.Contains(Read("hash-join-spill" + ext).Findings, f => f.Code == FindingCodes.HashSpill);
        }
    }

    [Fact]
    public async Task Explain_plan_prints_the_tree_the_findings_and_the_index_a_finding_suggests_with_no_server()
    {
        var r = await CliRunner.RunAsync(new Dictionary<string, string?> { ["QUERYLAB_CONNECTION"] = "Host=nowhere.invalid" }, "explain", "--plan", Path.Combine(Shapes, "memoize.txt"));
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("(EXPLAIN text; 5 node(s), 2 finding(s))", r.Out, StringComparison.Ordinal);
        Assert.Contains("Seq Scan on g_items a", r.Out, StringComparison.Ordinal);
        Assert.Contains("fix: Add an index on g_items", r.Out, StringComparison.Ordinal);
        Assert.Contains("CREATE INDEX CONCURRENTLY IF NOT EXISTS g_items_v_idx ON g_items (v);", r.Out, StringComparison.Ordinal);

        var psql = await CliRunner.RunAsync(null, "explain", "--plan", Path.Combine(Shapes, "psql-aligned-json.out"));
        Assert.True(psql.ExitCode == 0, psql.All);
        Assert.Contains("EXPLAIN JSON, as psql prints it", psql.Out, StringComparison.Ordinal);
        var aligned = await CliRunner.RunAsync(null, "explain", "--plan", Path.Combine(Shapes, "psql-aligned-text.out"));
        Assert.True(aligned.ExitCode == 0, aligned.All);
        Assert.Contains("seq-scan-large-table", aligned.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("[{\"Plan\": {\"Node Type\": \"Seq Scan\", \"Plans\": [", "is not JSON")]
    [InlineData("{\"Query\": 1}", "no \"Plan\" object")]
    [InlineData("[{\"Plan\": {\"Plans\": []}}]", "a plan node has no \"Node Type\"")]
    [InlineData("[{\"Plan\": {\"Node Type\": \"Seq Scan\", \"Plans\": [7]}}]", "is not a plan QueryLab can read")]
    [InlineData("hello, this is not a plan", "line 1: 'hello, this is not a plan' is not a plan node")]
    public async Task A_plan_QueryLab_cannot_read_is_exit_2_naming_what(string content, string said)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("querylab-plan-").FullName, "plan.json");
        await File.WriteAllTextAsync(file, content);
        var r = await CliRunner.RunAsync(null, "explain", "--plan", file);
        Assert.True(r.ExitCode == 2, r.All);
        var line = Assert.Single(r.Err.Trim().Split('\n'));
        Assert.StartsWith("error: --plan ", line, StringComparison.Ordinal);
        Assert.Contains(said, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_and_a_plan_with_a_scenario_are_exit_2()
    {
        var missing = await CliRunner.RunAsync(null, "explain", "--plan", "/nonexistent/plan.json");
        Assert.True(missing.ExitCode == 2, missing.All);
        Assert.Contains("cannot read it", missing.Err, StringComparison.Ordinal);
        var both = await CliRunner.RunAsync(null, "explain", "--plan", Path.Combine(Shapes, "jit.json"), "--scenario", "pending-page");
        Assert.True(both.ExitCode == 2, both.All);
        Assert.Contains("leave out --scenario", both.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Node_types_and_fields_it_does_not_know_are_read_never_a_crash()
    {
        var json = File.ReadAllText(Path.Combine(Shapes, "memoize.json"))
            .Replace("\"Memoize\"", "\"Frobnicate\"", StringComparison.Ordinal)
            .Replace("\"Cache Key\"", "\"Future Field\": {\"Nested\": [1, 2, {\"x\": null}]}, \"Cache Key\"", StringComparison.Ordinal);
        var a = PlanAnalyzer.Analyze(json);
        Assert.Contains(a.Nodes, n => n.NodeType == "Frobnicate");
        Assert.Contains("Frobnicate", PlanText.Render(a), StringComparison.Ordinal);

        var text = File.ReadAllText(Path.Combine(Shapes, "memoize.txt")).Replace("->  Memoize", "->  Frobnicate Thing", StringComparison.Ordinal) + "\n  Some Future Line: 42\n";
        var t = PlanAnalyzer.Analyze(PlanTextReader.ToJson(text));
        Assert.Contains(t.Nodes, n => n.NodeType == "Frobnicate Thing");
    }
}
