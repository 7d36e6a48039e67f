using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Npgsql;

namespace QueryLab.Seed.Server;

/// <summary>
/// A throwaway PgBouncer in transaction mode in front of the lab server, for scenarios that measure a pooler: a
/// server the lab starts, like the embedded PostgreSQL, with the same parts — a free loopback port
/// (<see cref="LoopbackPort"/>), owner-only files (<see cref="OwnerOnlyFile"/>) in a temporary folder
/// deleted when it stops (its config, and an auth file holding the lab password), and <see cref="ProcessRunner"/>
/// for what runs to completion. As root it runs as the server's OS user (pgbouncer refuses root) through its own
/// <c>-u</c> switch, so the process QueryLab holds is pgbouncer itself and stopping it signals the right process.
/// </summary>
public sealed partial class PgBouncer : IAsyncDisposable
{
    private const int LogLinesKept = 30;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly string _folder;
    private readonly NpgsqlConnectionStringBuilder _server;
    private readonly Queue<string> _log;
    private readonly EventHandler _onProcessExit;
    private bool _disposed;

    private PgBouncer(Process process, string folder, int port, string version, NpgsqlConnectionStringBuilder server, Queue<string> log)
    {
        _process = process;
        _folder = folder;
        Port = port;
        Version = version;
        _server = server;
        _log = log;
        // A test or bench process that ends without disposing must not leave a pooler behind.
        _onProcessExit = (_, _) =>
        {
            KillNow();
            DeleteFolder(_folder);
        };
        AppDomain.CurrentDomain.ProcessExit += _onProcessExit;
    }

    public int Port { get; }

    /// <summary>What <c>pgbouncer --version</c> printed first, e.g. "PgBouncer 1.18.0".</summary>
    public string Version { get; }

    /// <summary>The pgbouncer executable on this machine (PATH, then the sbin folders packages use), or null.</summary>
    public static string? FindExecutable()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        var places = path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/usr/bin"]);
        return places.Select(d => Path.Combine(d, "pgbouncer")).FirstOrDefault(File.Exists);
    }

    /// <summary>Why QueryLab cannot put a pgbouncer in front of this server (null when it can).</summary>
    public static string? CannotServe(NpgsqlConnectionStringBuilder server)
    {
        if (OperatingSystem.IsWindows())
        {
            return "QueryLab starts its own pgbouncer on Linux and macOS only";
        }

        if (FindExecutable() is null)
        {
            return "pgbouncer is not installed (Debian/Ubuntu: apt-get install pgbouncer; .ci/run installs it)";
        }

        if (string.IsNullOrEmpty(server.Password))
        {
            return "the connection string has no password, and pgbouncer's auth file needs one";
        }

        foreach (var (what, value) in new[] { ("host", server.Host), ("database", server.Database), ("username", server.Username) })
        {
            if (string.IsNullOrEmpty(value) || !SafeName().IsMatch(value))
            {
                return $"the {what} '{value}' is not a plain name QueryLab writes into a pgbouncer config (one host, letters, digits, . _ - /)";
            }
        }

        return null;
    }

    /// <summary>Starts pgbouncer in front of <paramref name="server"/> and checks that a client gets through it.</summary>
    public static async Task<PgBouncer> StartAsync(NpgsqlConnectionStringBuilder server, CancellationToken ct)
    {
        if (CannotServe(server) is { } reason)
        {
            throw new InvalidOperationException($"cannot start pgbouncer: {reason}");
        }

        var executable = FindExecutable()!;
        var version = await VersionAsync(executable, ct);
        for (var attempt = 1; ; attempt++)
        {
            var folder = Directory.CreateTempSubdirectory("querylab-pgbouncer-").FullName; // mode 0700
            var port = LoopbackPort.Free();
            PgBouncer? bouncer = null;
            try
            {
                await WriteConfigAsync(folder, port, server, ct);
                bouncer = Launch(executable, folder, port, version, server);
                await bouncer.WaitUntilListeningAsync(ct);
                await bouncer.CheckClientGetsThroughAsync(ct);
                return bouncer;
            }
            catch (PortTakenException) when (attempt < 3)
            {
                // Another process bound the free port between our probe and pgbouncer's bind: try another.
                await StopOrCleanAsync(bouncer, folder);
            }
            catch
            {
                await StopOrCleanAsync(bouncer, folder);
                throw;
            }
        }
    }

    /// <summary>A client connection string to this pgbouncer: the lab's database and credentials, nothing a pooler in transaction mode cannot keep.</summary>
    public string ClientConnectionString(bool pooling) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Database = _server.Database,
            Username = _server.Username,
            Password = _server.Password,
            ApplicationName = _server.ApplicationName,
            Pooling = pooling,
            // Transaction mode hands each transaction any server connection: session state (DISCARD ALL on close,
            // prepared statements) cannot follow the client. PgBouncer 1.21+ can keep protocol-level prepared
            // statements (max_prepared_statements); QueryLab does not rely on it, so the same settings work on 1.18.
            NoResetOnClose = true,
            MaxAutoPrepare = 0,
        }.ConnectionString;

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        AppDomain.CurrentDomain.ProcessExit -= _onProcessExit;
        if (!_process.HasExited)
        {
            // SIGTERM: pgbouncer's fast exit, closing its server connections. SIGKILL only if it does not go.
            await SignalTermAsync(_process.Id);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                KillNow();
            }
        }

        _process.Dispose();
        DeleteFolder(_folder);
    }

    private static async Task WriteConfigAsync(string folder, int port, NpgsqlConnectionStringBuilder server, CancellationToken ct)
    {
        var authFile = Path.Combine(folder, "userlist.txt");
        var quoted = (string s) => "\"" + s.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        OwnerOnlyFile.Write(authFile, $"{quoted(server.Username!)} {quoted(server.Password!)}\n");
        var tls = server.SslMode switch
        {
            SslMode.Disable => "disable",
            SslMode.Require or SslMode.VerifyCA or SslMode.VerifyFull => "require",
            _ => "prefer",
        };
        var ini = new StringBuilder()
            .AppendLine("; Written by QueryLab (seed/QueryLab.Seed/Server/PgBouncer.cs); deleted when it stops.")
            .AppendLine("[databases]")
            .AppendLine(CultureInfo.InvariantCulture, $"{server.Database} = host={server.Host} port={server.Port} dbname={server.Database}")
            .AppendLine("[pgbouncer]")
            .AppendLine("listen_addr = 127.0.0.1")
            .AppendLine(CultureInfo.InvariantCulture, $"listen_port = {port}")
            .AppendLine("unix_socket_dir =")
            .AppendLine("auth_type = scram-sha-256")
            .AppendLine(CultureInfo.InvariantCulture, $"auth_file = {authFile}")
            .AppendLine("pool_mode = transaction")
            .AppendLine("max_client_conn = 200")
            .AppendLine("default_pool_size = 10")
            .AppendLine(CultureInfo.InvariantCulture, $"server_tls_sslmode = {tls}")
            .AppendLine("log_connections = 0")
            .AppendLine("log_disconnections = 0")
            .ToString();
        var config = Path.Combine(folder, "pgbouncer.ini");
        OwnerOnlyFile.Write(config, ini);

        // pgbouncer reads both files as root before it switches user, but a reload would read them as that user.
        await ProcessRunner.ChownToServerUserAsync(folder, ct);
    }

    private static PgBouncer Launch(string executable, string folder, int port, string version, NpgsqlConnectionStringBuilder server)
    {
        var psi = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (ProcessRunner.IsRoot)
        {
            psi.ArgumentList.Add("-u");
            psi.ArgumentList.Add(ProcessRunner.ServerOsUser);
        }

        psi.ArgumentList.Add(Path.Combine(folder, "pgbouncer.ini"));
        var log = new Queue<string>();
        var process = new Process { StartInfo = psi };
        DataReceivedEventHandler keep = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (log)
            {
                log.Enqueue(e.Data);
                if (log.Count > LogLinesKept)
                {
                    log.Dequeue();
                }
            }
        };
        process.OutputDataReceived += keep;
        process.ErrorDataReceived += keep;
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new InvalidOperationException($"cannot start {executable}: {ex.Message}", ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new PgBouncer(process, folder, port, version, server, log);
    }

    private async Task WaitUntilListeningAsync(CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(CancellationToken.None); // the last log lines
                if (LogTail().Contains("Address already in use", StringComparison.OrdinalIgnoreCase))
                {
                    throw new PortTakenException($"{Version} could not bind 127.0.0.1:{Port}, taken by another process after QueryLab found it free: {LastLogLine()}");
                }

                throw new InvalidOperationException(
                    $"{Version} ({_process.StartInfo.FileName}) exited with code {_process.ExitCode} at start: {LastLogLine()}{(ProcessRunner.IsRoot ? $" (it runs as the '{ProcessRunner.ServerOsUser}' OS user)" : "")}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port, ct);
                return;
            }
            catch (SocketException) when (clock.Elapsed < StartTimeout)
            {
                await Task.Delay(50, ct);
            }
            catch (SocketException)
            {
                throw new InvalidOperationException($"{Version} did not listen on 127.0.0.1:{Port} within {StartTimeout.TotalSeconds:0} s: {LastLogLine()}");
            }
        }
    }

    private async Task CheckClientGetsThroughAsync(CancellationToken ct)
    {
        try
        {
            await using var conn = new NpgsqlConnection(ClientConnectionString(pooling: false));
            await conn.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand("SELECT 1", conn);
            await cmd.ExecuteScalarAsync(ct);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new InvalidOperationException(
                $"{Version} listens on 127.0.0.1:{Port} but a connection through it to {_server.Host}:{_server.Port}/{_server.Database} failed: {ex.Message}; pgbouncer says: {LastLogLine()}", ex);
        }
    }

    private string LogTail()
    {
        lock (_log)
        {
            return string.Join('\n', _log);
        }
    }

    private string LastLogLine()
    {
        lock (_log)
        {
            return _log.LastOrDefault(l => l.Contains("ERROR", StringComparison.Ordinal) || l.Contains("FATAL", StringComparison.Ordinal) || l.Contains("WARNING", StringComparison.Ordinal))
                ?? _log.LastOrDefault()
                ?? "(it printed nothing)";
        }
    }

    private void KillNow()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    private static async Task<string> VersionAsync(string executable, CancellationToken ct)
    {
        var r = await ProcessRunner.RunAsync(executable, ["--version"], timeout: TimeSpan.FromSeconds(30), ct: ct);
        var first = (r.StdOut + r.StdErr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return r.Succeeded && first is not null && first.StartsWith("PgBouncer", StringComparison.OrdinalIgnoreCase)
            ? first
            : throw new InvalidOperationException($"{executable} --version did not say it is PgBouncer (exit {r.ExitCode}): {first}");
    }

    private static async Task SignalTermAsync(int pid)
    {
        try
        {
            await ProcessRunner.RunAsync("kill", ["-TERM", pid.ToString(CultureInfo.InvariantCulture)], timeout: TimeSpan.FromSeconds(5));
        }
        catch (LabException)
        {
            // no kill(1), or it hung: DisposeAsync falls back to SIGKILL after its wait
        }
    }

    private static async ValueTask StopOrCleanAsync(PgBouncer? bouncer, string folder)
    {
        if (bouncer is null)
        {
            DeleteFolder(folder);
        }
        else
        {
            await bouncer.DisposeAsync();
        }
    }

    private static void DeleteFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // left behind in the temp folder, still owner-only (mode 0700)
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_./-]+$")]
    private static partial Regex SafeName();

    private sealed class PortTakenException(string message) : InvalidOperationException(message);
}
