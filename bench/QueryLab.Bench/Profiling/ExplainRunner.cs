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
public sealed class ExplainRunner(NpgsqlDataSource dataSource)
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
            await RunExplainAsync(s, ct); // warm-up
            custom = await RunExplainAsync(s, ct);
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
            return new ExplainedStatement(custom, await RunGenericAsync(s, ct), null);
        }
        catch (PostgresException ex)
        {
            return new ExplainedStatement(custom, null, $"generic plan unavailable: {ex.SqlState} {ex.MessageText}");
        }
    }

    private async Task<string> RunExplainAsync(CapturedStatement s, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        try
        {
#pragma warning disable CA2100 // The statement is one the application itself sent; its values stay bound parameters.
            await using var cmd = new NpgsqlCommand($"EXPLAIN ({Options(conn)}) " + s.Sql, conn, tx);
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

    private async Task<string> RunGenericAsync(CapturedStatement s, CancellationToken ct)
    {
        var rewritten = Placeholders.ToPositional(s.Sql, s.Parameters.Select(p => p.Name).ToList());
        var name = "querylab_generic_" + Interlocked.Increment(ref _counter).ToString(CultureInfo.InvariantCulture);
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        try
        {
            await using var tx = await conn.BeginTransactionAsync(ct);
            try
            {
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
                await using var explain = new NpgsqlCommand($"EXPLAIN ({Options(conn)}) EXECUTE {name}({string.Join(", ", literals)})", conn, tx);
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

    /// <summary>EXPLAIN's options on this connection's server: WAL exists since PostgreSQL 13.</summary>
    private static string Options(NpgsqlConnection conn) =>
        conn.PostgreSqlVersion.Major >= 13 ? "ANALYZE, BUFFERS, WAL, SETTINGS, FORMAT JSON" : "ANALYZE, BUFFERS, SETTINGS, FORMAT JSON";

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
