using Npgsql;
using QueryLab.Bench.Plans;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Plans;

/// <summary>
/// The plan tests' scratch database on the fixture's server, made once per test run: a table whose size and
/// value distribution the tests know (generate_series, no randomness), vacuumed and analysed, autovacuum off so
/// nothing changes behind a test's back. Tests that change a table (drop an index, vacuum, add statistics) make
/// their own table with <see cref="ExecuteAsync"/>.
/// </summary>
public sealed class PlanLab
{
    /// <summary>Rows in <c>items</c>.</summary>
    public const int ItemRows = 200_000;

    /// <summary>
    /// items: id 1..200,000 (primary key); a = b = id % 300 (perfectly correlated); v a permutation of
    /// 0..199,999 (index items_v_idx); payload md5(id), 32 hex characters.
    /// </summary>
    private static readonly string[] Setup =
    [
        """
        CREATE TABLE items (id int PRIMARY KEY, a int NOT NULL, b int NOT NULL, v int NOT NULL, payload text NOT NULL)
            WITH (autovacuum_enabled = false)
        """,
        "INSERT INTO items SELECT i, i % 300, i % 300, (i * 7919) % 200000, md5(i::text) FROM generate_series(1, 200000) i",
        "CREATE INDEX items_v_idx ON items (v)",
        "VACUUM ANALYZE items",
    ];

    /// <summary>Settings every EXPLAIN starts from: no parallel plans and no JIT unless a test asks for them.</summary>
    private static readonly Dictionary<string, string> Baseline = new()
    {
        ["max_parallel_workers_per_gather"] = "0",
        ["jit"] = "off",
    };

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static PlanLab? _shared;

    private PlanLab(string connectionString) => ConnectionString = connectionString;

    public string ConnectionString { get; }

    public static async Task<PlanLab> GetAsync(LabFixture fixture)
    {
        await Gate.WaitAsync();
        try
        {
            if (_shared is null)
            {
                var lab = new PlanLab(await fixture.CreateDatabaseAsync("querylab_plans"));
                await lab.ExecuteAsync(Setup);
                _shared = lab;
            }

            return _shared;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Runs each statement on its own (VACUUM refuses to share a batch).</summary>
    public async Task ExecuteAsync(params string[] statements)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        foreach (var sql in statements)
        {
            await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 300 };
            await cmd.ExecuteNonQueryAsync();
        }
    }

    /// <summary>The JSON text PostgreSQL returns for EXPLAIN (ANALYZE, BUFFERS, SETTINGS, FORMAT JSON) of <paramref name="sql"/>, on a new connection.</summary>
    /// <param name="settings">SET before the statement, on top of <see cref="Baseline"/>.</param>
    /// <param name="parameters">Values for $1, $2… (bound, as the application would send them).</param>
    /// <param name="warm">Run the statement once first, as an application's pooled connection would have: the
    /// catalog caches of a new connection otherwise add milliseconds to planning and execution.</param>
    public async Task<string> ExplainJsonAsync(string sql, IReadOnlyDictionary<string, string>? settings = null, object[]? parameters = null, bool warm = false)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        var all = new Dictionary<string, string>(Baseline);
        foreach (var (k, v) in settings ?? new Dictionary<string, string>())
        {
            all[k] = v;
        }

        foreach (var (name, value) in all)
        {
            await using var set = new NpgsqlCommand($"SELECT set_config('{name}', '{value}', false)", conn);
            await set.ExecuteNonQueryAsync();
        }

        if (warm)
        {
            await using var once = Command(conn, sql, parameters);
            await once.ExecuteNonQueryAsync();
        }

        await using var cmd = Command(conn, "EXPLAIN (ANALYZE, BUFFERS, SETTINGS, FORMAT JSON) " + sql, parameters);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    /// <summary>EXPLAIN (FORMAT JSON) without ANALYZE: the plan PostgreSQL would run, not run.</summary>
    public async Task<string> PlanOnlyJsonAsync(string sql)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = Command(conn, "EXPLAIN (FORMAT JSON) " + sql, null);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    public async Task<PlanAnalysis> ExplainAsync(string sql, IReadOnlyDictionary<string, string>? settings = null, object[]? parameters = null, bool warm = false) =>
        PlanAnalyzer.Analyze(await ExplainJsonAsync(sql, settings, parameters, warm));

    private static NpgsqlCommand Command(NpgsqlConnection conn, string sql, object[]? parameters)
    {
        var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 300 };
        foreach (var p in parameters ?? [])
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = p });
        }

        return cmd;
    }

    public async Task<bool> JitAvailableAsync()
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT pg_jit_available()", conn);
        return (bool)(await cmd.ExecuteScalarAsync())!;
    }
}
