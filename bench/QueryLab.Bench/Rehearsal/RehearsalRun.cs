using System.Diagnostics;
using System.Globalization;
using Npgsql;
using QueryLab.Seed.Migrations;

namespace QueryLab.Bench.Rehearsal;

/// <summary>A statement as it ran on the copy (Stopwatch ticks; <see cref="HoldEnd"/>: when the locks it took were released, its file's COMMIT in a transaction).</summary>
public sealed record RanStatement(
    int Index,
    int FileIndex,
    string File,
    int Line,
    string Sql,
    bool InTransaction,
    bool Ran,
    long Start,
    long End,
    long HoldEnd,
    string? Error,
    IReadOnlyList<(string Table, string Mode)> Locks,
    IReadOnlyList<string> Rewritten,
    long? WalBytes);

/// <summary>A pending file as it ran: applied, failed (with the error as migrate would print it), or not run after an earlier failure.</summary>
public sealed record RanFile(int Index, string File, bool InTransaction, string Outcome, string? Error, long Start, long End);

/// <summary>
/// Applies the pending files on the copy as <c>querylab migrate</c> does — in order, each in its own transaction unless it
/// carries the no-transaction line, recorded in the copy's ledger, stopping at the first failure — but one statement at a
/// time, so that each can be timed and its locks, rewrites and WAL read: before and after each statement the tables'
/// relfilenodes and the WAL insert position, after it the table locks its transaction holds.
/// </summary>
public sealed class RehearsalRun(NpgsqlConnection conn, LockSampler sampler, TextWriter log)
{
    public const string Applied = "applied";
    public const string FailedOutcome = "failed";
    public const string NotRun = "not run";

    /// <summary>How often a statement still running says so.</summary>
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(5);

    public List<RanFile> Files { get; } = [];

    public List<RanStatement> Statements { get; } = [];

    /// <summary>The first failure, as migrate would report it; null when every file was applied.</summary>
    public string? Failure { get; private set; }

    public async Task RunAsync(IReadOnlyList<MigrationFile> pending, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(pending);
        for (var f = 0; f < pending.Count; f++)
        {
            var file = pending[f];
            var name = Path.GetFileName(file.Path);
            if (Failure is not null)
            {
                Files.Add(new RanFile(f, name, !file.RunsOutsideTransaction, NotRun, null, 0, 0));
                continue;
            }

            await RunFileAsync(f, file, name, ct);
        }
    }

    private async Task RunFileAsync(int f, MigrationFile file, string name, CancellationToken ct)
    {
        var inTx = !file.RunsOutsideTransaction;
        var fileStart = Stopwatch.GetTimestamp();
        var first = Statements.Count;
        log.WriteLine($"rehearse: {name} ({(inTx ? "in a transaction" : "outside a transaction")})");
        await using var tx = inTx ? await conn.BeginTransactionAsync(ct) : null;
        var held = new HashSet<(string, string)>();
        string? error = null;
        foreach (var st in SqlStatementSplitter.Split(file.Sql))
        {
            var sql = st.TextIn(file.Sql);
            var before = await SnapshotAsync(tx, ct);
            var index = Statements.Count;
            sampler.Statement = index;
            var start = Stopwatch.GetTimestamp();
            try
            {
#pragma warning disable CA2100 // The reviewed migration file is the SQL to run, on the copy; nothing from user input reaches it.
                await using var cmd = new NpgsqlCommand(sql, conn, tx) { CommandTimeout = 0 };
#pragma warning restore CA2100
                var running = cmd.ExecuteNonQueryAsync(ct);
                while (await Task.WhenAny(running, Task.Delay(Heartbeat, ct)) != running && !ct.IsCancellationRequested)
                {
                    // A statement at production scale can run for minutes: say so, and who is waiting for it.
                    log.WriteLine($"  line {st.Line}: running for {Ms(start, Stopwatch.GetTimestamp())}; {sampler.WaitingLately(index)} session(s) of the traffic waiting for it in the last second");
                }

                await running;
            }
            catch (PostgresException ex)
            {
                var end = Stopwatch.GetTimestamp();
                var at = ex.Position > 0 ? st.Line + sql[..Math.Min(ex.Position - 1, sql.Length)].Count(c => c == '\n') : st.Line;
                error = $"{ex.SqlState} {ex.MessageText}";
                Failure = $"migration {name} failed at line {at.ToString(CultureInfo.InvariantCulture)} and was rolled back"
                    + $"{(inTx ? "" : " (it runs outside a transaction: the statements before it stay applied; check what it left)")}: {error}"
                    + "; in production it would fail the same way: fix the file and rehearse again";
                Statements.Add(new RanStatement(index, f, name, st.Line, sql, inTx, true, start, end, end, error, [], [], null));
                log.WriteLine($"  line {st.Line}: failed after {Ms(start, end)}: {error}");
                break;
            }

            var stop = Stopwatch.GetTimestamp();
            var after = await SnapshotAsync(tx, ct);
            var locks = inTx ? await LocksAsync(tx!, ct) : [];
            var taken = locks.Where(l => !held.Contains(l)).ToList();
            held.UnionWith(locks);
            var rewritten = after.Files.Where(a => before.Files.TryGetValue(a.Key, out var b) && b.Node != a.Value.Node).Select(a => a.Value.Name).Order(StringComparer.Ordinal).ToList();
            Statements.Add(new RanStatement(index, f, name, st.Line, sql, inTx, true, start, stop, stop, null, taken, rewritten, after.Wal - before.Wal));
            log.WriteLine($"  line {st.Line}: {Ms(start, stop)}{(rewritten.Count > 0 ? $", rewrote {string.Join(", ", rewritten)}" : "")}");
        }

        if (error is null)
        {
            await using (var record = new NpgsqlCommand(
                "INSERT INTO querylab.schema_migrations (version, name, sha256, duration_ms) VALUES ($1, $2, $3, $4)", conn, tx))
            {
                record.Parameters.AddWithValue(file.Version);
                record.Parameters.AddWithValue(file.Name);
                record.Parameters.AddWithValue(MigrationSet.Sha256(file));
                record.Parameters.AddWithValue((int)Stopwatch.GetElapsedTime(fileStart).TotalMilliseconds);
                await record.ExecuteNonQueryAsync(ct);
            }

            if (tx is not null)
            {
                await tx.CommitAsync(ct);
            }
        }
        else if (tx is not null)
        {
            await tx.RollbackAsync(CancellationToken.None);
        }

        sampler.Statement = -1;
        var fileEnd = Stopwatch.GetTimestamp();
        if (inTx)
        {
            // In a transaction every lock is held until COMMIT (or ROLLBACK): that is how long the traffic may wait for it.
            for (var k = first; k < Statements.Count; k++)
            {
                if (Statements[k].Locks.Count > 0)
                {
                    Statements[k] = Statements[k] with { HoldEnd = fileEnd };
                }
            }
        }

        Files.Add(new RanFile(f, name, inTx, error is null ? Applied : FailedOutcome, error, fileStart, fileEnd));
    }

    private sealed record Snapshot(Dictionary<long, (string Name, long Node)> Files, long Wal);

    /// <summary>The querylab tables' relfilenodes (a rewrite gives a table a new one) and the WAL insert position, in bytes.</summary>
    private async Task<Snapshot> SnapshotAsync(NpgsqlTransaction? tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            """
            SELECT c.oid::int8, c.relname, c.relfilenode::int8, pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::int8
            FROM pg_class c WHERE c.relnamespace = 'querylab'::regnamespace AND c.relkind IN ('r', 'm', 'p')
            """, conn, tx);
        var files = new Dictionary<long, (string, long)>();
        long wal = 0;
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            files[r.GetInt64(0)] = (r.GetString(1), r.GetInt64(2));
            wal = r.GetInt64(3);
        }

        return new Snapshot(files, wal);
    }

    /// <summary>The table locks the migration's transaction holds now (the ledger's own excepted).</summary>
    private async Task<List<(string Table, string Mode)>> LocksAsync(NpgsqlTransaction tx, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            """
            SELECT c.relname, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
            WHERE l.pid = pg_backend_pid() AND l.granted AND l.locktype = 'relation' AND c.relkind IN ('r', 'm', 'p')
              AND c.relnamespace = 'querylab'::regnamespace AND c.relname <> 'schema_migrations'
            """, conn, tx);
        var locks = new List<(string, string)>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            locks.Add((r.GetString(0), r.GetString(1)));
        }

        return locks;
    }

    private static string Ms(long from, long to) => Reports.Units.Duration(Stopwatch.GetElapsedTime(from, to).TotalMilliseconds);
}
