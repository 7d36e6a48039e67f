using System.Diagnostics;
using Npgsql;
using QueryLab.Bench.Profiling;
using QueryLab.Bench.Verification;
using QueryLab.Queries.Catalog;
using QueryLab.Seed.Server;
using QueryLab.Tests.Infrastructure;
using Xunit.Abstractions;

namespace QueryLab.Tests;

/// <summary>
/// The server-side calibration delay (querylab_spin) against the suite's real server: it is built and loaded through
/// the startup options, lengthens a statement by its spin, spins once per top-level statement, adds no statement and
/// no round trip, follows a derived catalog context into every library, and says why when it cannot be had.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class SpinExtensionTests(LabFixture lab, ITestOutputHelper output)
{
    private static readonly SemaphoreSlim BuildGate = new(1, 1);
    private static string? _library;

    private async Task<string> LibraryAsync()
    {
        await BuildGate.WaitAsync();
        try
        {
            if (_library is null || !File.Exists(_library))
            {
                var r = await SpinExtension.PrepareAsync(lab.Server, lab.Home, default);
                Assert.True(r.IsAvailable, r.Unavailable);
                _library = r.LibraryPath!;
            }

            return _library;
        }
        finally
        {
            BuildGate.Release();
        }
    }

    private string Spinning(int microseconds, string? connectionString = null, string? library = null) =>
        SpinExtension.ConnectionString(connectionString ?? lab.ConnectionString, library ?? _library!, microseconds);

    [SpinFact]
    public async Task A_statement_on_a_2000_us_connection_takes_at_least_2_ms_longer_than_on_a_plain_one()
    {
        await LibraryAsync();
        await using var plain = NpgsqlDataSource.Create(lab.ConnectionString);
        await using var spin = NpgsqlDataSource.Create(Spinning(2000));
        var plainUs = new List<double>();
        var spinUs = new List<double>();
        for (var i = 0; i < 60; i++)
        {
            var p = await TimeAsync(plain, i);
            var s = await TimeAsync(spin, i);
            if (i >= 10)
            {
                plainUs.Add(p);
                spinUs.Add(s);
            }
        }

        var (pm, sm) = (Median(plainUs), Median(spinUs));
        output.WriteLine($"SELECT $1 over 50 interleaved pairs: plain median {pm:0} µs, spin_us=2000 median {sm:0} µs (+{sm - pm:0} µs), spin min {spinUs.Min():0} µs");
        Assert.All(spinUs, s => Assert.True(s >= 2000, $"a statement on the spinning connection took {s:0} µs"));
        // Every spun statement took at least the 2 ms (above). The medians differ by a little less when the machine is
        // loaded: a spin measures wall time, so it absorbs a preemption the plain statement pays in full.
        Assert.True(sm - pm >= 1600, $"median {sm:0} µs with spin_us=2000 against {pm:0} µs plain: not even 1.6 ms longer");
    }

    [SpinFact]
    public async Task The_spin_happens_once_per_top_level_statement_not_again_for_the_queries_inside_it()
    {
        var library = await LibraryAsync();

        // The server splits the startup options on spaces: a library path with one is escaped, and still loads.
        var spacedDir = Directory.CreateTempSubdirectory("querylab spin").FullName;
        File.SetUnixFileMode(spacedDir, File.GetUnixFileMode(spacedDir) | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute); // the server's OS user reads it
        var spaced = Path.Combine(spacedDir, "querylab spin.so");
        File.Copy(library, spaced);
        try
        {
            await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Spinning(50, library: spaced)) { Pooling = false }.ConnectionString);
            await conn.OpenAsync();
            await ExecAsync(conn, "CREATE FUNCTION pg_temp.three() RETURNS int LANGUAGE sql AS $$ SELECT 1; SELECT 2; SELECT 3 $$");
            await ExecAsync(conn, "CREATE FUNCTION pg_temp.ten() RETURNS int LANGUAGE plpgsql AS $$ DECLARE x int; BEGIN FOR i IN 1..10 LOOP SELECT i INTO x; END LOOP; RETURN x; END $$");
            var before = await SpinsAsync(conn);
            var steps = new (string Sql, int Spins)[]
            {
                ("SELECT 1", 1),
                ("SELECT pg_temp.three()", 1),            // a SQL function running three queries
                ("SELECT pg_temp.ten(), pg_temp.ten()", 1), // PL/pgSQL running ten each
                ("BEGIN", 0),
                ("SELECT count(*) FROM generate_series(1, 100)", 1),
                ("COMMIT", 0),
                ("SET work_mem = '8MB'", 0),
                ("DO $$ BEGIN PERFORM pg_temp.ten(); PERFORM 1; END $$", 1), // a utility statement that runs queries: once
            };
            foreach (var (sql, spins) in steps)
            {
                await ExecAsync(conn, sql);
                var after = await SpinsAsync(conn);
                Assert.True(after - before == spins, $"{sql}: {after - before} spins, expected {spins}");
                before = after;
            }
        }
        finally
        {
            Directory.Delete(spacedDir, recursive: true);
        }

        // Without the library the counter does not exist: nothing spins on a plain connection.
        await using var plain = new NpgsqlConnection(lab.ConnectionString);
        await plain.OpenAsync();
        await using var cmd = new NpgsqlCommand($"SELECT current_setting('{SpinExtension.SpinCountSetting}', true)", plain);
        Assert.True(await cmd.ExecuteScalarAsync() is null or DBNull);
    }

    [SpinFact]
    public async Task The_delay_adds_no_statement_and_no_round_trip_the_server_sees()
    {
        await LibraryAsync();
        var statements = new Dictionary<string, List<string>>();
        foreach (var (db, spinUs) in new[] { ("spin_wire_plain", -1), ("spin_wire_spin", 200) })
        {
            var cs = await lab.CreateDatabaseAsync(db);
            await using (var ds = NpgsqlDataSource.Create(spinUs < 0 ? cs : Spinning(spinUs, cs)))
            {
                for (var i = 0; i < 20; i++)
                {
                    await using var c = ds.CreateCommand("SELECT $1::int + 1");
                    c.Parameters.AddWithValue(i);
                    await c.ExecuteScalarAsync();
                }
            }

            await using var conn = new NpgsqlConnection(lab.ConnectionString);
            await conn.OpenAsync();
            await using var q = new NpgsqlCommand(
                "SELECT query || ' × ' || calls FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1) ORDER BY query, calls", conn);
            q.Parameters.AddWithValue(db);
            var list = new List<string>();
            await using (var r = await q.ExecuteReaderAsync())
            {
                while (await r.ReadAsync())
                {
                    list.Add(r.GetString(0));
                }
            }

            statements[db] = list;
            await ExecAsync(conn, $"DROP DATABASE {db} WITH (FORCE)");
        }

        Assert.Contains("SELECT $1::int + $2 × 20", statements["spin_wire_spin"]);
        Assert.DoesNotContain(statements["spin_wire_spin"], s => s.StartsWith("LOAD", StringComparison.OrdinalIgnoreCase) || s.StartsWith("SET", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(statements["spin_wire_plain"], statements["spin_wire_spin"]);
    }

    [SpinFact]
    public async Task A_derived_catalog_context_slows_every_library_with_the_same_round_trips()
    {
        var library = await LibraryAsync();
        var scenario = ScenarioCatalog.All.Single(s => s.Name == "lookup-by-tracking-number");
        await using var source = lab.Server.CreateDataSource(WireCapture.Configure);
        await using var plain = new CatalogContext(source, lab.Manifest!.ReferenceTime, lab.ConnectionString, WireCapture.Configure);
        await using var slowed = plain.WithConnectionString(SpinExtension.ConnectionString(plain.ConnectionString, library, 2000));
        Assert.NotSame(plain.DataSource, slowed.DataSource);
        await using var plainPrepared = await scenario.PrepareAsync(plain, default);
        await using var slowPrepared = await scenario.PrepareAsync(slowed, default);
        Assert.True((await Verifier.VerifyAsync(slowPrepared, default)).Passed);
        foreach (var v in scenario.Variants)
        {
            var (plainTrips, _) = await CaptureAsync(plainPrepared, v);
            var (slowTrips, slowUs) = await CaptureAsync(slowPrepared, v);
            output.WriteLine($"{v.Name}: {slowUs:0} µs with spin_us=2000, {slowTrips} round trip(s)");
            Assert.Equal(plainTrips, slowTrips);
            Assert.True(slowUs >= 2000 * slowTrips, $"{v.Name} took {slowUs:0} µs for {slowTrips} round trip(s) on the slowed context");
        }
    }

    [SpinFact]
    public async Task A_pooler_variant_that_cannot_run_on_the_modules_connection_is_slowed_in_the_client()
    {
        // PgBouncer does not pass the module's startup options on, so on the spinning connection string the pgbouncer
        // variants cannot run: the injector slows them in the client instead of failing (a full-catalog calibrate
        // stopped there with a NullReferenceException).
        var library = await LibraryAsync();
        var (prepared, variant) = await PrepareAsync("connection-per-request", "npgsql-pgbouncer");
        await using var owned = prepared;
        Assert.Null(prepared.NotRunReason(variant)); // CI installs pgbouncer (.ci/run), as this machine has it
        await using var injector = new QueryLab.Bench.Timing.ServerSpinInjector(lab.Catalog, library);
        var plan = new QueryLab.Bench.Timing.CasePlan(prepared, variant, 1, 1, 0);

        var slowed = await injector.DelayAsync(plan, 50_000, default);

        Assert.Same(prepared, slowed.Prepared);
        Assert.True(slowed.DelayTicks > 0, "slowed in the client");
        await slowed.Prepared.RunAsync(slowed.Variant, 0, collect: false, default);
    }

    [SpinTheory]
    [InlineData("lookup-by-tracking-number", "npgsql-prepared", 1)]
    [InlineData("lookup-by-tracking-number", "ef-no-tracking", 0)]
    [InlineData("in-transit-with-carrier-and-latest-event", "dapper-n-plus-1", 0)]
    [InlineData("in-transit-with-carrier-and-latest-event", "ef-split-query", 0)]
    public async Task The_injector_divides_a_delay_by_the_spins_of_one_operation_and_no_more(string scenarioName, string variantName, int resets)
    {
        // Read with SELECT current_setting(…), the counter counted its own reading as one more statement: a one-statement
        // variant got half the delay it was given, and every calibrate under-reported what a duet catches. What an operation
        // spins is its statements, and the reset Npgsql sends with a pooled connection's first statement once the
        // connection holds an explicitly prepared one: its SELECT pg_advisory_unlock_all() is a query, and spins.
        var library = await LibraryAsync();
        var scenario = ScenarioCatalog.All.Single(s => s.Name == scenarioName);
        var variant = scenario.Variants.Single(v => v.Name == variantName);
        await using var source = lab.Server.CreateDataSource(WireCapture.Configure);
        await using var catalog = new CatalogContext(source, lab.Manifest!.ReferenceTime, lab.ConnectionString, WireCapture.Configure);
        await using var prepared = await scenario.PrepareAsync(catalog, default);
        await prepared.RunAsync(variant, 0, collect: false, default);
        int sent;
        using (var scope = WireCapture.Begin())
        {
            await prepared.RunAsync(variant, 1, collect: false, default);
            sent = scope.Statements.Count;
        }

        await using var injector = new QueryLab.Bench.Timing.ServerSpinInjector(catalog, library);
        var counted = await injector.StatementsAsync(new QueryLab.Bench.Timing.CasePlan(prepared, variant, 1, 1, 0), default);

        output.WriteLine($"{scenarioName}/{variantName}: {sent} statement(s) sent, {counted} counted");
        Assert.True(sent > 0);
        Assert.Equal(sent + resets, counted);
    }

    [SpinFact]
    public async Task Released_injection_data_sources_leave_the_server_and_a_new_one_is_warmed_past_auto_prepare()
    {
        // calibrate builds three or four data sources per variant; released after each variant, their connections do not
        // pile up on the server over a catalog (200 of them, most idle for minutes, against a max_connections of 100).
        var library = await LibraryAsync();
        var (prepared, variant) = await PrepareAsync("lookup-by-tracking-number", "npgsql-prepared");
        await using var owned = prepared;
        var plan = new QueryLab.Bench.Timing.CasePlan(prepared, variant, 1, 1, 0);
        await using var injector = new QueryLab.Bench.Timing.ServerSpinInjector(lab.Catalog, library);
        var before = await BackendsAsync();

        var reference = await injector.ReferenceAsync(plan, default);
        var slowed = await injector.DelayAsync(plan, 20_000, default);
        Assert.NotSame(prepared, reference.Prepared);
        Assert.NotSame(reference.Prepared, slowed.Prepared);
        var during = await BackendsAsync();
        Assert.True(during >= before + 2, $"{before} backends before, {during} with the reference's and the slowed data sources open");
        // A data source of its own is warmed past the fifth use (where auto-prepare, when a connection string turns it on, prepares), and longer while that is quick.
        Assert.InRange(await QueryLab.Bench.Timing.ServerSpinInjector.WarmAsync(reference.Prepared, variant, default), QueryLab.Bench.Timing.ServerSpinInjector.WarmOperations, QueryLab.Bench.Timing.ServerSpinInjector.MostWarmOperations);

        await injector.ReleaseAsync();

        var after = during;
        for (var i = 0; i < 50 && after > before; i++)
        {
            await Task.Delay(100); // a backend leaves the server's list a moment after its client closes
            after = await BackendsAsync();
        }

        Assert.True(after <= before, $"{before} backends before, {after} after the injector released its data sources");
        var again = await injector.DelayAsync(plan, 20_000, default); // an injector released is still usable for the next variant
        await again.Prepared.RunAsync(variant, 0, collect: false, default);
    }

    /// <summary>A scenario prepared on the lab's catalog, and one of its variants; the caller disposes the scenario.</summary>
    private async Task<(IPreparedScenario Prepared, IVariant Variant)> PrepareAsync(string scenarioName, string variantName)
    {
        var scenario = ScenarioCatalog.All.Single(s => s.Name == scenarioName);
        return (await scenario.PrepareAsync(lab.Catalog, default), scenario.Variants.Single(v => v.Name == variantName));
    }

    private async Task<long> BackendsAsync()
    {
        var b = new NpgsqlConnectionStringBuilder(lab.ConnectionString) { Pooling = false };
        await using var conn = new NpgsqlConnection(b.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND datname = current_database() AND pid <> pg_backend_pid()", conn);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    [SpinFact]
    public async Task A_second_prepare_reuses_the_cached_library()
    {
        var first = await LibraryAsync();
        var written = File.GetLastWriteTimeUtc(first);
        var again = await SpinExtension.PrepareAsync(lab.Server, lab.Home, default);
        Assert.Equal(first, again.LibraryPath);
        Assert.Equal(written, File.GetLastWriteTimeUtc(first));
        Assert.StartsWith(Path.Combine(lab.Home, "extensions"), first, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_pg_config_the_reason_is_one_line_that_says_what_to_install()
    {
        var empty = Directory.CreateTempSubdirectory("querylab-no-pg-config").FullName;
        try
        {
            var tools = SpinBuildTools.For(lab.Server) with { PgConfigFolders = [empty] };
            var r = await SpinExtension.PrepareAsync(lab.Server, lab.Home, tools, default);
            Assert.False(r.IsAvailable);
            Assert.Null(r.LibraryPath);
            var major = lab.Server.ServerMajorVersion;
            Assert.Contains($"no pg_config for PostgreSQL {major} (looked in {empty})", r.Unavailable, StringComparison.Ordinal);
            Assert.Contains($"install postgresql-server-dev-{major}", r.Unavailable, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', r.Unavailable!);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Fact]
    public async Task A_pg_config_without_headers_or_for_another_major_is_named_in_the_reason()
    {
        var major = lab.Server.ServerMajorVersion;
        var root = Directory.CreateTempSubdirectory("querylab-fake-pg-config").FullName;
        try
        {
            var other = FakePgConfig(Path.Combine(root, "other"), $"PostgreSQL {major + 1}.0", root);
            var bare = FakePgConfig(Path.Combine(root, "bare"), $"PostgreSQL {major}.2 (Debian)", Path.Combine(root, "no-headers"));

            var r = await SpinExtension.PrepareAsync(lab.Server, lab.Home, SpinBuildTools.For(lab.Server) with { PgConfigFolders = [other] }, default);
            Assert.Contains($"other majors: {Path.Combine(other, "pg_config")} is PostgreSQL {major + 1}", r.Unavailable, StringComparison.Ordinal);
            Assert.Contains($"install postgresql-server-dev-{major}", r.Unavailable, StringComparison.Ordinal);

            r = await SpinExtension.PrepareAsync(lab.Server, lab.Home, SpinBuildTools.For(lab.Server) with { PgConfigFolders = [other, bare] }, default);
            Assert.StartsWith($"{Path.Combine(bare, "pg_config")} has no server headers", r.Unavailable, StringComparison.Ordinal);
            Assert.EndsWith($"install postgresql-server-dev-{major} (Debian) to build the server-side delay module", r.Unavailable, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [SpinFact]
    public async Task Without_a_C_compiler_the_reason_says_so()
    {
        var tools = SpinBuildTools.For(lab.Server) with { CompilerFolders = [] };
        var r = await SpinExtension.PrepareAsync(lab.Server, lab.Home, tools, default);
        Assert.False(r.IsAvailable);
        Assert.StartsWith("no C compiler (cc, gcc or clang) on PATH", r.Unavailable, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_role_that_is_not_a_superuser_is_told_it_needs_one()
    {
        const string role = "querylab_spin_plain_role";
        var password = Guid.NewGuid().ToString("N");
        await using var admin = new NpgsqlConnection(lab.ConnectionString);
        await admin.OpenAsync();
        await ExecAsync(admin, $"DROP ROLE IF EXISTS {role}");
        await ExecAsync(admin, $"CREATE ROLE {role} LOGIN PASSWORD '{password}'");
        try
        {
            var cs = new NpgsqlConnectionStringBuilder(lab.ConnectionString) { Username = role, Password = password, Pooling = false };
            await using var server = await LabServer.ConnectAsync(cs.ConnectionString, default);
            var r = await SpinExtension.PrepareAsync(server, lab.Home, default);
            Assert.False(r.IsAvailable);
            Assert.StartsWith($"the role '{role}' is not a superuser", r.Unavailable, StringComparison.Ordinal);
            Assert.DoesNotContain(password, r.Unavailable, StringComparison.Ordinal);
        }
        finally
        {
            await ExecAsync(admin, $"DROP ROLE IF EXISTS {role}");
        }
    }

    [Fact]
    public void The_connection_string_carries_the_delay_in_its_startup_options()
    {
        var cs = SpinExtension.ConnectionString("Host=127.0.0.1;Username=u;Password=p;Options=-c search_path=lab", "/opt/my lab/querylab_spin.so", 20);
        var b = new NpgsqlConnectionStringBuilder(cs);
        Assert.Equal(@"-c search_path=lab -c session_preload_libraries=/opt/my\ lab/querylab_spin.so -c querylab.spin_us=20", b.Options);
        Assert.Equal("p", b.Password);
        Assert.Throws<ArgumentOutOfRangeException>(() => SpinExtension.ConnectionString("Host=h", "/x.so", -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => SpinExtension.ConnectionString("Host=h", "/x.so", SpinExtension.MaxSpinMicroseconds + 1));
        Assert.Throws<ArgumentException>(() => SpinExtension.ConnectionString("Host=h", "querylab_spin.so", 1));
    }

    /// <summary>A pg_config that answers --version and --includedir-server as told.</summary>
    private static string FakePgConfig(string folder, string version, string includeDirServer)
    {
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "pg_config");
        File.WriteAllText(file, $"#!/bin/sh\ncase \"$1\" in\n  --version) echo '{version}' ;;\n  --includedir-server) echo '{includeDirServer}' ;;\n  *) exit 1 ;;\nesac\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return folder;
    }

    private static async Task<double> TimeAsync(NpgsqlDataSource ds, int i)
    {
        await using var conn = await ds.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand("SELECT $1::int", conn);
        cmd.Parameters.AddWithValue(i);
        var sw = Stopwatch.StartNew();
        await cmd.ExecuteScalarAsync();
        return sw.Elapsed.TotalMicroseconds;
    }

    private static async Task<(int RoundTrips, double Microseconds)> CaptureAsync(IPreparedScenario prepared, IVariant variant)
    {
        await prepared.RunAsync(variant, 0, collect: false, default); // warm: EF's model, Npgsql's types, the pool
        using var scope = WireCapture.Begin();
        var sw = Stopwatch.StartNew();
        await prepared.RunAsync(variant, 1, collect: false, default);
        return (scope.RoundTrips, sw.Elapsed.TotalMicroseconds);
    }

    private static async Task<long> SpinsAsync(NpgsqlConnection conn)
    {
        await using var cmd = new NpgsqlCommand($"SHOW {SpinExtension.SpinCountSetting}", conn);
        return long.Parse((string)(await cmd.ExecuteScalarAsync())!, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task ExecAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[(s.Count / 2) - 1] + s[s.Count / 2]) / 2;
    }
}
