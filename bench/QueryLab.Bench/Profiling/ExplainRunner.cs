using System.Globalization;
using Npgsql;

namespace QueryLab.Bench.Profiling;

/// <summary>The plans of one statement: what the server ran with these values, and what it would run once prepared.</summary>
public sealed record ExplainedStatement(string? CustomPlanJson, string? GenericPlanJson, string? Note);

/// <summary>
/// Replays a captured statement under <c>EXPLAIN (ANALYZE, BUFFERS, WAL, SETTINGS, FORMAT JSON)</c> with the same
/// parameter values, after one warm-up run so the plan is of a warm cache, each inside a transaction that is
/// rolled back (writes change nothing). Then the generic plan: <c>PREPARE</c> + <c>plan_cache_mode =
/// force_generic_plan</c> + <c>EXPLAIN (ANALYZE, BUFFERS, WAL) EXECUTE</c> — the plan a prepared statement switches
/// to after five executions, which is what production runs when Npgsql auto-prepares. WAL is asked of servers that
/// know it (PostgreSQL 13+); a plan from an older one has no WAL counts, which the results record as absent, not 0.
/// </summary>
/// <remarks>
/// Each EXPLAIN ANALYZE runs under the statement limit (<c>SET LOCAL statement_timeout</c>): a statement the limit stops
/// is explained again without ANALYZE, and the note says the plan is the planner's estimate. <see cref="EstimateAsync"/>
/// gives only that estimate, for a statement already known not to finish.
/// </remarks>
public sealed class ExplainRunner(NpgsqlDataSource dataSource, TimeSpan? statementLimit = null)
{
    private static readonly string[] Explainable = ["SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "VALUES", "TABLE", "MERGE"];
    private int _counter;

    public async Task<ExplainedStatement> ExplainAsync(CapturedStatement s, CancellationToken ct)
    {
        var firstWord = s.Sql.TrimStart('(', ' ', '\n', '\r', '\t').Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.ToUpperInvariant() ?? "";
        if (s.Kind == StatementKind.Copy || !Explainable.Contains(firstWord))
        {
            return new ExplainedStatement(null, null, $"{(s.Kind == StatementKind.Copy ? "COPY" : firstWord)} statements have no plan to show");
        }

        string custom;
        try
        {
            // A warm-up first, so the plan is of a warm cache; a statement that takes a second is warm by then (the variant
            // itself ran twice before it), and its first plan is kept rather than paying for it again.
            var watch = System.Diagnostics.Stopwatch.StartNew();
            custom = await RunExplainAsync(s, analyze: true, ct);
            if (watch.Elapsed < SlowEnoughToKeepFirst)
            {
                custom = await RunExplainAsync(s, analyze: true, ct);
            }
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.QueryCanceled && !ct.IsCancellationRequested)
        {
            return await EstimateAsync(s, ct);
        }
        catch (PostgresException ex)
        {
            return new ExplainedStatement(null, null, $"EXPLAIN failed: {ex.SqlState} {ex.MessageText}");
        }

        if (s.Parameters.Count == 0)
        {
            return new ExplainedStatement(custom, null, "no parameters: the generic plan is this plan");
        }

        try
        {
            return new ExplainedStatement(custom, await RunGenericAsync(s, analyze: true, ct), null);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.QueryCanceled && !ct.IsCancellationRequested)
        {
            return new ExplainedStatement(custom, await TryAsync(() => RunGenericAsync(s, analyze: false, ct)), $"the generic plan did not finish within the statement limit ({LimitText}); it is EXPLAIN's estimate, without ANALYZE");
        }
        catch (PostgresException ex)
        {
            return new ExplainedStatement(custom, null, $"generic plan unavailable: {ex.SqlState} {ex.MessageText}");
        }
    }

    /// <summary>
    /// The plans of a statement that does not finish within the limit: <c>EXPLAIN</c> without ANALYZE (the planner's
    /// estimate; nothing is executed), for these values and once prepared.
    /// </summary>
    public async Task<ExplainedStatement> EstimateAsync(CapturedStatement s, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(s);
        var note = $"did not finish within the statement limit ({LimitText}): the plan is EXPLAIN's estimate, without ANALYZE (no times, no buffers)";
        string custom;
        try
        {
            custom = await RunExplainAsync(s, analyze: false, ct);
        }
        catch (PostgresException ex)
        {
            return new ExplainedStatement(null, null, $"{note}; EXPLAIN failed: {ex.SqlState} {ex.MessageText}");
        }

        return new ExplainedStatement(custom, s.Parameters.Count == 0 ? null : await TryAsync(() => RunGenericAsync(s, analyze: false, ct)), note);
    }

    private static readonly TimeSpan SlowEnoughToKeepFirst = TimeSpan.FromSeconds(1);

    private string LimitText => Seed.Server.StatementLimit.Display(statementLimit ?? Seed.Server.StatementLimit.Default);

    private static async Task<string?> TryAsync(Func<Task<string>> explain)
    {
        try
        {
            return await explain();
        }
        catch (PostgresException)
        {
            return null;
        }
    }

    /// <summary>Inside the EXPLAIN's own transaction: the statement limit, so an EXPLAIN ANALYZE is bounded like the variant.</summary>
    private async Task LimitAsync(NpgsqlConnection conn, NpgsqlTransaction tx, CancellationToken ct)
    {
        if (statementLimit is not { } limit)
        {
            return;
        }

        await using var set = new NpgsqlCommand("SELECT set_config('statement_timeout', $1, true)", conn, tx);
        set.Parameters.AddWithValue(Seed.Server.StatementLimit.Milliseconds(limit).ToString(CultureInfo.InvariantCulture));
        await set.ExecuteNonQueryAsync(ct);
    }

    private async Task<string> RunExplainAsync(CapturedStatement s, bool analyze, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        try
        {
            await LimitAsync(conn, tx, ct);
#pragma warning disable CA2100 // The statement is one the application itself sent; its values stay bound parameters.
            await using var cmd = new NpgsqlCommand($"EXPLAIN ({Options(conn, analyze)}) " + s.Sql, conn, tx);
#pragma warning restore CA2100
            foreach (var p in s.Parameters)
            {
                cmd.Parameters.Add(Bind(p, p.Name));
            }

            return (string)(await cmd.ExecuteScalarAsync(ct))!;
        }
        finally
        {
            await tx.RollbackAsync(CancellationToken.None);
        }
    }

    private async Task<string> RunGenericAsync(CapturedStatement s, bool analyze, CancellationToken ct)
    {
        var rewritten = Placeholders.ToPositional(s.Sql, s.Parameters.Select(p => p.Name).ToList());
        var name = "querylab_generic_" + Interlocked.Increment(ref _counter).ToString(CultureInfo.InvariantCulture);
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        try
        {
            await using var tx = await conn.BeginTransactionAsync(ct);
            try
            {
                await LimitAsync(conn, tx, ct);
#pragma warning disable CA2100 // As above: the application's own statement, PREPAREd under a generated name.
                await using (var prepare = new NpgsqlCommand($"PREPARE {name} AS {rewritten.Sql}", conn, tx))
                {
                    await prepare.ExecuteNonQueryAsync(ct);
                }

                await using (var mode = new NpgsqlCommand("SET LOCAL plan_cache_mode = force_generic_plan", conn, tx))
                {
                    await mode.ExecuteNonQueryAsync(ct);
                }

                // EXPLAIN is a utility statement: it takes no bound parameters, so EXECUTE gets literals. The server
                // writes them itself (format('%L', $n) quotes any value with its type's output function).
                var literals = await LiteralsAsync(conn, tx, rewritten.ParameterOrder.Select(i => s.Parameters[i]).ToList(), ct);
                await using var explain = new NpgsqlCommand($"EXPLAIN ({Options(conn, analyze)}) EXECUTE {name}({string.Join(", ", literals)})", conn, tx);
#pragma warning restore CA2100
                return (string)(await explain.ExecuteScalarAsync(ct))!;
            }
            finally
            {
                await tx.RollbackAsync(CancellationToken.None);
            }
        }
        finally
        {
#pragma warning disable CA2100
            await using var deallocate = new NpgsqlCommand($"DEALLOCATE {name}", conn);
#pragma warning restore CA2100
            try
            {
                await deallocate.ExecuteNonQueryAsync(CancellationToken.None);
            }
            catch (PostgresException)
            {
                // PREPARE itself failed: nothing to deallocate.
            }
        }
    }

    /// <summary>EXPLAIN's options on this connection's server: WAL exists since PostgreSQL 13; without ANALYZE only the estimate (BUFFERS and WAL need ANALYZE before 13 and say nothing without it).</summary>
    private static string Options(NpgsqlConnection conn, bool analyze) =>
        !analyze ? "SETTINGS, FORMAT JSON"
        : conn.PostgreSqlVersion.Major >= 13 ? "ANALYZE, BUFFERS, WAL, SETTINGS, FORMAT JSON" : "ANALYZE, BUFFERS, SETTINGS, FORMAT JSON";

    private static async Task<IReadOnlyList<string>> LiteralsAsync(NpgsqlConnection conn, NpgsqlTransaction tx, IReadOnlyList<CapturedParameter> ps, CancellationToken ct)
    {
        var select = "SELECT " + string.Join(", ", ps.Select((_, i) => $"format('%L', ${(i + 1).ToString(CultureInfo.InvariantCulture)})"));
#pragma warning disable CA2100 // Built from placeholders only.
        await using var cmd = new NpgsqlCommand(select, conn, tx);
#pragma warning restore CA2100
        foreach (var p in ps)
        {
            cmd.Parameters.Add(Bind(p, ""));
        }

        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        return Enumerable.Range(0, ps.Count).Select(r.GetString).ToList();
    }

    /// <summary>A captured parameter bound again as it was sent: its value, and its type when the application named one.</summary>
    internal static NpgsqlParameter Bind(CapturedParameter p, string name)
    {
        var np = new NpgsqlParameter { ParameterName = name, Value = p.Value ?? DBNull.Value };
        if (p.DbType is { } t)
        {
            np.NpgsqlDbType = t;
        }
        else if (p.DataTypeName is { Length: > 0 } d)
        {
            np.DataTypeName = d;
        }

        return np;
    }
}
