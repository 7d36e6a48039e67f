using System.Globalization;
using Npgsql;

namespace QueryLab.Seed.Server;

/// <summary>
/// The server a run uses: the embedded cluster (started for the run if it was not running, and
/// stopped again at the end) or one named by a connection string. Either way one
/// <see cref="NpgsqlDataSource"/> is the way in.
/// </summary>
public sealed class LabServer : IAsyncDisposable
{
    /// <summary>The oldest PostgreSQL QueryLab runs against (plans, EXPLAIN options and SQL it relies on).</summary>
    public const int OldestSupportedVersionNum = ServerBinaries.OldestSupportedMajor * 10000;

    private readonly EmbeddedServer? _embedded;
    private readonly bool _stopOnDispose;

    private LabServer(NpgsqlConnectionStringBuilder connection, EmbeddedServer? embedded, bool stopOnDispose, int serverVersionNum)
    {
        Connection = connection;
        _embedded = embedded;
        _stopOnDispose = stopOnDispose;
        ServerVersionNum = serverVersionNum;
    }

    /// <summary>The connection, with its password. Never print it: print <see cref="Description"/>.</summary>
    public NpgsqlConnectionStringBuilder Connection { get; }

    public string Description => (_embedded is null ? "" : "embedded ") + ConnectionStrings.Describe(Connection);

    public bool IsEmbedded => _embedded is not null;

    /// <summary>True when this run started the embedded server and will stop it at the end.</summary>
    public bool StopsOnDispose => _stopOnDispose;

    public EmbeddedServer? Embedded => _embedded;

    public int ServerVersionNum { get; }

    public int ServerMajorVersion => ServerVersionNum / 10000;

    /// <summary>A data source on this server; the caller owns it. Every library of a run shares one.</summary>
    public NpgsqlDataSource CreateDataSource(Action<NpgsqlDataSourceBuilder>? configure = null)
    {
        var b = new NpgsqlDataSourceBuilder(Connection.ConnectionString);
        configure?.Invoke(b);
        return b.Build();
    }

    public static async Task<LabServer> ConnectAsync(string connectionString, CancellationToken ct)
    {
        NpgsqlConnectionStringBuilder csb;
        try
        {
            csb = ConnectionStrings.Parse(connectionString);
        }
        catch (ConnectionStringException ex)
        {
            throw LabException.BadInput(ex.Message, ex);
        }

        if (string.IsNullOrEmpty(csb.ApplicationName))
        {
            csb.ApplicationName = "querylab";
        }

        var version = await CheckAsync(csb, ct);
        return new LabServer(csb, null, stopOnDispose: false, version);
    }

    public static async Task<LabServer> StartEmbeddedAsync(EmbeddedServer server, bool keepRunning, CancellationToken ct)
    {
        var started = await server.StartAsync(ct);
        var csb = new NpgsqlConnectionStringBuilder(server.ConnectionString());
        var version = await CheckAsync(csb, ct);
        return new LabServer(csb, server, stopOnDispose: started && !keepRunning, version);
    }

    /// <summary>Opens one connection: translates failures, and refuses servers older than QueryLab supports.</summary>
    private static async Task<int> CheckAsync(NpgsqlConnectionStringBuilder csb, CancellationToken ct)
    {
        try
        {
            await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(csb.ConnectionString) { Pooling = false }.ConnectionString);
            await conn.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand("SHOW server_version_num", conn);
            var num = int.Parse((string)(await cmd.ExecuteScalarAsync(ct))!, CultureInfo.InvariantCulture);
            if (num < OldestSupportedVersionNum)
            {
                throw LabException.Environment($"{ConnectionStrings.Describe(csb)} runs PostgreSQL {conn.PostgreSqlVersion}; QueryLab needs {OldestSupportedVersionNum / 10000} or newer: upgrade it, or point --connection (QUERYLAB_CONNECTION, DATABASE_URL) at a newer server");
            }

            return num;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw ConnectionErrors.Translate(ex, csb);
        }
    }

    /// <remarks>
    /// The embedded server this command started is stopped — unless another command is using it by then (a second QueryLab
    /// run started on the running cluster, or psql): stopping it would cut that command off mid-run (57P01), so it is left
    /// running and the line says how to stop it.
    /// </remarks>
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_stopOnDispose && _embedded is not null)
        {
            if (await OtherClientsAsync() is > 0 and var others)
            {
                _embedded.Say($"server: left running: {others} other connection(s) use it (another command); `querylab server stop` stops it");
                return;
            }

            await _embedded.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Client connections to the server other than the one asking, or null when it cannot be asked.</summary>
    private async Task<long?> OtherClientsAsync()
    {
        try
        {
            await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(Connection.ConnectionString) { Pooling = false, Timeout = 5 }.ConnectionString);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()", conn);
            return (long)(await cmd.ExecuteScalarAsync())!;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return null;
        }
    }
}
