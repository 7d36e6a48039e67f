using QueryLab.Bench.Findings;
using QueryLab.Bench.Pipeline;
using QueryLab.Bench.Plans;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Plans;

/// <summary>
/// `querylab explain --plan FILE` from the command line (on PostgreSQL 15's golden plans, and psql's prints of a plan), and
/// on files that are not plans. Every shape on every major, in both formats: <see cref="GoldenShapeTests"/>.
/// </summary>
[Trait("Category", "Serverless")]
public class PlanFileTests
{
    private static readonly string Shapes = PlanMajors.Shapes;

    [Fact]
    public async Task Explain_plan_prints_the_tree_the_findings_and_the_index_a_finding_suggests_with_no_server()
    {
        var r = await CliRunner.RunAsync(new Dictionary<string, string?> { ["QUERYLAB_CONNECTION"] = "Host=nowhere.invalid" }, "explain", "--plan", PlanMajors.PathOf(15, "memoize.txt"));
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
        var both = await CliRunner.RunAsync(null, "explain", "--plan", PlanMajors.PathOf(15, "jit.json"), "--scenario", "pending-page");
        Assert.True(both.ExitCode == 2, both.All);
        Assert.Contains("leave out --scenario", both.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Node_types_and_fields_it_does_not_know_are_read_never_a_crash()
    {
        var json = File.ReadAllText(PlanMajors.PathOf(15, "memoize.json"))
            .Replace("\"Memoize\"", "\"Frobnicate\"", StringComparison.Ordinal)
            .Replace("\"Cache Key\"", "\"Future Field\": {\"Nested\": [1, 2, {\"x\": null}]}, \"Cache Key\"", StringComparison.Ordinal);
        var a = PlanAnalyzer.Analyze(json);
        Assert.Contains(a.Nodes, n => n.NodeType == "Frobnicate");
        Assert.Contains("Frobnicate", PlanText.Render(a), StringComparison.Ordinal);

        var text = File.ReadAllText(PlanMajors.PathOf(15, "memoize.txt")).Replace("->  Memoize", "->  Frobnicate Thing", StringComparison.Ordinal) + "\n  Some Future Line: 42\n";
        var t = PlanAnalyzer.Analyze(PlanTextReader.ToJson(text));
        Assert.Contains(t.Nodes, n => n.NodeType == "Frobnicate Thing");
    }
}
