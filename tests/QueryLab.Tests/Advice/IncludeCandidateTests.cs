using QueryLab.Bench.Advice;
using QueryLab.Bench.Findings;
using QueryLab.Bench.Pipeline;
using QueryLab.Bench.Plans;
using QueryLab.Tests.Infrastructure;
using QueryLab.Tests.Plans;

namespace QueryLab.Tests.Advice;

/// <summary>
/// advise's INCLUDE candidates and heap-fetch advice derived from the golden plans of every major
/// (Plans/Golden/shapes/pg*/, made by generate.sh): index-scan-few-columns is an Index Scan of 3,000 rows of g_items
/// returning id, grp, note through an index on grp alone (explained with VERBOSE); index-only-heap-fetches is an Index
/// Only Scan of g_vis whose pages are not all-visible.
/// </summary>
[Trait("Category", "Serverless")]
public class IncludeCandidateTests
{
    public static TheoryData<int, string> MajorsAndFormats
    {
        get
        {
            var d = new TheoryData<int, string>();
            foreach (var major in PlanMajors.All)
            {
                d.Add(major, ".json");
                d.Add(major, ".txt");
            }

            return d;
        }
    }

    [Theory]
    [MemberData(nameof(MajorsAndFormats))]
    public void An_index_scan_reading_the_heap_for_columns_its_index_lacks_proposes_the_same_keys_with_those_columns_as_INCLUDE(int major, string ext)
    {
        var plan = PlanMajors.Read(major, "index-scan-few-columns" + ext);
        var scan = Assert.Single(plan.Nodes, n => n.NodeType == "Index Scan");
        Assert.Equal("g_items_grp_idx", scan.IndexName);
        Assert.Equal("id, grp, note", scan.Condition("Output")); // one table: VERBOSE names its columns without the alias

        var source = Assert.Single(CandidateFinder.For(plan, "SELECT id, grp, note FROM g_items WHERE grp < 10"));
        Assert.Equal(IncludeColumns.Code, source.Code);
        Assert.Equal(scan.Path, source.NodePath);
        Assert.Equal("querylab.g_items (grp) INCLUDE (id, note)", source.Candidate.ToString());
        Assert.Equal("CREATE INDEX CONCURRENTLY IF NOT EXISTS g_items_grp_incl_id_note_idx ON g_items (grp) INCLUDE (id, note)", source.Candidate.CreateSql(concurrently: true, schema: null));
        Assert.StartsWith("Index Scan using g_items_grp_idx on g_items read the heap for 3,000 rows only for id, note", source.Why, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(MajorsAndFormats))]
    public void A_heap_fetching_index_only_scan_proposes_no_index_and_says_VACUUM(int major, string ext)
    {
        var plan = PlanMajors.Read(major, "index-only-heap-fetches" + ext);
        var scan = Assert.Single(plan.Nodes, n => n.NodeType == "Index Only Scan");
        Assert.True(scan.HeapFetches > 0.9 * scan.TotalActualRows, $"{scan.HeapFetches} of {scan.TotalActualRows}");
        Assert.Contains(plan.Findings, f => f is { Code: FindingCodes.HeapFetches, Severity: Severity.Warning });
        Assert.Empty(CandidateFinder.For(plan, sql: null));
        var remedy = Assert.Single(NotAnIndex.For(plan, "x/y", 2));
        Assert.Equal(("x/y", 2, scan.Path), (remedy.Operation, remedy.Statement, remedy.NodePath));
        Assert.StartsWith("VACUUM g_vis: its visibility map is out of date", remedy.Remedy, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_VERBOSE_or_with_too_few_rows_or_too_many_columns_or_a_whole_row_there_is_no_INCLUDE_candidate()
    {
        // The same scans without the columns they return: no Output, no INCLUDE candidate (update-returning's scan has 300 rows, and its Output would hold ctid).
        Assert.DoesNotContain(CandidateFinder.For(PlanMajors.Read(15, "update-returning.json"), sql: null), s => s.Code == IncludeColumns.Code);
        Assert.Equal(["id", "grp", "note"], IncludeColumns.Columns("id, grp, note", "g_items"));
        Assert.Equal(["id", "note"], IncludeColumns.Columns("g.id, g.note, g.id", "g"));
        Assert.Null(IncludeColumns.Columns("g.id, lower(g.note)", "g")); // an expression: which columns it needs is not read
        Assert.Null(IncludeColumns.Columns("g.*", "g"));
        Assert.Null(IncludeColumns.Columns("g.ctid, g.id", "g"));
        Assert.Null(IncludeColumns.Columns("g.\"Odd Name\"", "g"));
        Assert.Null(IncludeColumns.Columns("h.id, g.id", "g"));

        var plan = PlanMajors.Read(16, "index-scan-few-columns.json");
        var scan = plan.Nodes.Single(n => n.NodeType == "Index Scan");
        var parents = plan.Nodes.SelectMany(n => n.Children.Select(c => (c.Path, n))).ToDictionary(x => x.Path, x => x.n);
        var wide = scan with { Conditions = [.. scan.Conditions.Where(c => c.Key != "Output"), new("Output", "id, grp, note, v, w")] };
        Assert.Null(IncludeColumns.For(wide, parents, null));
        Assert.Null(IncludeColumns.For(scan with { ActualRows = 999, ActualLoops = 1 }, parents, null));
        Assert.NotNull(IncludeColumns.For(scan with { ActualRows = 500, ActualLoops = 2 }, parents, null)); // rows over all loops
    }

    [Fact]
    public void A_scan_returning_its_whole_table_row_under_an_aggregate_includes_only_what_the_nodes_above_it_use()
    {
        // The planner's physical target list: under an aggregate a scan returns every column, used or not.
        var scan = PlanMajors.Read(15, "index-scan-few-columns.json").Root;
        scan = scan with { Path = "1.1", Conditions = [.. scan.Conditions.Where(c => c.Key != "Output"), new("Output", "id, grp, v, note")] };
        var aggregate = new PlanNode { NodeType = "Aggregate", Path = "1", Conditions = [new("Output", "grp, count(*), max(note)"), new("Group Key", "grp")], Children = [scan] };
        var source = IncludeColumns.For(scan, new Dictionary<string, PlanNode> { ["1.1"] = aggregate }, sql: null);
        Assert.Equal("querylab.g_items (grp) INCLUDE (note)", source?.Candidate.ToString());

        // Several tables: every column is qualified, and only the scan's alias counts (b.note is another table's).
        var joined = scan with { Alias = "a", Conditions = [new("Index Cond", "(a.grp < 10)"), new("Output", "a.id, a.grp, a.v, a.note")] };
        var join = new PlanNode { NodeType = "Hash Join", Path = "1", Conditions = [new("Output", "a.v, b.note"), new("Hash Cond", "(b.id = a.grp)")], Children = [joined] };
        Assert.Equal("querylab.g_items (grp) INCLUDE (v)", IncludeColumns.For(joined, new Dictionary<string, PlanNode> { ["1.1"] = join }, sql: null)?.Candidate.ToString());
    }

    [Fact]
    public void Advice_md_and_json_list_what_an_index_would_not_fix()
    {
        var heap = PlanMajors.Read(18, "index-only-heap-fetches.json");
        var results = new AdviceResults(
            AdviceResults.Version, "r", "querylab advise", "tiny", "PostgreSQL 18", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, 0.2, ["a/b"], [], [], new LabRestored(true, true, true, "ok"))
        { OtherRemedies = NotAnIndex.For(heap, "a/b", 1) };
        var md = AdviceReport.Render(results);
        Assert.Contains("## Findings an index would not fix", md, StringComparison.Ordinal);
        Assert.Contains("| a/b #1 (node 1) | `heap-fetches`: Index Only Scan using g_vis_k_idx on g_vis went to the heap", md, StringComparison.Ordinal);
        Assert.Contains("\"otherRemedies\"", AdviceReport.Json(results), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_plan_prints_the_INCLUDE_candidate_and_for_heap_fetches_VACUUM_instead_of_an_index_with_no_server()
    {
        var r = await CliRunner.RunAsync(
            new Dictionary<string, string?> { ["QUERYLAB_CONNECTION"] = "Host=nowhere.invalid" }, "explain", "--plan", PlanMajors.PathOf(17, "index-scan-few-columns.txt"));
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("CREATE INDEX CONCURRENTLY IF NOT EXISTS g_items_grp_incl_id_note_idx ON g_items (grp) INCLUDE (id, note);  -- include-columns at node 1", r.Out, StringComparison.Ordinal);

        var heap = await CliRunner.RunAsync(null, "explain", "--plan", PlanMajors.PathOf(13, "index-only-heap-fetches.json"));
        Assert.True(heap.ExitCode == 0, heap.All);
        Assert.DoesNotContain("Index candidates", heap.Out, StringComparison.Ordinal);
        Assert.Contains("heap-fetches at node 1: VACUUM g_vis: its visibility map is out of date", heap.Out, StringComparison.Ordinal);
    }
}
