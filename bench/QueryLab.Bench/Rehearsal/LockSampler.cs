using System.Diagnostics;
using Npgsql;

namespace QueryLab.Bench.Rehearsal;

/// <summary>
/// A session that waits for the migration's backend: seen at <see cref="At"/> (Stopwatch ticks) while statement
/// <see cref="Statement"/> ran, waiting since its query started (<see cref="QueryStart"/>, the server's clock) for
/// <see cref="WaitedMs"/>, on a lock of <see cref="Table"/> (null: not a table lock, say a row or a transaction).
/// </summary>
public sealed record WaitSample(long At, int Statement, int Pid, DateTime QueryStart, double WaitedMs, string? Table);

/// <summary>A lock the migration's backend held when sampled: the table and the mode.</summary>
public sealed record HeldSample(int Statement, string Table, string Mode);

/// <summary>
/// Samples, every ~10 ms on a connection of its own, which sessions wait for the migration's backend
/// (<c>pg_blocking_pids</c>, which counts those queued behind it as well as those blocked by the locks it holds) and which
/// table locks the migration holds (<c>pg_locks</c>). The statement in flight is set by the rehearsal before each statement.
/// </summary>
public sealed class LockSampler : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);

    private const string Sql = """
        SELECT 'w', w.pid, w.query_start, extract(epoch FROM clock_timestamp() - w.query_start) * 1000,
               (SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.pid = w.pid AND NOT l.granted LIMIT 1)
        FROM pg_stat_activity w
        WHERE w.datname = current_database() AND w.wait_event_type = 'Lock' AND $1 = ANY (pg_blocking_pids(w.pid))
        UNION ALL
        SELECT 'h', 0, NULL, 0, c.relname || ' ' || l.mode
        FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
        WHERE l.pid = $1 AND l.granted AND l.locktype = 'relation' AND c.relkind IN ('r', 'm', 'p')
          AND c.relnamespace = 'querylab'::regnamespace AND c.relname <> 'schema_migrations'
        UNION ALL
        SELECT 'm', m.pid, m.query_start, extract(epoch FROM clock_timestamp() - m.query_start) * 1000, NULL
        FROM pg_stat_activity m WHERE m.pid = $1 AND m.wait_event_type = 'Lock'
        """;

    private readonly NpgsqlConnection _conn;
    private readonly int _migrationPid;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<WaitSample> _waits = [];
    private readonly HashSet<HeldSample> _held = [];
    private readonly Dictionary<int, double> _migrationWaits = [];
    private Task? _loop;
    private volatile int _statement = -1;

    private LockSampler(NpgsqlConnection conn, int migrationPid)
    {
        _conn = conn;
        _migrationPid = migrationPid;
    }

    /// <summary>The statement now running (an index into the rehearsal's statements), or -1 between statements.</summary>
    public int Statement
    {
        get => _statement;
        set => _statement = value;
    }

    public long Ticks { get; private set; }

    /// <summary>Every wait seen (a copy: read it once sampling has stopped).</summary>
    public IReadOnlyList<WaitSample> Waits
    {
        get
        {
            lock (_waits)
            {
                return _waits.ToList();
            }
        }
    }

    /// <summary>How many sessions were seen waiting for <paramref name="statement"/> in the last second (for progress lines).</summary>
    public int WaitingLately(int statement)
    {
        var since = Stopwatch.GetTimestamp() - Stopwatch.Frequency;
        lock (_waits)
        {
            return _waits.Skip(Math.Max(0, _waits.Count - 1_000)).Where(w => w.Statement == statement && w.At >= since).Select(w => w.Pid).Distinct().Count();
        }
    }

    public IReadOnlyCollection<HeldSample> Held => _held;

    /// <summary>Per statement, the longest the migration itself was seen waiting for a lock (what a lock_timeout would cut short).</summary>
    public IReadOnlyDictionary<int, double> MigrationWaits => _migrationWaits;

    public static async Task<LockSampler> StartAsync(string connectionString, int migrationPid, CancellationToken ct)
    {
        var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await conn.OpenAsync(ct);
        var sampler = new LockSampler(conn, migrationPid);
        sampler._loop = Task.Run(() => sampler.LoopAsync(ct), CancellationToken.None);
        return sampler;
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        await using var cmd = new NpgsqlCommand(Sql, _conn);
        cmd.Parameters.AddWithValue(_migrationPid);
        await cmd.PrepareAsync(linked.Token);
        var next = Stopwatch.GetTimestamp();
        while (!linked.IsCancellationRequested)
        {
            try
            {
                var statement = _statement;
                var at = Stopwatch.GetTimestamp();
                await using (var r = await cmd.ExecuteReaderAsync(linked.Token))
                {
                    while (await r.ReadAsync(linked.Token))
                    {
                        var kind = r.GetString(0);
                        if (kind == "m")
                        {
                            if (statement >= 0)
                            {
                                _migrationWaits[statement] = Math.Max(_migrationWaits.GetValueOrDefault(statement), r.GetDouble(3));
                            }
                        }
                        else if (kind == "w")
                        {
                            var w = new WaitSample(at, statement, r.GetInt32(1), r.GetDateTime(2), r.GetDouble(3), r.IsDBNull(4) ? null : r.GetString(4));
                            lock (_waits)
                            {
                                _waits.Add(w);
                            }
                        }
                        else if (statement >= 0 && !r.IsDBNull(4))
                        {
                            var held = r.GetString(4);
                            var space = held.IndexOf(' ', StringComparison.Ordinal);
                            _held.Add(new HeldSample(statement, held[..space], held[(space + 1)..]));
                        }
                    }
                }

                Ticks++;
                next += (long)(Interval.TotalSeconds * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, linked.Token);
                }
                else
                {
                    next = Stopwatch.GetTimestamp(); // the sample took longer than the interval: no catching up in a burst
                }
            }
            catch (OperationCanceledException) when (linked.IsCancellationRequested)
            {
                return;
            }
            catch (NpgsqlException) when (linked.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Stops sampling and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        await _conn.DisposeAsync();
        _stop.Dispose();
    }
}
