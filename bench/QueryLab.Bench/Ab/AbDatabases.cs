using Npgsql;
using QueryLab.Seed;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Ab;

/// <summary>
/// The two databases of an A/B on the one server, <c>querylab_ab_base</c> and <c>querylab_ab_head</c>: created empty for the
/// run (each side migrates and seeds its own), and dropped when it ends — also when it failed or was interrupted. One ab
/// at a time per server: the names are fixed (no option value becomes an identifier), so a session advisory lock in the
/// server's own database guards them; a run that finds them left by one that was killed drops them first.
/// </summary>
public sealed class AbDatabases : IAsyncDisposable
{
    private const long AbLockKey = 0x5175_6572_794C_6D03; // "QueryLm" + 3: ab runs on a server

    private readonly NpgsqlConnection _admin;
    private readonly NpgsqlConnectionStringBuilder _server;
    private readonly string _description;
    private readonly TextWriter _err;
    private readonly List<string> _created = [];
    private readonly List<string> _notDropped = [];
    private bool _disposed;

    private AbDatabases(NpgsqlConnection admin, LabServer server, TextWriter err)
    {
        _admin = admin;
        _err = err;
        _server = server.Connection;
        _description = server.Description;
    }

    /// <summary>The database of a side: querylab_ab_base or querylab_ab_head.</summary>
    public static string NameOf(AbSide side) => $"querylab_ab_{AbPlan.Name(side)}";

    /// <summary>Both names, for messages.</summary>
    public static string Names => $"{NameOf(AbSide.Base)} and {NameOf(AbSide.Head)}";

    /// <summary>Where the head's copy of the base's database is made before it replaces the head's own.</summary>
    public const string CopyName = "querylab_ab_copy";

    /// <summary>The connection string of a side's database (password included: it goes to the side's process in its environment only).</summary>
    public string ConnectionString(AbSide side) => ConnectionString(NameOf(side), AbPlan.Name(side));

    /// <summary>The connection string of the copy that may become the head's database.</summary>
    public string CopyConnectionString => ConnectionString(CopyName, "copy");

    private string ConnectionString(string database, string who) =>
        new NpgsqlConnectionStringBuilder(_server.ConnectionString) { Database = database, ApplicationName = $"querylab-ab-{who}" }.ConnectionString;

    /// <summary>
    /// Copies the base's database into <see cref="CopyName"/> (<c>CREATE DATABASE … TEMPLATE</c>: the same pages, hint bits,
    /// visibility map and planner statistics), lets <paramref name="prepare"/> bring it to the head's schema, and when it
    /// says yes makes the copy the head's database. Returns false, leaving the head's own database as it was, when not.
    /// </summary>
    public async Task<bool> ReplaceHeadWithCopyOfBaseAsync(Func<string, Task<bool>> prepare, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(prepare);
        await ExecuteAsync($"DROP DATABASE IF EXISTS {CopyName} WITH (FORCE)", ct);
        // FILE_COPY (15+): a checkpoint and a file copy, much faster than WAL-logging every block of a seeded lab.
        var strategy = _admin.PostgreSqlVersion.Major >= 15 ? " STRATEGY = FILE_COPY" : "";
        await ExecuteAsync($"CREATE DATABASE {CopyName} TEMPLATE {NameOf(AbSide.Base)}{strategy}", ct);
        _created.Add(CopyName);
        if (!await prepare(CopyConnectionString))
        {
            await ExecuteAsync($"DROP DATABASE IF EXISTS {CopyName} WITH (FORCE)", ct);
            _created.Remove(CopyName);
            return false;
        }

        var head = NameOf(AbSide.Head);
        await ExecuteAsync($"DROP DATABASE IF EXISTS {head} WITH (FORCE)", ct);
        _created.Remove(head);
        await ExecuteAsync($"ALTER DATABASE {CopyName} RENAME TO {head}", ct);
        _created.Remove(CopyName);
        _created.Add(head);
        return true;
    }

    /// <summary>Takes the server's ab lock, drops what a killed ab left, and creates both databases empty.</summary>
    public static async Task<AbDatabases> CreateAsync(LabServer server, TextWriter output, TextWriter err, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(err);
        var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.Connection.ConnectionString) { Pooling = false }.ConnectionString);
        await admin.OpenAsync(ct);
        var dbs = new AbDatabases(admin, server, err);
        try
        {
            await dbs.LockAsync(ct);
            foreach (var name in new[] { NameOf(AbSide.Base), NameOf(AbSide.Head), CopyName })
            {
                if (await dbs.ExistsAsync(name, ct))
                {
                    output.WriteLine($"ab: dropping {name}, left on the server by an ab that did not finish");
                    await dbs.ExecuteAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", ct);
                }

                if (name != CopyName)
                {
                    await dbs.ExecuteAsync($"CREATE DATABASE {name}", ct);
                    dbs._created.Add(name);
                }
            }

            output.WriteLine($"ab: created {Names} on {server.Description}; each side migrates and seeds its own with its own build");
            return dbs;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            await dbs.DisposeAsync();
            throw LabException.BadInput(
                $"querylab ab creates two databases ({Names}) on {server.Description}, and its role may not ({e.SqlState} {e.MessageText}); "
                + "grant it CREATEDB (ALTER ROLE … CREATEDB), or run ab on the embedded server", e);
        }
        catch
        {
            await dbs.DisposeAsync();
            throw;
        }
    }

    /// <summary>What happened to the databases, for the line an interrupt prints.</summary>
    public string Describe() => _notDropped.Count > 0
        ? $"{string.Join(" and ", _notDropped)} could not be dropped: drop {(_notDropped.Count == 1 ? "it" : "them")} with DROP DATABASE … WITH (FORCE), or the next ab does"
        : $"the ab databases {Names} were dropped";

    private async Task LockAsync(CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT pg_try_advisory_lock($1)", _admin);
        cmd.Parameters.AddWithValue(AbLockKey);
        if ((bool)(await cmd.ExecuteScalarAsync(ct))!)
        {
            return;
        }

        await using var who = new NpgsqlCommand(
            "SELECT coalesce(string_agg(a.pid::text || ' (since ' || to_char(a.backend_start, 'HH24:MI:SS') || ')', ', '), 'unknown') "
            + "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted AND l.objid = $1::bigint % 4294967296",
            _admin);
        who.Parameters.AddWithValue(AbLockKey);
        var holder = await who.ExecuteScalarAsync(ct);
        throw LabException.Environment(
            $"another querylab ab is running on {_description} (backend {holder}); wait for it to finish — its databases {Names} are the ones this run would use");
    }

    private async Task<bool> ExistsAsync(string name, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", _admin);
        cmd.Parameters.AddWithValue(name);
        return await cmd.ExecuteScalarAsync(ct) is not null;
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
#pragma warning disable CA2100 // DROP/CREATE/ALTER DATABASE of the fixed names (NameOf, CopyName): no option value reaches the SQL.
        await using var cmd = new NpgsqlCommand(sql, _admin);
#pragma warning restore CA2100
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Drops both databases (their sessions ended first: WITH (FORCE)) and releases the lock; never throws.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var name in _created)
        {
            try
            {
                await ExecuteAsync($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", CancellationToken.None);
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
            {
                _notDropped.Add(name);
                _err.WriteLine($"warning: could not drop {name} on {_description} ({ex.Message}); drop it with DROP DATABASE {name} WITH (FORCE), or the next ab does");
            }
        }

        await _admin.DisposeAsync(); // the advisory lock goes with the session
    }
}
