using System.Globalization;
using Npgsql;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Exits;
using QueryLab.Bench.Profiling;
using QueryLab.Bench.Results;
using QueryLab.Queries.Catalog;
using QueryLab.Seed;
using QueryLab.Seed.Server;
using QueryLab.Tests.Infrastructure;
using Xunit.Abstractions;

namespace QueryLab.Tests;

/// <summary>
/// Issue 7's foreign databases, concurrency and input that reaches SQL, each through the real command line against the
/// lab's real server (README, "When something goes wrong"); files and disk are in <see cref="FaultAndInputTests"/>.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class ForeignDatabaseAndInputTests(LabFixture lab, ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("querylab-foreign-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // a temp folder left behind is harmless
        }
    }

    // ---- Not our database ----

    [Fact]
    public async Task In_a_database_with_other_schemas_migrate_seed_and_verify_touch_only_querylab()
    {
        var db = await lab.CreateDatabaseAsync("ql_not_ours");
        await LabSql.ExecAsync(db, """
            CREATE SCHEMA app;
            CREATE TABLE app.orders (id int PRIMARY KEY, customer text NOT NULL, total numeric(10,2));
            CREATE INDEX orders_customer_idx ON app.orders (customer);
            CREATE VIEW app.big_orders AS SELECT * FROM app.orders WHERE total > 100;
            CREATE FUNCTION app.order_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM app.orders';
            INSERT INTO app.orders VALUES (1, 'ada', 12.50), (2, 'grace', 250.00), (3, 'edsger', 99.99);
            CREATE TABLE public.shipments (id int, note text);
            INSERT INTO public.shipments VALUES (7, 'a table of the application with a name QueryLab also uses');
            """);
        var before = await SnapshotAsync(db);

        foreach (var args in new[] { new[] { "migrate" }, ["seed", "--scale", "tiny"], ["verify"] })
        {
            var r = await CliRunner.RunAsync(null, [.. args, "--connection", db]);
            Assert.True(r.ExitCode == 0, string.Join(' ', args) + ": " + r.All);
        }

        Assert.Equal(before, await SnapshotAsync(db));
        Assert.Equal(
            "app,public,querylab",
            await StringAsync(db, "SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'"));
    }

    /// <summary>Everything outside the querylab schema: each relation, view, index, function and extension, and the application's rows.</summary>
    private static Task<string> SnapshotAsync(string db) => StringAsync(db, """
        SELECT concat_ws(' | ',
            (SELECT string_agg(n.nspname || '.' || c.relname || ':' || c.relkind::text, ',' ORDER BY n.nspname, c.relname)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname NOT IN ('querylab', 'pg_catalog', 'information_schema', 'pg_toast')),
            (SELECT string_agg(p.proname, ',' ORDER BY p.proname) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'app'),
            (SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension),
            (SELECT md5(string_agg(o::text, ',' ORDER BY id)) FROM app.orders o),
            (SELECT md5(string_agg(s::text, ',' ORDER BY id)) FROM public.shipments s))
        """);

    private static async Task<string> StringAsync(string db, string sql)
    {
        await using var conn = new NpgsqlConnection(db);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_querylab_schema_without_the_ledger_is_refused_by_migrate_seed_and_seed_force()
    {
        var db = await lab.CreateDatabaseAsync("ql_foreign_schema");
        await LabSql.ExecAsync(db, "CREATE SCHEMA querylab; CREATE TABLE querylab.shipments (id int, owner text); INSERT INTO querylab.shipments VALUES (1, 'someone else')");

        foreach (var args in new[] { new[] { "migrate" }, ["seed", "--scale", "tiny"], ["seed", "--scale", "tiny", "--force"], ["run", "--scale", "tiny", "--profile", "smoke", "--reports", Path.Combine(_root, "r")] })
        {
            var r = await CliRunner.RunAsync(null, [.. args, "--connection", db]);
            Assert.True(r.ExitCode == 2, string.Join(' ', args) + ": " + r.All);
            var line = Assert.Single(r.Err.Trim().Split('\n'));
            Assert.Contains("did not create", line, StringComparison.Ordinal);
        }

        Assert.Equal("shipments", await StringAsync(db, "SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = 'querylab'"));
        Assert.Equal("1 someone else", await StringAsync(db, "SELECT string_agg(id || ' ' || owner, ',') FROM querylab.shipments"));
    }

    // ---- Concurrency ----

    [Fact]
    public async Task Two_seeds_at_once_take_turns_and_never_interleave()
    {
        var db = await lab.CreateDatabaseAsync("ql_two_seeds");
        var firstIsLoading = new TaskCompletionSource();
        var first = Task.Run(() => CliRunner.RunAsync(null, line =>
        {
            if (line.StartsWith("Loading with binary COPY", StringComparison.Ordinal))
            {
                firstIsLoading.TrySetResult();
            }
        }, "seed", "--scale", "tiny", "--connection", db));
        await Task.WhenAny(firstIsLoading.Task, first);
        Assert.True(firstIsLoading.Task.IsCompleted, (await first).All);

        // The second starts while the first holds the seed lock and is loading.
        var second = await CliRunner.RunAsync(null, "seed", "--scale", "tiny", "--connection", db);
        var one = await first;

        Assert.True(one.ExitCode == 0, one.All);
        Assert.DoesNotContain("Loading with binary COPY", second.Out, StringComparison.Ordinal); // it never loaded anything
        if (second.ExitCode == 0)
        {
            // It waited for the first, then found its complete seed.
            Assert.Contains("database already holds scale tiny seed 42 (generator v1, complete); nothing to do", second.Out, StringComparison.Ordinal);
        }
        else
        {
            // The first took longer than the wait (a slow machine): refused, exit 3.
            Assert.True(second.ExitCode == 3, second.All);
            Assert.Contains("another querylab seed is running on this database", second.Err, StringComparison.Ordinal);
        }

        Assert.Equal(1, await LabSql.ScalarAsync(db, "SELECT count(*) FROM querylab.seed_manifest WHERE status = 'complete'"));
        Assert.Equal(1000, await LabSql.ScalarAsync(db, "SELECT count(*) FROM querylab.shipments"));
    }

    // ---- Input that reaches SQL ----

    [Fact]
    public async Task A_database_name_that_needs_quoting_is_never_spliced_into_SQL()
    {
        // The one identifier a user gives QueryLab is the database (and user) of the connection: a name made to break
        // any SQL or config it were pasted into must work, or be refused, never executed.
        const string name = "ql odd\"name'; DROP TABLE x; --";
        await LabSql.ExecAsync(lab.ConnectionString, $"DROP DATABASE IF EXISTS \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\" WITH (FORCE)");
        await LabSql.ExecAsync(lab.ConnectionString, $"CREATE DATABASE \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"");
        try
        {
            var db = new NpgsqlConnectionStringBuilder(lab.ConnectionString) { Database = name, Pooling = false }.ConnectionString;
            var seeded = await CliRunner.RunAsync(null, "seed", "--scale", "tiny", "--connection", db);
            Assert.True(seeded.ExitCode == 0, seeded.All);

            var url = new NpgsqlConnectionStringBuilder(lab.ConnectionString);
            var asUrl = $"postgres://{url.Username}:{Uri.EscapeDataString(url.Password!)}@{url.Host}:{url.Port}/{Uri.EscapeDataString(name)}";
            var verify = await CliRunner.RunAsync(null, "verify", "--scenario", "lookup-by-tracking-number,connection-per-request", "--connection", asUrl);
            Assert.True(verify.ExitCode == 0, verify.All);
            Assert.Contains($"/{name}", verify.Out, StringComparison.Ordinal);

            // PgBouncer's config is the one place a name is written into text another program parses: refused there.
            Assert.Matches("is not a plain name QueryLab writes into a pgbouncer config|pgbouncer is not installed", verify.Out);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await LabSql.ExecAsync(lab.ConnectionString, $"DROP DATABASE IF EXISTS \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\" WITH (FORCE)");
        }
    }

    [Theory]
    [InlineData("verify")]
    [InlineData("bench")]
    [InlineData("run")]
    [InlineData("explain")]
    public async Task A_scenario_pattern_that_matches_nothing_is_exit_2_listing_the_scenarios(string verb)
    {
        var r = await CliRunner.RunAsync(null, verb, "--scenario", "no-such-*", "--connection", lab.ConnectionString);

        Assert.True(r.ExitCode == 2, r.All);
        var line = Assert.Single(r.Err.Trim().Split('\n'));
        Assert.Contains("'no-such-*'", line, StringComparison.Ordinal);
        Assert.All(ScenarioCatalog.All, s => Assert.Contains(s.Name, line, StringComparison.Ordinal));
        Assert.DoesNotContain("server:", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_variant_binds_the_scenario_parameters_and_never_splices_them()
    {
        await using var source = lab.Server.CreateDataSource(WireCapture.Configure);
        await using var catalog = new CatalogContext(source, lab.Manifest!.ReferenceTime, lab.ConnectionString, WireCapture.Configure) { Poolers = PgBouncerLauncher.Instance };
        var checkedStatements = 0;
        foreach (var scenario in ScenarioCatalog.All)
        {
            await using var prepared = await scenario.PrepareAsync(catalog, default);
            var captured = new Dictionary<string, IReadOnlyList<CapturedStatement>>();
            foreach (var v in scenario.Variants.Where(v => prepared.NotRunReason(v) is null))
            {
                for (var i = 0; i < 2; i++)
                {
                    using var scope = WireCapture.Begin();
                    await prepared.RunAsync(v, i, collect: false, default);
                    captured[$"{v.Name}#{i}"] = scope.Statements;
                }
            }

            // The values that went over the wire as parameters in any variant (tracking numbers, ids, times, statuses…):
            // a distinctive one (with digits: tracking numbers, times, uuids) must not appear in any SQL text at all, and
            // no string value may appear as a quoted literal.
            // Only values that change with the parameter set count: a constant of the query (the status 'delivered' it
            // sets, a page size) may be written into the SQL.
            List<object?> Bound(int i) => captured.Where(c => c.Key.EndsWith($"#{i}", StringComparison.Ordinal)).SelectMany(c => c.Value).SelectMany(s => s.Parameters).Select(p => p.Value).ToList();
            var constants = Bound(0).SelectMany(Texts).Intersect(Bound(1).SelectMany(Texts), StringComparer.Ordinal).ToHashSet(StringComparer.Ordinal);
            var bound = Bound(0).Concat(Bound(1)).ToList();
            var values = bound.SelectMany(Texts).Where(t => Distinctive(t) && !constants.Contains(t))
                .Concat(bound.SelectMany(Strings).Where(t => t.Length >= 3 && !constants.Contains(t)).Select(t => "'" + t.Replace("'", "''", StringComparison.Ordinal) + "'"))
                .ToHashSet(StringComparer.Ordinal);
            output.WriteLine($"{scenario.Name}: {captured.Values.Sum(s => s.Count)} statements, {values.Count} bound values checked (e.g. {string.Join(", ", values.Take(3))})");
            foreach (var (variant, statements) in captured)
            {
                foreach (var st in statements)
                {
                    checkedStatements++;
                    var spliced = values.FirstOrDefault(v => st.Sql.Contains(v, StringComparison.Ordinal));
                    Assert.True(spliced is null, $"{scenario.Name}/{variant} sends the parameter value '{spliced}' inside its SQL: {st.Sql}");
                }
            }

            // Operations with other parameter values send the same SQL text: nothing of the value is in it.
            foreach (var v in scenario.Variants.Where(v => prepared.NotRunReason(v) is null && prepared.ParameterCount > 1 && prepared.DescribeParameters(0) != prepared.DescribeParameters(1)))
            {
                var first = captured[$"{v.Name}#0"].Select(s => Placeholders.Normalise(s.Sql)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
                var second = captured[$"{v.Name}#1"].Select(s => Placeholders.Normalise(s.Sql)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
                Assert.True(first.SequenceEqual(second), $"{scenario.Name}/{v.Name}: the SQL changes with the parameter value ({prepared.DescribeParameters(0)} vs {prepared.DescribeParameters(1)})");
            }
        }

        Assert.True(checkedStatements > 50, $"only {checkedStatements} statements were captured");
    }

    private static IEnumerable<string> Texts(object? value) => value switch
    {
        null or DBNull => [],
        string s => [s],
        DateTime d => [d.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), d.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)],
        DateTimeOffset d => [d.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), d.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)],
        System.Collections.IEnumerable e => e.Cast<object?>().SelectMany(Texts),
        IFormattable f => [f.ToString(null, CultureInfo.InvariantCulture)],
        _ => [value.ToString() ?? ""],
    };

    private static IEnumerable<string> Strings(object? value) => value switch
    {
        string s => [s],
        System.Collections.IEnumerable e and not string => e.Cast<object?>().SelectMany(Strings),
        _ => [],
    };

    /// <summary>
    /// A value whose text would not appear in SQL by chance: digits and at least 6 characters (a tracking number, a
    /// time, a uuid) — not a page size such as 50, nor a word such as 'delivered' that is also part of a column name.
    /// </summary>
    private static bool Distinctive(string text) => text.Length >= 6 && text.Any(char.IsDigit);
}
