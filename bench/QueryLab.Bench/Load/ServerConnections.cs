using System.Diagnostics;
using Npgsql;

namespace QueryLab.Bench.Load;

/// <summary>A backend the server still holds for the load run's application name.</summary>
public sealed record Backend(int Pid, string State, DateTime BackendStart);

/// <summary>What the server says about connections: its limits, and the backends a load run left behind.</summary>
public static class ServerConnections
{
    /// <summary>max_connections and the reserved slots, the role's and the database's CONNECTION LIMIT, for the role connected.</summary>
    public static async Task<ConnectionLimits> LimitsAsync(NpgsqlDataSource ds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ds);
        await using var cmd = ds.CreateCommand(
            """
            SELECT current_setting('max_connections')::int,
                   current_setting('superuser_reserved_connections')::int + coalesce(current_setting('reserved_connections', true)::int, 0),
                   r.rolconnlimit, d.datconnlimit, r.rolsuper, current_user::text
            FROM pg_roles r, pg_database d
            WHERE r.rolname = current_user AND d.datname = current_database()
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        var superuser = r.GetBoolean(4);

        // Superusers may use the reserved slots, and no CONNECTION LIMIT applies to them.
        return new ConnectionLimits(r.GetInt32(0), superuser ? 0 : r.GetInt32(1), superuser ? -1 : r.GetInt32(2), superuser ? -1 : r.GetInt32(3), r.GetString(5));
    }

    /// <summary>
    /// How many more connections this role could open on this database now: the smallest of what max_connections,
    /// the role's and the database's CONNECTION LIMIT leave after the client backends already there.
    /// </summary>
    public static async Task<int> FreeAsync(NpgsqlDataSource ds, ConnectionLimits limits, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ds);
        ArgumentNullException.ThrowIfNull(limits);
        await using var cmd = ds.CreateCommand(
            """
            SELECT count(*)::int, (count(*) FILTER (WHERE usename = current_user))::int, (count(*) FILTER (WHERE datname = current_database()))::int
            FROM pg_stat_activity WHERE backend_type = 'client backend'
            """);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        await r.ReadAsync(ct);
        var free = limits.MaxConnections - limits.ReservedConnections - r.GetInt32(0);
        if (limits.RoleLimit >= 0)
        {
            free = Math.Min(free, limits.RoleLimit - r.GetInt32(1));
        }

        if (limits.DatabaseLimit >= 0)
        {
            free = Math.Min(free, limits.DatabaseLimit - r.GetInt32(2));
        }

        return Math.Max(free, 0);
    }

    /// <summary>
    /// The backends of <paramref name="applicationName"/> on this database, once they have had up to
    /// <paramref name="grace"/> to go: a backend exits a moment after its client closed the connection, so an
    /// empty answer is waited for rather than read once. Whatever is left is a leak.
    /// </summary>
    public static async Task<IReadOnlyList<Backend>> LeftOpenAsync(NpgsqlDataSource ds, string applicationName, TimeSpan grace, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ds);
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var left = new List<Backend>();
            await using (var cmd = ds.CreateCommand(
                "SELECT pid, coalesce(state, ''), backend_start FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database() AND pid <> pg_backend_pid() ORDER BY pid"))
            {
                cmd.Parameters.AddWithValue(applicationName);
                await using var r = await cmd.ExecuteReaderAsync(ct);
                while (await r.ReadAsync(ct))
                {
                    left.Add(new Backend(r.GetInt32(0), r.GetString(1), r.GetDateTime(2)));
                }
            }

            if (left.Count == 0 || watch.Elapsed >= grace)
            {
                return left;
            }

            await Task.Delay(100, ct);
        }
    }
}
