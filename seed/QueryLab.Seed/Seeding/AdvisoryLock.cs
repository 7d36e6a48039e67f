using System.Diagnostics;
using Npgsql;

namespace QueryLab.Seed.Seeding;

/// <summary>
/// A session advisory lock held on its own connection for the whole seed, so two seeds of one database never run at
/// once. Released on dispose, or by the server when the process dies and the connection drops.
/// </summary>
internal sealed class AdvisoryLock : IAsyncDisposable
{
    /// <summary>"QLSEED" in ASCII.</summary>
    public const long Key = 0x514C_5345_4544L;

    private readonly NpgsqlConnection _connection;

    private AdvisoryLock(NpgsqlConnection connection) => _connection = connection;

    public static async Task<AdvisoryLock> AcquireAsync(NpgsqlDataSource dataSource, TimeSpan wait, CancellationToken ct)
    {
        var conn = await dataSource.OpenConnectionAsync(ct);
        try
        {
            var started = Stopwatch.GetTimestamp();
            while (true)
            {
                await using (var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", conn))
                {
                    cmd.Parameters.AddWithValue("key", Key);
                    if ((bool)(await cmd.ExecuteScalarAsync(ct))!)
                    {
                        return new AdvisoryLock(conn);
                    }
                }

                if (Stopwatch.GetElapsedTime(started) >= wait)
                {
                    var holder = await HolderAsync(conn, ct);
                    throw new SeedException(
                        $"another querylab seed is running on this database{holder}; waited {wait.TotalSeconds:0} s — let it finish (or stop it) and run again",
                        code: ExitCode.Environment);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
            }
        }
        catch
        {
            await conn.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var cmd = new NpgsqlCommand("SELECT pg_advisory_unlock(@key)", _connection);
            cmd.Parameters.AddWithValue("key", Key);
            await cmd.ExecuteScalarAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // The connection is gone, and the server released the lock with it.
        }

        await _connection.DisposeAsync();
    }

    private static async Task<string> HolderAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        const string sql = """
            SELECT a.pid, coalesce(nullif(a.application_name, ''), '?')
            FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.classid = (@key >> 32)::oid AND l.objid = (@key & 4294967295)::oid
            LIMIT 1
            """;
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue("key", Key);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? $" (server process {reader.GetInt32(0)}, application '{reader.GetString(1)}')" : "";
    }
}
