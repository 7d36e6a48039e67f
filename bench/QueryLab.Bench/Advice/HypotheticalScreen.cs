using System.Text.Json;
using Npgsql;
using QueryLab.Bench.Profiling;

namespace QueryLab.Bench.Advice;

/// <summary>
/// An optional first pass with HypoPG, where the server has it: each candidate as a hypothetical index (planner costs
/// only, nothing built), and the statements it was proposed for planned with plain <c>EXPLAIN</c>. A candidate the planner
/// would not choose even so is not built; every other one is still built and measured for real — what advise recommends
/// is always what it measured. The extension is created inside a savepoint and rolled back with it, so nothing of
/// HypoPG stays in the database either.
/// </summary>
public static class HypotheticalScreen
{
    /// <summary>Null when HypoPG can be used on this server; otherwise the one line that says why not and what to install.</summary>
    public static async Task<string?> UnavailableAsync(NpgsqlDataSource ds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ds);
        await using var conn = await ds.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        try
        {
            await using var available = new NpgsqlCommand("SELECT count(*) FROM pg_available_extensions WHERE name = 'hypopg'", conn, tx);
            if ((long)(await available.ExecuteScalarAsync(ct))! == 0)
            {
                return $"HypoPG is not installed on the server (Debian: apt-get install postgresql-{conn.PostgreSqlVersion.Major}-hypopg), so every candidate is built for real";
            }

            await StatementReplay.ExecAsync(conn, "CREATE EXTENSION IF NOT EXISTS hypopg", ct);
            return null;
        }
        catch (PostgresException e) when (!ct.IsCancellationRequested)
        {
            return $"HypoPG cannot be loaded here ({e.SqlState} {e.MessageText}), so every candidate is built for real";
        }
        finally
        {
            await tx.RollbackAsync(CancellationToken.None);
        }
    }

    /// <summary>Whether the planner would use the candidate, as a hypothetical index, in any of <paramref name="statements"/>.</summary>
    public static async Task<bool> WouldUseAsync(NpgsqlDataSource ds, IndexCandidate candidate, IEnumerable<CapturedStatement> statements, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ds);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(statements);
        await using var conn = await ds.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        try
        {
            await StatementReplay.ExecAsync(conn, "CREATE EXTENSION IF NOT EXISTS hypopg", ct);
            string name;
            await using (var create = new NpgsqlCommand("SELECT indexname FROM hypopg_create_index($1)", conn, tx))
            {
                create.Parameters.AddWithValue(candidate.CreateSql(concurrently: false));
                name = (string)(await create.ExecuteScalarAsync(ct))!;
            }

            foreach (var s in statements)
            {
#pragma warning disable CA2100 // The application's own statement, its values bound as they were sent.
                await using var explain = new NpgsqlCommand("EXPLAIN (FORMAT JSON) " + s.Sql, conn, tx);
#pragma warning restore CA2100
                foreach (var p in s.Parameters)
                {
                    explain.Parameters.Add(ExplainRunner.Bind(p, p.Name));
                }

                using var plan = JsonDocument.Parse((string)(await explain.ExecuteScalarAsync(ct))!);
                if (Uses(plan.RootElement, name))
                {
                    return true;
                }
            }

            return false;
        }
        finally
        {
            await tx.RollbackAsync(CancellationToken.None);
        }
    }

    private static bool Uses(JsonElement e, string index) => e.ValueKind switch
    {
        JsonValueKind.Object => e.EnumerateObject().Any(p => (p.Name == "Index Name" && p.Value.ValueKind == JsonValueKind.String && p.Value.GetString() == index) || Uses(p.Value, index)),
        JsonValueKind.Array => e.EnumerateArray().Any(x => Uses(x, index)),
        _ => false,
    };
}
