using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;
using QueryLab.Bench.Profiling;
using QueryLab.Bench.Timing;

namespace QueryLab.Bench.Advice;

/// <summary>
/// One operation of a variant as PostgreSQL received it (the statements the wire capture recorded, with their values),
/// replayed on a given connection: the only way to run it inside advise's transaction, where the candidate index exists
/// for that session alone. Statements that shared a round trip go as one batch again; a write runs inside a savepoint
/// that is rolled back, as the scenario's own transaction is.
/// </summary>
public sealed record ReplayOperation(string Scenario, string Variant, bool Writes, IReadOnlyList<CapturedStatement> Statements)
{
    public string Key => $"{Scenario}/{Variant}";

    /// <summary>Whether every statement can be replayed (a COPY cannot).</summary>
    public bool Replayable => Statements.Count > 0 && Statements.All(s => s.Kind != StatementKind.Copy);

    /// <summary>The distinct statements (by normalised SQL), first occurrence of each.</summary>
    public IReadOnlyList<CapturedStatement> Distinct =>
        Statements.GroupBy(s => Placeholders.Normalise(s.Sql), StringComparer.Ordinal).Select(g => g.First()).ToList();
}

/// <summary>Runs <see cref="ReplayOperation"/>s on one connection (and inside its transaction, when it has one).</summary>
public static class StatementReplay
{
    /// <summary>Runs the operation once; with <paramref name="collect"/> returns every row of every statement as text, in order (what verification compares).</summary>
    public static async Task<IReadOnlyList<string>> RunAsync(NpgsqlConnection conn, ReplayOperation op, bool collect, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(conn);
        ArgumentNullException.ThrowIfNull(op);
        var rows = new List<string>();
        if (op.Writes)
        {
            await ExecAsync(conn, "SAVEPOINT querylab_replay", ct);
        }

        try
        {
            foreach (var trip in op.Statements.GroupBy(s => s.RoundTrip))
            {
                var statements = trip.ToList();
                if (statements.Count == 1)
                {
#pragma warning disable CA2100 // The application's own statement as the server received it; its values stay bound parameters.
                    await using var cmd = new NpgsqlCommand(statements[0].Sql, conn);
#pragma warning restore CA2100
                    Bind(cmd.Parameters, statements[0]);
                    await ReadAsync(await cmd.ExecuteReaderAsync(ct), rows, collect, ct);
                }
                else
                {
                    await using var batch = new NpgsqlBatch(conn);
                    foreach (var s in statements)
                    {
                        var bc = new NpgsqlBatchCommand(s.Sql);
                        Bind(bc.Parameters, s);
                        batch.BatchCommands.Add(bc);
                    }

                    await ReadAsync(await batch.ExecuteReaderAsync(ct), rows, collect, ct);
                }
            }
        }
        finally
        {
            if (op.Writes && conn.FullState == System.Data.ConnectionState.Open)
            {
                await ExecAsync(conn, "ROLLBACK TO SAVEPOINT querylab_replay", CancellationToken.None);
            }
        }

        return rows;
    }

    /// <summary>
    /// <c>EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)</c> of a statement with its values, inside a savepoint rolled back (a write
    /// changes nothing); the connection must be in a transaction.
    /// </summary>
    public static Task<string> ExplainAsync(NpgsqlConnection conn, CapturedStatement s, CancellationToken ct) => ExplainAsync(conn, s, verbose: false, ct);

    /// <summary>
    /// As <see cref="ExplainAsync(NpgsqlConnection, CapturedStatement, CancellationToken)"/>; with <paramref name="verbose"/>
    /// also VERBOSE, so each node says which columns it returns (its Output: what an INCLUDE candidate is read from).
    /// </summary>
    public static async Task<string> ExplainAsync(NpgsqlConnection conn, CapturedStatement s, bool verbose, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(conn);
        ArgumentNullException.ThrowIfNull(s);
        await ExecAsync(conn, "SAVEPOINT querylab_explain", ct);
        try
        {
#pragma warning disable CA2100 // As above.
            await using var cmd = new NpgsqlCommand($"EXPLAIN (ANALYZE, BUFFERS, SETTINGS, {(verbose ? "VERBOSE, " : "")}FORMAT JSON) " + s.Sql, conn);
#pragma warning restore CA2100
            Bind(cmd.Parameters, s);
            return (string)(await cmd.ExecuteScalarAsync(ct))!;
        }
        finally
        {
            await ExecAsync(conn, "ROLLBACK TO SAVEPOINT querylab_explain", CancellationToken.None);
        }
    }

    public static async Task ExecAsync(NpgsqlConnection conn, string sql, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(conn);
#pragma warning disable CA2100 // QueryLab's own statements (savepoints, the candidate's DDL built from plan identifiers).
        await using var cmd = new NpgsqlCommand(sql, conn);
#pragma warning restore CA2100
        cmd.CommandTimeout = 0;
        await cmd.ExecuteNonQueryAsync(ct);
    }

    private static void Bind(NpgsqlParameterCollection into, CapturedStatement s)
    {
        foreach (var p in s.Parameters)
        {
            into.Add(ExplainRunner.Bind(p, p.Name));
        }
    }

    private static async Task ReadAsync(NpgsqlDataReader reader, List<string> rows, bool collect, CancellationToken ct)
    {
        await using (reader)
        {
            do
            {
                while (await reader.ReadAsync(ct))
                {
                    if (!collect)
                    {
                        continue;
                    }

                    var sb = new StringBuilder();
                    for (var i = 0; i < reader.FieldCount; i++)
                    {
                        sb.Append(i == 0 ? "" : " | ").Append(reader.IsDBNull(i) ? "NULL" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture));
                    }

                    rows.Add(sb.ToString());
                }

                if (collect && reader.RecordsAffected >= 0)
                {
                    rows.Add($"({reader.RecordsAffected.ToString(CultureInfo.InvariantCulture)} affected)");
                }
            }
            while (await reader.NextResultAsync(ct));
        }
    }
}

/// <summary>A duet side that replays operations on one connection: slices of the same work, timed.</summary>
public sealed class ReplaySliceRunner(NpgsqlConnection conn, IReadOnlyDictionary<string, ReplayOperation> operations) : ISliceRunner
{
    public async Task<double> SliceAsync(string key, int start, int count, CancellationToken ct)
    {
        var op = operations[key];
        // An eighth of a slice, untimed, wakes the side that waited while the other ran (as LocalSliceRunner does).
        for (var i = 0; i < Math.Max(1, count / 8); i++)
        {
            await StatementReplay.RunAsync(conn, op, collect: false, ct);
        }

        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            await StatementReplay.RunAsync(conn, op, collect: false, ct);
        }

        return Stopwatch.GetElapsedTime(started).TotalNanoseconds / count;
    }
}
