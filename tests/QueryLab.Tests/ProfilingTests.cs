using Npgsql;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Profiling;
using QueryLab.Queries.Catalog;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>The profiling pass on the tiny dataset: round trips at the wire, N+1 flags, plans, and writes rolled back.</summary>
[Collection(LabCollection.Name)]
public sealed class ProfilingTests(LabFixture lab)
{
    private async Task<(IPreparedScenario Prepared, CatalogContext Catalog, NpgsqlDataSource Source)> PrepareAsync(string scenario)
    {
        var source = lab.Server.CreateDataSource(WireCapture.Configure);
        var catalog = new CatalogContext(source, lab.Manifest!.ReferenceTime, lab.ConnectionString, WireCapture.Configure) { Poolers = PgBouncerLauncher.Instance };
        var prepared = await ScenarioCatalog.All.Single(s => s.Name == scenario).PrepareAsync(catalog, default);
        return (prepared, catalog, source);
    }

    [Fact]
    public async Task N_plus_1_loops_send_one_plus_page_size_round_trips_and_are_flagged_eager_variants_are_not()
    {
        var (prepared, _, source) = await PrepareAsync("in-transit-with-carrier-and-latest-event");
        await using var _s = source;
        await using var _p = prepared;
        var profiler = new Profiler(lab.DataSource, plansDir: null);
        var results = new Dictionary<string, QueryLab.Bench.Results.ProfileRecord>();
        foreach (var v in prepared.Scenario.Variants)
        {
            results[v.Name] = await profiler.ProfileAsync(prepared, v, default);
        }

        var pageSize = results["npgsql-lateral"].Rows;
        Assert.True(pageSize >= 5, $"tiny must have a page of at least 5 in-transit shipments, has {pageSize}");
        foreach (var loop in new[] { "ef-n-plus-1", "dapper-n-plus-1" })
        {
            Assert.Equal(1 + pageSize, results[loop].RoundTrips);
            Assert.Contains(results[loop].Findings, f => f.Code == "n-plus-one");
            Assert.Contains(results[loop].Repeated, r => r.IsNPlusOne && r.Count == pageSize);
        }

        foreach (var eager in new[] { "ef-include-filtered", "dapper-lateral", "npgsql-lateral", "npgsql-distinct-on" })
        {
            Assert.Equal(1, results[eager].RoundTrips);
            Assert.DoesNotContain(results[eager].Findings, f => f.Code is "n-plus-one" or "repeated-statement");
        }

        Assert.Equal(2, results["ef-split-query"].RoundTrips);
        Assert.DoesNotContain(results["ef-split-query"].Findings, f => f.Code == "n-plus-one");

        // Every explainable statement got a plan, with a shape hash, from the same parameter values.
        foreach (var st in results["npgsql-lateral"].DistinctStatements)
        {
            Assert.NotNull(st.Plan);
            Assert.Matches("^[0-9a-f]{16}$", st.Plan!.ShapeHash);
        }
    }

    [Fact]
    public async Task A_batch_of_repeats_is_one_round_trip_and_not_an_N_plus_1()
    {
        var (prepared, _, source) = await PrepareAsync("mark-delivered");
        await using var _s = source;
        await using var _p = prepared;
        var batch = prepared.Scenario.Variants.Single(v => v.Name == "npgsql-batch");
        var p = await new Profiler(lab.DataSource, plansDir: null).ProfileAsync(prepared, batch, default);
        Assert.Equal(1, p.RoundTrips);
        Assert.Equal(100, p.Statements);
        Assert.Contains(p.Repeated, r => r.Count == 100 && !r.IsNPlusOne);
        Assert.DoesNotContain(p.Findings, f => f.Code == "n-plus-one");
    }

    [Fact]
    public async Task EF_Cores_SaveChanges_batch_is_as_many_statements_in_one_round_trip_each_with_its_generic_plan()
    {
        var (prepared, _, source) = await PrepareAsync("mark-delivered");
        await using var _s = source;
        await using var _p = prepared;
        var tracked = prepared.Scenario.Variants.Single(v => v.Name == "ef-tracked");

        var p = await new Profiler(lab.DataSource, plansDir: null).ProfileAsync(prepared, tracked, default);

        // The SELECT that loads the entities, then SaveChanges: one command of 100 UPDATEs, which PostgreSQL runs as 100
        // statements. Each is captured on its own with its 4 parameters, and the 100 are one statement sent 100 times.
        Assert.Equal(2, p.RoundTrips);
        Assert.Equal(101, p.Statements);
        var update = Assert.Single(p.DistinctStatements, st => st.Sql.StartsWith("UPDATE", StringComparison.Ordinal));
        Assert.Equal(100, update.Executions);
        Assert.Equal(4, update.Parameters.Count);
        Assert.DoesNotContain(";", update.Sql, StringComparison.Ordinal);
        Assert.NotNull(update.GenericPlan); // PREPAREd from $1…$4: the 42P18 "could not determine data type of parameter $1" is gone
        Assert.Null(update.Note);
        Assert.Contains(p.Repeated, r => r.Count == 100 && r.RoundTrips == 1 && !r.IsNPlusOne);
        Assert.Equal(100, p.Rows);
    }

    [Fact]
    public async Task Writes_explained_with_EXPLAIN_ANALYZE_are_rolled_back()
    {
        async Task<(long Delivered, long Events, string Checksum)> StateAsync()
        {
            await using var cmd = lab.DataSource.CreateCommand(
                "SELECT (SELECT count(*) FROM querylab.shipments WHERE status = 'delivered'), (SELECT count(*) FROM querylab.tracking_events), "
                + "(SELECT md5(string_agg(id::text || status || updated_at::text, ',' ORDER BY id)) FROM querylab.shipments)");
            await using var r = await cmd.ExecuteReaderAsync();
            await r.ReadAsync();
            return (r.GetInt64(0), r.GetInt64(1), r.GetString(2));
        }

        var before = await StateAsync();
        foreach (var name in new[] { "mark-delivered", "record-tracking-events" })
        {
            var (prepared, _, source) = await PrepareAsync(name);
            await using var _s = source;
            await using var _p = prepared;
            foreach (var v in prepared.Scenario.Variants)
            {
                var p = await new Profiler(lab.DataSource, plansDir: null).ProfileAsync(prepared, v, default);
                Assert.True(p.Rows > 0, $"{name}/{v.Name} affected no rows");
                if (v.Name.Contains("copy", StringComparison.Ordinal))
                {
                    continue;
                }

                Assert.Contains(p.DistinctStatements, st => st.Plan is not null);
            }
        }

        Assert.Equal(before, await StateAsync());
    }

    [Fact]
    public async Task Executor_counters_come_from_the_real_plans_and_repeat_exactly()
    {
        var cs = await lab.CreateDatabaseAsync("ql_executor_counters");
        await using (var admin = NpgsqlDataSource.Create(lab.ConnectionString))
        await using (var set = admin.CreateCommand("ALTER DATABASE ql_executor_counters SET work_mem = '64kB'; ALTER DATABASE ql_executor_counters SET max_parallel_workers_per_gather = 0"))
        {
            await set.ExecuteNonQueryAsync(); // a sort of 20,000 rows spills; no parallel plan
        }

        await using var ds = NpgsqlDataSource.Create(cs);
        await using (var setup = ds.CreateCommand(
            "CREATE TABLE t (id int PRIMARY KEY, pad text NOT NULL); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 20000) g; ANALYZE t;"))
        {
            await setup.ExecuteNonQueryAsync();
        }

        async Task<QueryLab.Bench.Plans.ExecutorWork> WorkAsync(string sql, params CapturedParameter[] ps)
        {
            var explained = await new ExplainRunner(ds).ExplainAsync(new CapturedStatement(1, StatementKind.Command, sql, ps), default);
            Assert.True(explained.CustomPlanJson is not null, explained.Note);
            return QueryLab.Bench.Plans.PlanAnalyzer.Analyze(explained.CustomPlanJson!).Work;
        }

        var count = new CapturedParameter("@n", NpgsqlTypes.NpgsqlDbType.Integer, null, 15000);
        var counted = await WorkAsync("SELECT count(*) FROM t WHERE id <= @n", count);
        Assert.Equal(15000 + 1, counted.RowsProcessed); // the scan's 15,000 rows, the aggregate's one
        Assert.False(counted.Writes);
        Assert.NotNull(counted.Wal); // explained with the WAL option: present (and 0 here), not absent

        var sorted = await WorkAsync("SELECT id FROM t ORDER BY pad");
        Assert.Equal(20000 + 20000, sorted.RowsProcessed); // Seq Scan, Sort
        Assert.True(sorted.TempBlocks > 0, "a 20,000-row sort in 64 kB of work_mem spills to temp files");

        var insert = await WorkAsync("INSERT INTO t SELECT g, md5(g::text) FROM generate_series(100001, 100100) g");
        Assert.True(insert.Writes);
        Assert.Equal(100, insert.RowsProcessed); // the Function Scan's 100; the Insert returns none
        Assert.True(insert.Wal is { Records: >= 200, Bytes: > 0 }, $"100 heap and 100 index inserts are WAL-logged: {insert.Wal}");

        // Replayed again on the same data: the same counts, exactly.
        Assert.Equal(counted, await WorkAsync("SELECT count(*) FROM t WHERE id <= @n", count));
        var again = await WorkAsync("SELECT id FROM t ORDER BY pad");
        Assert.Equal((sorted.RowsProcessed, sorted.TempBlocks), (again.RowsProcessed, again.TempBlocks));

        // The write was rolled back.
        await using var rows = ds.CreateCommand("SELECT count(*) FROM t");
        Assert.Equal(20000L, (long)(await rows.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task The_generic_plan_is_recorded_and_flagged_when_its_shape_differs()
    {
        var cs = await lab.CreateDatabaseAsync("ql_generic_plan");
        await using (var admin = NpgsqlDataSource.Create(lab.ConnectionString))
        await using (var set = admin.CreateCommand("ALTER DATABASE ql_generic_plan SET random_page_cost = 4"))
        {
            // Spinning-disk costs make the generic plan's guess (half the rows for one of two values) a sequential scan.
            await set.ExecuteNonQueryAsync();
        }

        await using var ds = NpgsqlDataSource.Create(cs);
        await using (var setup = ds.CreateCommand(
            """
            CREATE TABLE skewed (id int PRIMARY KEY, v int NOT NULL, pad text NOT NULL);
            INSERT INTO skewed SELECT g, (g::bigint * 2654435761 % 100000)::int, repeat('x', 50) FROM generate_series(1, 100000) g;
            CREATE INDEX skewed_v_idx ON skewed (v);
            ANALYZE skewed;
            """))
        {
            await setup.ExecuteNonQueryAsync();
        }

        // v < 95000 is nearly the whole table (a sequential scan); a generic plan cannot know the value and
        // guesses a third of the table (a bitmap scan of the index).
        var statement = new CapturedStatement(1, StatementKind.Command, "SELECT count(pad) FROM skewed WHERE v < @limit", [new CapturedParameter("@limit", NpgsqlTypes.NpgsqlDbType.Integer, null, 95000)]);
        var explained = await new ExplainRunner(ds).ExplainAsync(statement, default);
        Assert.NotNull(explained.CustomPlanJson);
        Assert.NotNull(explained.GenericPlanJson);
        var custom = QueryLab.Bench.Plans.PlanAnalyzer.Analyze(explained.CustomPlanJson!);
        var generic = QueryLab.Bench.Plans.PlanAnalyzer.Analyze(explained.GenericPlanJson!);
        Assert.Contains("skewed_v_idx", generic.ShapeText, StringComparison.Ordinal);
        Assert.DoesNotContain("skewed_v_idx", custom.ShapeText, StringComparison.Ordinal);
        Assert.True(custom.ShapeHash != generic.ShapeHash, custom.ShapeText + "\n---\n" + generic.ShapeText);
        Assert.NotEmpty(QueryLab.Bench.Plans.PlanShape.Diff(custom, generic));

        // The same statement with a value near the generic plan's guess: custom and generic agree.
        var common = statement with { Parameters = [new CapturedParameter("@limit", NpgsqlTypes.NpgsqlDbType.Integer, null, 33000)] };
        var both = await new ExplainRunner(ds).ExplainAsync(common, default);
        Assert.Equal(
            QueryLab.Bench.Plans.PlanAnalyzer.Analyze(both.CustomPlanJson!).ShapeHash,
            QueryLab.Bench.Plans.PlanAnalyzer.Analyze(both.GenericPlanJson!).ShapeHash);
    }
}

/// <summary>Normalising captured SQL needs no server.</summary>
[Trait("Category", "Serverless")]
public sealed class PlaceholderTests
{
    [Fact]
    public void Named_placeholders_become_positional_outside_strings_and_comments()
    {
        var r = Placeholders.ToPositional("SELECT '@a', \"@b\" FROM t -- @a\nWHERE x = @a AND y = @b AND z = @a", ["@a", "@b"]);
        Assert.Equal("SELECT '@a', \"@b\" FROM t -- @a\nWHERE x = $1 AND y = $2 AND z = $1", r.Sql);
        Assert.Equal([0, 1], r.ParameterOrder);
        var positional = Placeholders.ToPositional("SELECT $1, $2", ["", ""]);
        Assert.Equal("SELECT $1, $2", positional.Sql);
    }

    [Fact]
    public void A_command_of_several_statements_splits_at_top_level_semicolons_only()
    {
        var parts = Placeholders.Split("UPDATE t SET a = @p0 WHERE id = @p1;\nUPDATE t SET a = ';' WHERE id = @p2 -- ; no\n;SELECT $x$;$x$, \"a;b\" /* ; */ FROM t;  ");

        Assert.Equal(["UPDATE t SET a = @p0 WHERE id = @p1", "UPDATE t SET a = ';' WHERE id = @p2 -- ; no", "SELECT $x$;$x$, \"a;b\" /* ; */ FROM t"], parts);
        Assert.Equal(["SELECT 1"], Placeholders.Split("SELECT 1"));
        Assert.Equal(["p2", "p1"], Placeholders.NamesUsed("UPDATE t SET a = @p2, b = '@p9' WHERE id = @p1 AND x = @p2"));
    }

    [Fact]
    public void Statements_that_differ_only_in_their_placeholder_names_are_the_same_statement()
    {
        CapturedStatement S(string sql, params string[] names) =>
            new(1, StatementKind.Batch, sql, names.Select(n => new CapturedParameter(n, null, null, 1)).ToList());

        Assert.Equal(
            Placeholders.Key(S("UPDATE t SET a = @p0 WHERE id = @p1", "p0", "p1")),
            Placeholders.Key(S("UPDATE t  SET a = @p4\nWHERE id = @p5", "p4", "p5")));
        Assert.NotEqual(
            Placeholders.Key(S("UPDATE t SET a = @p0 WHERE id = @p1", "p0", "p1")),
            Placeholders.Key(S("UPDATE t SET b = @p0 WHERE id = @p1", "p0", "p1")));
    }
}
