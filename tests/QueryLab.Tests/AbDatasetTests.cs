using QueryLab.Bench.Ab;
using QueryLab.Bench.Compare;
using QueryLab.Bench.Results;
using QueryLab.Seed;
using QueryLab.Seed.Seeding;
using static QueryLab.Tests.Compare.CompareRuns;

namespace QueryLab.Tests;

/// <summary>
/// How ab judges its two databases without a server: the manifests and schemas of base and head as
/// <see cref="DatabaseState"/> values, the lines it prints, the seed mismatches it refuses, and which variants'
/// time it leaves out; and what it reads from a base's command line.
/// </summary>
[Trait("Category", "Serverless")]
public class AbDatasetTests
{
    private static readonly SeedRequest Asked = new(Scale.Tiny, 42);

    [Fact]
    public void Two_databases_of_the_same_schema_and_data_agree_everywhere_and_nothing_is_left_out()
    {
        var verdict = DatasetJudge.Judge(State(), State(), Asked, "main (abc)");

        Assert.Empty(verdict.Changes);
        Assert.Empty(verdict.Differs);
        Assert.Equal("both databases hold scale tiny seed 42 (generator v1); the data agrees in every seeded table (carriers, shipments)", verdict.Summary);
    }

    [Fact]
    public void An_index_the_head_adds_is_named_and_the_table_stays_comparable_on_time()
    {
        var head = State() with { Indexes = Indexes(new IndexState("shipments_tracking_number_key", "shipments", true, "btree (tracking_number)")) };

        var verdict = DatasetJudge.Judge(State(), head, Asked, "main (abc)");

        Assert.Empty(verdict.Differs);
        Assert.Equal(
            "querylab.shipments: the same data in both databases; the head adds unique index shipments_tracking_number_key (btree (tracking_number)): compared on counters, plans and time",
            Assert.Single(verdict.Changes));
    }

    [Fact]
    public void A_column_the_head_drops_makes_the_table_differ_with_the_reason_in_one_line()
    {
        var baseDb = State(carriers: ["id integer", "name character varying(100)", "note text"], carriersChecksum: "other") with
        {
            Migrations = new Dictionary<string, string> { ["0001_lab_schema"] = "a", ["0004_note"] = "b" },
        };

        var verdict = DatasetJudge.Judge(baseDb, State(), Asked, "main (abc)");

        Assert.Equal("the head drops column note text", verdict.Differs["carriers"]);
        Assert.Equal(
            [
                "querylab.carriers: the head drops column note text; its data differs between the two databases, so variants that read it are compared on counters and plans, not on time",
                "migrations: only the base applied 0004_note",
            ],
            verdict.Changes);
        Assert.EndsWith("the data agrees in 1 of 2 seeded tables (shipments) and differs in carriers", verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_generator_version_may_make_other_rows_and_says_so()
    {
        var head = State(generator: "2", carriersChecksum: "other", carrierRows: 11);

        var verdict = DatasetJudge.Judge(State(), head, Asked, "main (abc)");

        Assert.Equal("the head's generator v2 makes other rows than the base's v1 (10 and 11 rows)", verdict.Differs["carriers"]);
        Assert.False(verdict.Differs.ContainsKey("shipments")); // the new generator left that table as it was
        Assert.StartsWith("both databases hold scale tiny seed 42 (generator v1 in the base, v2 in the head);", verdict.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Other_data_under_the_same_schema_and_generator_version_is_a_seed_mismatch_exit_2_in_one_line()
    {
        var ex = Assert.Throws<LabException>(() => DatasetJudge.Judge(State(), State(carriersChecksum: "0123456789abcdef0123"), Asked, "main (abc)"));

        Assert.Equal(ExitCode.BadInput, ex.Code);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.StartsWith(
            "seed mismatch: the two ab databases hold other data where their schemas agree: querylab.carriers (checksum c-carriers in querylab_ab_base, 0123456789ab… in querylab_ab_head; 10 and 10 rows), with the same columns and generator v1 on both sides",
            ex.Message,
            StringComparison.Ordinal);
        Assert.EndsWith("bump the version with the change, or fix the generator", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_base_that_seeds_another_seed_or_leaves_its_seed_incomplete_is_refused()
    {
        var otherSeed = State() with { Manifest = State().Manifest! with { Seed = 7 } };
        var incomplete = State() with { Manifest = State().Manifest! with { Status = SeedManifest.Incomplete } };

        var seed = Assert.Throws<LabException>(() => DatasetJudge.Judge(otherSeed, State(), Asked, "main (abc)"));
        var partial = Assert.Throws<LabException>(() => DatasetJudge.Judge(incomplete, State(), Asked, "main (abc)"));
        var none = Assert.Throws<LabException>(() => DatasetJudge.Judge(State() with { Manifest = null }, State(), Asked, "main (abc)"));

        Assert.Equal(ExitCode.BadInput, seed.Code);
        Assert.Equal(
            "seed mismatch: the base main (abc) was asked to seed querylab_ab_base with scale tiny seed 42 and it holds scale tiny seed 7 (generator v1); the two databases would hold other datasets: pick another --base-ref",
            seed.Message);
        Assert.StartsWith("the base main (abc) seeded querylab_ab_base but left its seed manifest incomplete;", partial.Message, StringComparison.Ordinal);
        Assert.StartsWith("the base main (abc) seeded querylab_ab_base but left no seed manifest this querylab can read;", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_view_that_reads_a_table_whose_data_differs_differs_too()
    {
        var view = new RelationState("daily_volume", true, ["day date"], "SELECT …", ["carriers"]);
        var baseDb = State(carriers: ["id integer", "note text"], carriersChecksum: "other");
        baseDb = baseDb with { Relations = new Dictionary<string, RelationState>(baseDb.Relations) { ["daily_volume"] = view } };
        var head = State();
        head = head with { Relations = new Dictionary<string, RelationState>(head.Relations) { ["daily_volume"] = view } };

        var verdict = DatasetJudge.Judge(baseDb, head, Asked, "main (abc)");

        Assert.Equal("it reads querylab.carriers, whose data differs", verdict.Differs["daily_volume"]);
    }

    [Fact]
    public void Time_is_left_out_only_for_variants_whose_statements_name_a_relation_that_differs()
    {
        var verdict = new DatasetVerdict(["querylab.carriers: …"], "…", new Dictionary<string, string> { ["carriers"] = "the head adds column x integer" });
        var run = Run();

        var scope = TimeScope.For(verdict, run, run);

        Assert.Equal(
            ["ef-include", "ef-n-plus-one", "npgsql-lateral"], // the scenario that reads carriers; lookups and pages read shipments only
            scope.TimeNotCompared.Keys.Select(k => $"{k.Variant}").Order(StringComparer.Ordinal));
        Assert.All(scope.TimeNotCompared.Keys, k => Assert.Equal("in-transit-with-carrier-and-latest-event", k.Scenario));
        Assert.All(scope.TimeNotCompared.Values, why => Assert.Equal("time not compared: querylab.carriers holds other data in the two databases (the head adds column x integer)", why));
        Assert.Equal(["querylab.carriers: …"], scope.DatasetNotes);
    }

    [Theory]
    [InlineData("SELECT s.id FROM querylab.shipments AS s", true)]
    [InlineData("SELECT * FROM querylab.\"shipments\" s", true)]
    [InlineData("SELECT * FROM \"querylab\".\"shipments\"", true)]
    [InlineData("SELECT * FROM querylab.shipments_archive", false)]
    [InlineData("SELECT * FROM querylab.carriers JOIN querylab.shipments ON true", true)]
    [InlineData("SELECT 'querylab.shipmentsx'", false)]
    public void A_statement_names_a_relation_only_as_a_whole_qualified_identifier(string sql, bool names)
    {
        Assert.Equal(names, TimeScope.Names(sql, "shipments"));
    }

    [Fact]
    public void The_options_a_verb_lists_are_read_from_its_help_and_another_verbs_help_is_not_taken_for_it()
    {
        const string help = """
            Description:
              Verify, then time every variant.

            Usage:
              querylab bench [options]

            Options:
              -s, --scenario <scenario>  Scenario name or glob.
              --no-profile               Time only.
              -?, -h, --help             Show help and usage information
            """;
        const string root = "Description:\n  QueryLab\n\nUsage:\n  querylab [command] [options]\n\nOptions:\n  --version  Show version\n";

        Assert.Equal(["--help", "--no-profile", "--scenario"], BuildAbilities.OptionsListed(help, "bench")!.Order(StringComparer.Ordinal));
        Assert.Null(BuildAbilities.OptionsListed(root, "bench"));
        Assert.Null(BuildAbilities.OptionsListed(help, "seed"));
    }

    [Fact]
    public async Task A_base_whose_querylab_cannot_show_a_verbs_help_is_refused_with_what_it_said()
    {
        var notAnApp = Path.Combine(AppContext.BaseDirectory, "QueryLab.Seed.dll"); // a library: dotnet cannot run it

        var ex = await Assert.ThrowsAsync<LabException>(() => BuildAbilities.AskAsync(notAnApp, "old (abc)", CancellationToken.None));

        Assert.Equal(ExitCode.BadInput, ex.Code);
        Assert.StartsWith("the base old (abc) has no `querylab seed` this ab can run (its `seed --help` exited ", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith("pick a newer --base-ref, or compare with a stored baseline (querylab compare --baseline)", ex.Message, StringComparison.Ordinal);
        Assert.True((await BuildAbilities.AskAsync(Path.Combine(AppContext.BaseDirectory, "querylab.dll"), "this", CancellationToken.None)).TakesRoundOptions);
    }

    [Fact]
    public void Each_round_gets_its_share_of_iterations_only_the_last_profiles_and_only_the_head_gets_the_delays()
    {
        var options = new AbOptions("main", 3, Bench.Timing.BenchProfile.Ci, "lookup-*", 5, ["lookup-by-tracking-number/dapper=50us"], Asked, CompareSettings.Default, "/r", "querylab ab", new Bench.Lab.ServerChoice(null, "embedded"));
        var head = AbBuild.Head("/repo");
        var oldBase = new AbBuild(AbSide.Base, "old", "/b/querylab.dll", "/b", new BuildAbilities(TakesRoundOptions: false));

        Assert.Equal(
            "bench --profile ci --scenario lookup-* --reports /r/head-1 --iterations 5 --no-profile --inject-delay lookup-by-tracking-number/dapper=50us --inject-at auto",
            string.Join(' ', ChildBench.Arguments(options, head, new AbStep(1, AbSide.Head), "/r/head-1")));
        Assert.Equal(
            "bench --profile ci --scenario lookup-* --reports /r/head-3 --iterations 5 --inject-delay lookup-by-tracking-number/dapper=50us --inject-at auto",
            string.Join(' ', ChildBench.Arguments(options, head, new AbStep(3, AbSide.Head), "/r/head-3")));
        Assert.Equal("bench --profile ci --scenario lookup-* --reports /r/base-1", string.Join(' ', ChildBench.Arguments(options, oldBase, new AbStep(1, AbSide.Base), "/r/base-1")));
    }

    [Fact]
    public void A_comparison_with_a_scope_takes_another_generator_and_leaves_the_named_variants_time_out()
    {
        var baseline = Run(runId: "base");
        var candidate = Run(runId: "head") with { Dataset = baseline.Dataset with { GeneratorVersion = "2" } };
        var left = new VariantRef("pending-page", "dapper");

        var refused = Assert.Throws<LabException>(() => RunComparer.Compare(baseline, "b", candidate, "c", CompareSettings.Default));
        var report = RunComparer.Compare(baseline, "b", candidate, "c", CompareSettings.Default, new CompareScope(["querylab.carriers: why"], new Dictionary<VariantRef, string> { [left] = "time not compared: because" }));

        Assert.Contains($"generator version {baseline.Dataset.GeneratorVersion} vs 2", refused.Message, StringComparison.Ordinal);
        Assert.Contains("querylab.carriers: why", report.Warnings);
        var time = Assert.Single(report.All, c => c.Kind == ChangeKind.Time && c.Scenario == left.Scenario && c.Variant == left.Variant);
        Assert.Equal(Outcome.Unknown, time.Outcome);
        Assert.Equal("not compared", time.ChangeText);
        Assert.Equal("time not compared: because", time.Note);
        Assert.Contains(report.All, c => c.Kind == ChangeKind.Time && c.Variant != left.Variant && c.Note != "time not compared: because");
    }

    private static DatabaseState State(
        string generator = "1",
        string[]? carriers = null,
        string carriersChecksum = "c-carriers",
        long carrierRows = 10)
    {
        var manifest = new SeedManifest(
            "tiny",
            42,
            generator,
            SeedManifest.Complete,
            GeneratorInfo.ReferenceTime,
            new Dictionary<string, long> { ["carriers"] = carrierRows, ["shipments"] = 1000 },
            new Dictionary<string, string> { ["carriers"] = carriersChecksum, ["shipments"] = "c-shipments" },
            GeneratorInfo.ReferenceTime,
            GeneratorInfo.ReferenceTime);
        var relations = new Dictionary<string, RelationState>
        {
            ["carriers"] = new("carriers", false, carriers ?? ["id integer", "name character varying(100)"], null, []),
            ["shipments"] = new("shipments", false, ["id uuid", "tracking_number character varying(32)"], null, []),
        };
        return new DatabaseState(manifest, relations, Indexes(), new Dictionary<string, string> { ["0001_lab_schema"] = "a" });
    }

    private static Dictionary<string, IndexState> Indexes(params IndexState[] extra) =>
        extra.Prepend(new IndexState("shipments_pkey", "shipments", true, "btree (id)")).ToDictionary(i => i.Name);
}
