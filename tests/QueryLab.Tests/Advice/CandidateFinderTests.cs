using QueryLab.Bench.Advice;
using QueryLab.Bench.Findings;
using QueryLab.Bench.Plans;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Advice;

/// <summary>
/// Candidates read from real plans (PostgreSQL 15, the lab at scale small, saved by `querylab advise` into
/// Plans/Golden/advise/) and from the expressions EXPLAIN prints.
/// </summary>
[Trait("Category", "Serverless")]
public class CandidateFinderTests
{
    private static PlanAnalysis Golden(string name) =>
        PlanAnalyzer.Analyze(File.ReadAllText(Path.Combine(LabFixture.RepoRoot, "tests", "QueryLab.Tests", "Plans", "Golden", "advise", name)));

    [Fact]
    public void A_filter_that_tests_a_constant_becomes_a_partial_index_on_the_range_it_scans()
    {
        // Bitmap Heap Scan on shipments s, Recheck Cond: created_at range, Filter: (delivered_at IS NOT NULL), 82% removed.
        var plan = Golden("bitmap-filter-not-null.json");
        var source = Assert.Single(CandidateFinder.For(plan, sql: null));
        Assert.Equal(FindingCodes.RowsRemovedByFilter, source.Code);
        Assert.Equal("1.1", source.NodePath);
        Assert.Equal("shipments", source.Candidate.Table);
        Assert.Equal(["created_at"], source.Candidate.Keys);
        Assert.Equal("(delivered_at IS NOT NULL)", source.Candidate.Predicate);
        Assert.Equal(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS shipments_created_at_delivered_at_not_null_idx ON querylab.shipments (created_at) WHERE (delivered_at IS NOT NULL)",
            source.Candidate.CreateSql(concurrently: true));
    }

    [Fact]
    public void Subplans_correlated_on_an_outer_column_put_that_column_first()
    {
        // Two correlated SubPlans, each a Bitmap Heap Scan with Recheck Cond (carrier_id = s.carrier_id) AND a created_at range.
        var plan = Golden("subplans-bitmap-and-jit.json");
        var sources = CandidateFinder.For(plan, sql: null);
        var c = Assert.Single(sources).Candidate; // the two subplans propose the same index: merged
        Assert.Equal(["carrier_id", "created_at"], c.Keys);
        Assert.Equal("(delivered_at IS NOT NULL)", c.Predicate);
    }

    [Fact]
    public void A_literal_written_in_the_statement_is_a_constant_and_a_parameter_value_is_a_key()
    {
        const string filter = "(((status)::text = 'in_transit'::text) AND (ROW(created_at, id) <= ROW('2025-12-30 23:58:55+00'::timestamp with time zone, '2bce043c-8da9-4531-8f94-ed367f75930a'::uuid)))";
        var written = PlanPredicates.Read(filter, "s", "SELECT … FROM querylab.shipments s WHERE s.status = 'in_transit' AND (s.created_at, s.id) <= ($1, $2)");
        Assert.Equal([PredicateKind.Constant, PredicateKind.Range], written.Select(p => p.Kind).ToArray());
        Assert.Equal(["created_at", "id"], written[1].Columns);

        var bound = PlanPredicates.Read(filter, "s", "SELECT … WHERE s.status = $1 AND (s.created_at, s.id) <= ($2, $3)");
        Assert.Equal(PredicateKind.Equality, bound[0].Kind);
        Assert.Equal(["status"], bound[0].Columns);
    }

    [Theory]
    [InlineData("(shipment_id = s.id)", "te", PredicateKind.Equality, "shipment_id")]
    [InlineData("(te.shipment_id = s.id)", "te", PredicateKind.Equality, "shipment_id")]
    [InlineData("(id = ANY ('{1,2}'::uuid[]))", null, PredicateKind.Equality, "id")]
    [InlineData("((occurred_at >= '2025-10-03 00:00:00+00'::timestamp with time zone))", null, PredicateKind.Range, "occurred_at")]
    [InlineData("(delivered_at IS NULL)", null, PredicateKind.Constant, "delivered_at")]
    [InlineData("(lower((code)::text) ~~ 'a%'::text)", null, PredicateKind.Other, null)]
    [InlineData("(SubPlan 1)", null, PredicateKind.Other, null)]
    public void Each_kind_of_conjunct(string expression, string? alias, PredicateKind kind, string? column)
    {
        var p = Assert.Single(PlanPredicates.Read(expression, alias, sql: null));
        Assert.Equal(kind, p.Kind);
        Assert.Equal(column is null ? [] : [column], p.Columns);
    }

    [Fact]
    public void Conjuncts_split_at_the_top_level_only_and_never_inside_a_literal()
    {
        Assert.Equal(
            ["a = 1", "b = 2 OR c = 3", "d = ' AND x'::text"],
            PlanPredicates.Conjuncts("((a = 1) AND (b = 2 OR c = 3) AND (d = ' AND x'::text))"));
    }

    [Fact]
    public void A_name_that_would_pass_63_bytes_is_cut_and_kept_unique()
    {
        var a = new IndexCandidate("tracking_events", ["shipment_id", "occurred_at DESC", "id DESC", "status", "location"], "((status)::text = 'out_for_delivery_and_more'::text)", []);
        var b = a with { Keys = ["shipment_id", "occurred_at DESC", "id DESC", "status", "carrier"] };
        Assert.True(a.Name.Length <= 63, a.Name);
        Assert.NotEqual(a.Name, b.Name);
        Assert.EndsWith("_idx", a.Name, StringComparison.Ordinal);
        Assert.StartsWith("CREATE UNIQUE INDEX x_a_key ON querylab.x (a)", new IndexCandidate("x", ["a"], null, [], Unique: true).CreateSql(false), StringComparison.Ordinal);
    }
}
