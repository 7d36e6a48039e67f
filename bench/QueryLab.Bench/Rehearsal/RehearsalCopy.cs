using Npgsql;
using QueryLab.Seed;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Rehearsal;

/// <summary>
/// The copy of the lab a rehearsal migrates: <c>CREATE DATABASE querylab_rehearsal TEMPLATE &lt;lab&gt;</c> (the same pages,
/// hint bits and planner statistics; <c>STRATEGY = FILE_COPY</c> on 15+, a checkpoint and a file copy instead of WAL for
/// every block), dropped when the rehearsal ends — also when it failed or was interrupted. One rehearsal per server at a
/// time: the name is fixed (no option value becomes an identifier but the lab database's own name, quoted), so a session
/// advisory lock in the maintenance database guards it; a copy a killed rehearsal left is dropped first.
/// </summary>
public sealed class RehearsalCopy : IAsyncDisposable
{
    public const string Name = "querylab_rehearsal";
    private const long LockKey = 0x5175_6572_794C_6D04; // "QueryLm" + 4: rehearsals on a server

    private readonly NpgsqlConnection _admin;
    private readonly LabServer _server;
    private readonly TextWriter _err;
    private bool _created;
    private bool _disposed;

    private RehearsalCopy(NpgsqlConnection admin, LabServer server, TextWriter err)
    {
        _admin = admin;
        _server = server;
        _err = err;
    }

    /// <summary>Whether the copy is gone again (false only when dropping it failed: a warning said so).</summary>
    public bool Dropped { get; private set; }

    /// <summary>How long CREATE DATABASE … TEMPLATE took.</summary>
    public TimeSpan CopyTime { get; private set; }

    /// <summary>A connection string of the copy (password included: it never goes into output).</summary>
    public string ConnectionString(string applicationName) =>
        new NpgsqlConnectionStringBuilder(_server.Connection.ConnectionString) { Database = Name, ApplicationName = applicationName }.ConnectionString;

    /// <summary>Takes the server's rehearsal lock, drops a copy a killed rehearsal left, and copies <paramref name="labDatabase"/>.</summary>
    public static async Task<RehearsalCopy> CreateAsync(LabServer server, string labDatabase, TextWriter output, TextWriter err, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(output);
        var admin = await OpenMaintenanceAsync(server, ct);
        var copy = new RehearsalCopy(admin, server, err);
        try
        {
            await copy.LockAsync(ct);
            if (await copy.ExistsAsync(ct))
            {
                output.WriteLine($"rehearse: dropping {Name}, left on the server by a rehearsal that did not finish");
                await copy.ExecuteAsync($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", ct);
            }

            var strategy = admin.PostgreSqlVersion.Major >= 15 ? " STRATEGY = FILE_COPY" : "";
            output.WriteLine($"rehearse: copying the lab database {labDatabase} into {Name} (CREATE DATABASE … TEMPLATE{strategy})");
            var sw = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                copy._created = true; // from here on a half-made copy is dropped too
                await copy.ExecuteAsync($"CREATE DATABASE {Name} TEMPLATE {Quote(labDatabase)}{strategy}", ct);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ObjectInUse)
            {
                var sessions = await copy.SessionsOnAsync(labDatabase, ct);
                throw LabException.Environment(
                    $"PostgreSQL refused to copy the lab database {labDatabase} on {server.Description}: {sessions.Count} other session(s) are connected to it "
                    + $"({string.Join(", ", sessions)}), and a database is copied only while nobody else is; "
                    + "stop them or wait for them to finish (another QueryLab run, an application, psql), then run again — the lab was not touched", e);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
            {
                throw LabException.BadInput(
                    $"migrate --rehearse copies the lab into a database {Name} on {server.Description}, and its role may not ({e.SqlState} {e.MessageText}); "
                    + "grant it CREATEDB (ALTER ROLE … CREATEDB), or rehearse on the embedded server", e);
            }

            copy.CopyTime = sw.Elapsed;
            output.WriteLine($"rehearse: copied in {sw.Elapsed.TotalSeconds:0.0} s");
            return copy;
        }
        catch
        {
            await copy.DisposeAsync();
            throw;
        }
    }

    /// <summary>The server's maintenance database (postgres, else template1): the copy is made and dropped from there.</summary>
    private static async Task<NpgsqlConnection> OpenMaintenanceAsync(LabServer server, CancellationToken ct)
    {
        PostgresException? last = null;
        foreach (var db in new[] { "postgres", "template1" })
        {
            var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.Connection.ConnectionString)
            {
                Database = db,
                Pooling = false,
                ApplicationName = "querylab-rehearse-admin",
            }.ConnectionString);
            try
            {
                await conn.OpenAsync(ct);
                return conn;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.InsufficientPrivilege)
            {
                last = e;
                await conn.DisposeAsync();
            }
        }

        throw LabException.BadInput($"migrate --rehearse needs to connect to the maintenance database (postgres or template1) on {server.Description} to copy the lab ({last?.SqlState} {last?.MessageText}); grant the role CONNECT on it", last);
    }

    /// <summary>A database name as an identifier: double quotes, inner quotes doubled.</summary>
    internal static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private async Task LockAsync(CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", _admin);
        cmd.Parameters.AddWithValue(LockKey);
        if (!(bool)(await cmd.ExecuteScalarAsync(ct))!)
        {
            throw LabException.Environment($"another querylab migrate --rehearse is running on {_server.Description} (its copy is {Name}); wait for it to finish, then run again");
        }
    }

    private async Task<bool> ExistsAsync(CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", _admin);
        cmd.Parameters.AddWithValue(Name);
        return await cmd.ExecuteScalarAsync(ct) is not null;
    }

    private async Task<List<string>> SessionsOnAsync(string database, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT pid::text || ' (' || coalesce(nullif(application_name, ''), 'no application name') || ', since ' || to_char(backend_start, 'HH24:MI:SS') || ')' "
            + "FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() ORDER BY backend_start",
            _admin);
        cmd.Parameters.AddWithValue(database);
        var sessions = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            sessions.Add(r.GetString(0));
        }

        return sessions;
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
#pragma warning disable CA2100 // CREATE/DROP DATABASE of the fixed name Name, from the lab's own database name quoted as an identifier.
        await using var cmd = new NpgsqlCommand(sql, _admin) { CommandTimeout = 0 };
#pragma warning restore CA2100
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Drops the copy (its sessions ended first: WITH (FORCE)) and releases the lock; never throws.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Dropped = true;
        if (_created)
        {
            try
            {
                await ExecuteAsync($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", CancellationToken.None);
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                Dropped = false;
                _err.WriteLine($"warning: could not drop {Name} on {_server.Description} ({ex.Message}); drop it with DROP DATABASE {Name} WITH (FORCE), or the next rehearsal does");
            }
        }

        await _admin.DisposeAsync(); // the advisory lock goes with the session
    }
}
