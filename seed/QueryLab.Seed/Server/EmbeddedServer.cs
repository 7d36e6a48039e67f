using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace QueryLab.Seed.Server;

/// <summary>What <c>server status</c> reports.</summary>
public sealed record ServerStatus(bool Exists, bool Running, int? Port, string? ClusterDir, int? MajorVersion, int? Pid);

/// <summary>
/// QueryLab's own PostgreSQL cluster. Created once under the repository's git-ignored <c>.querylab/</c>
/// folder (or, when the server's OS user cannot reach that folder, under <c>/var/tmp/querylab/</c>),
/// it persists between runs so a seeded database is reused. It listens on 127.0.0.1 only, on a free
/// port, with a generated password (scram-sha-256; no trust entries).
/// </summary>
public sealed partial class EmbeddedServer
{
    public const string SuperUser = "querylab";
    public const string Database = "querylab";
    private const string MarkerFile = "querylab-cluster.id";

    private readonly string _home;
    private readonly ServerBinaries _binaries;
    private readonly TextWriter _log;

    /// <summary>Says one line where this server's progress goes (a command's output).</summary>
    public void Say(string line) => _log.WriteLine(line);

    public EmbeddedServer(string home, ServerBinaries binaries, TextWriter log)
    {
        _home = Path.GetFullPath(home);
        _binaries = binaries;
        _log = log;
    }

    public string Home => _home;

    public ServerBinaries Binaries => _binaries;

    /// <summary>
    /// Called with the port chosen for a start, just before the server binds it: the window in which another
    /// process can take it. Tests take the port there to prove the start then retries on another one.
    /// </summary>
    internal Action<int>? PortChosen { get; set; }

    private string StatePath => Path.Combine(_home, "server.json");

    private string PasswordPath => Path.Combine(_home, "password");

    private sealed record State(string ClusterDir, string ClusterId, int Port, int MajorVersion, DateTimeOffset CreatedAt);

    private State? ReadState()
    {
        if (!File.Exists(StatePath))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<State>(File.ReadAllText(StatePath));
        }
        catch (JsonException ex)
        {
            throw LabException.Environment($"{StatePath} is corrupt; run `querylab server destroy` to recreate the embedded cluster", ex);
        }
    }

    private void WriteState(State s)
    {
        var tmp = StatePath + ".tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(s, new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, StatePath, overwrite: true);
    }

    private static string DataDir(State s) => Path.Combine(s.ClusterDir, "data");

    private static string LogPath(State s) => Path.Combine(s.ClusterDir, "postgres.log");

    /// <summary>The password, read from the owner-only file. Null before the cluster exists.</summary>
    public string? ReadPassword() => File.Exists(PasswordPath) ? File.ReadAllText(PasswordPath).Trim() : null;

    public string ConnectionString(string database = Database)
    {
        var s = ReadState() ?? throw LabException.Environment("the embedded cluster does not exist yet; run `querylab server start`");
        var b = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = ReadRunningPort(s) ?? s.Port,
            Username = SuperUser,
            Password = ReadPassword(),
            Database = database,
            ApplicationName = "querylab",
        };
        return b.ConnectionString;
    }

    public async Task<ServerStatus> StatusAsync(CancellationToken ct)
    {
        var s = ReadState();
        if (s is null)
        {
            return new ServerStatus(false, false, null, null, null, null);
        }

        var running = await IsRunningAsync(s, ct);
        var pid = ReadPid(s);
        return new ServerStatus(true, running, running ? ReadRunningPort(s) : s.Port, s.ClusterDir, s.MajorVersion, running ? pid : null);
    }

    /// <summary>Creates the cluster if needed and starts it. Returns true when this call started it.</summary>
    public async Task<bool> StartAsync(CancellationToken ct)
    {
        Directory.CreateDirectory(_home);
        var s = ReadState() ?? await CreateClusterAsync(ct);
        CheckVersion(s);
        if (await IsRunningAsync(s, ct))
        {
            return false;
        }

        RemoveStalePidFile(s);
        for (var attempt = 1; ; attempt++)
        {
            var port = attempt == 1 && LoopbackPort.IsFree(s.Port) ? s.Port : LoopbackPort.Free();
            PortChosen?.Invoke(port);
            var r = await ProcessRunner.RunAsync(
                _binaries.PgCtl,
                ["start", "-D", DataDir(s), "-l", LogPath(s), "-w", "-t", "120", "-o", $"-p {port.ToString(CultureInfo.InvariantCulture)}"],
                asServerUser: true,
                timeout: TimeSpan.FromSeconds(150),
                ct: ct);
            if (r.Succeeded)
            {
                s = s with { Port = port };
                WriteState(s);
                await EnsureDatabaseAsync(ct);
                return true;
            }

            var logTail = TailLog(s);
            if (attempt < 4 && (logTail.Contains("could not bind", StringComparison.OrdinalIgnoreCase) || logTail.Contains("Address already in use", StringComparison.OrdinalIgnoreCase)))
            {
                _log.WriteLine($"port {port} was taken before the server could bind it; trying another");
                continue;
            }

            var reason = LastMeaningfulLine(logTail) ?? r.LastLine;
            throw LabException.Environment($"the embedded PostgreSQL did not start: {reason} (log: {LogPath(s)}); fix the cause, or `querylab server destroy` to recreate the cluster");
        }
    }

    public async Task<bool> StopAsync(CancellationToken ct)
    {
        var s = ReadState();
        if (s is null || !await IsRunningAsync(s, ct))
        {
            return false;
        }

        var r = await ProcessRunner.RunAsync(_binaries.PgCtl, ["stop", "-D", DataDir(s), "-m", "fast", "-w", "-t", "60"], asServerUser: true, ct: ct);
        if (!r.Succeeded)
        {
            throw LabException.Environment($"the embedded PostgreSQL did not stop: {r.LastLine}");
        }

        return true;
    }

    /// <summary>Stops and deletes the cluster, but only one this home created (its id marker must match).</summary>
    public async Task<bool> DestroyAsync(CancellationToken ct)
    {
        var s = ReadState();
        if (s is null)
        {
            return false;
        }

        var marker = Path.Combine(s.ClusterDir, MarkerFile);
        if (!File.Exists(marker) || File.ReadAllText(marker).Trim() != s.ClusterId)
        {
            throw LabException.BadInput($"{s.ClusterDir} does not carry this QueryLab home's cluster id; refusing to delete it. Remove {StatePath} to forget it, and delete the folder yourself if it is yours");
        }

        if (await IsRunningAsync(s, ct))
        {
            await StopAsync(ct);
        }

        Directory.Delete(s.ClusterDir, recursive: true);
        File.Delete(StatePath);
        File.Delete(PasswordPath);
        return true;
    }

    private async Task<State> CreateClusterAsync(CancellationToken ct)
    {
        var clusterDir = await ChooseClusterDirAsync(ct);
        if (Directory.Exists(Path.Combine(clusterDir, "data")))
        {
            throw LabException.Environment($"{clusterDir}/data exists but {StatePath} does not; it is not a cluster QueryLab knows. Move it away, then run again");
        }

        _log.WriteLine($"creating the embedded PostgreSQL {_binaries.MajorVersion} cluster in {clusterDir}");
        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', 'x').Replace('/', 'y').TrimEnd('=');
        OwnerOnlyFile.Write(PasswordPath, password + "\n");

        // initdb reads the password from a file the server's OS user can read; it is deleted right after.
        var pwFile = Path.Combine(clusterDir, ".initdb-password");
        OwnerOnlyFile.Write(pwFile, password + "\n");
        await ProcessRunner.ChownToServerUserAsync(clusterDir, ct);
        try
        {
            var r = await ProcessRunner.RunAsync(
                _binaries.Initdb,
                // --no-instructions is PostgreSQL 14's; 13's initdb refuses it.
                ["-D", Path.Combine(clusterDir, "data"), "-U", SuperUser, "--auth=scram-sha-256", $"--pwfile={pwFile}", "-E", "UTF8", "--no-locale", .. (_binaries.MajorVersion >= 14 ? new[] { "--no-instructions" } : [])],
                asServerUser: true,
                timeout: TimeSpan.FromMinutes(3),
                ct: ct);
            if (!r.Succeeded)
            {
                throw LabException.Environment($"initdb failed: {r.LastLine}");
            }
        }
        finally
        {
            File.Delete(pwFile);
        }

        var data = Path.Combine(clusterDir, "data");
        await File.WriteAllTextAsync(
            Path.Combine(data, "pg_hba.conf"),
            "# QueryLab's embedded cluster: TCP on loopback only, every connection with a password (scram-sha-256).\n"
            + "# There is no trust entry and no Unix socket.\n"
            + "host    all    all    127.0.0.1/32    scram-sha-256\n",
            ct);
        var conf = new StringBuilder("# Written by QueryLab (seed/QueryLab.Seed/Server/ClusterSettings.cs).\n");
        foreach (var (name, value) in ClusterSettings.For(ClusterSettings.MachineMemoryBytes()))
        {
            conf.Append(CultureInfo.InvariantCulture, $"{name} = {value}\n");
        }

        await File.WriteAllTextAsync(Path.Combine(data, "querylab.conf"), conf.ToString(), ct);
        await File.AppendAllTextAsync(Path.Combine(data, "postgresql.conf"), "\ninclude_if_exists = 'querylab.conf'\n", ct);
        var id = Guid.NewGuid().ToString("N");
        await File.WriteAllTextAsync(Path.Combine(clusterDir, MarkerFile), id + "\n", ct);
        await ProcessRunner.ChownToServerUserAsync(clusterDir, ct);
        var state = new State(clusterDir, id, LoopbackPort.Free(), _binaries.MajorVersion, DateTimeOffset.UtcNow);
        WriteState(state);
        return state;
    }

    /// <summary>
    /// The cluster lives in the repository's .querylab folder when the server's OS user can reach it;
    /// a clone under a folder closed to other users (say /root) gets one under /var/tmp/querylab instead.
    /// </summary>
    private async Task<string> ChooseClusterDirAsync(CancellationToken ct)
    {
        var inRepo = Path.Combine(_home, "cluster");
        Directory.CreateDirectory(inRepo);
        if (!ProcessRunner.IsRoot)
        {
            return inRepo;
        }

        await ProcessRunner.ChownToServerUserAsync(inRepo, ct);
        if (await ProcessRunner.ServerUserCanUseAsync(inRepo, ct))
        {
            return inRepo;
        }

        Directory.Delete(inRepo);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(_home)))[..12];
        var outside = Path.Combine("/var/tmp/querylab", hash);
        Directory.CreateDirectory("/var/tmp/querylab");
        OwnerOnlyFile.CreateDirectory(outside);
        await ProcessRunner.ChownToServerUserAsync(outside, ct);
        _log.WriteLine($"the '{ProcessRunner.ServerOsUser}' OS user cannot reach {inRepo}; the cluster goes to {outside}");
        return outside;
    }

    private void CheckVersion(State s)
    {
        var versionFile = Path.Combine(DataDir(s), "PG_VERSION");
        if (!File.Exists(versionFile))
        {
            throw LabException.Environment($"{DataDir(s)} is not a PostgreSQL data folder (no PG_VERSION); run `querylab server destroy` to recreate the cluster");
        }

        var text = File.ReadAllText(versionFile).Trim();
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var major) || major != _binaries.MajorVersion)
        {
            throw LabException.Environment(
                $"the embedded cluster was created by PostgreSQL {text} but the binaries found are {_binaries.MajorVersion} ({_binaries.BinDir}); "
                + $"put PostgreSQL {text} binaries first (QUERYLAB_PG_BIN), or run `querylab server destroy` to recreate it (its data is lost)");
        }
    }

    private async Task EnsureDatabaseAsync(CancellationToken ct)
    {
        // Admin connections are not pooled: a pool would hand back a connection of the previous server process.
        await using var conn = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString("postgres")) { Pooling = false }.ConnectionString);
        await conn.OpenAsync(ct);
        await using (var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", conn))
        {
            exists.Parameters.AddWithValue(Database);
            if (await exists.ExecuteScalarAsync(ct) is null)
            {
                await using var create = new NpgsqlCommand("CREATE DATABASE querylab", conn);
                await create.ExecuteNonQueryAsync(ct);
            }
        }

        await using var db = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString()) { Pooling = false }.ConnectionString);
        await db.OpenAsync(ct);
        await using var ext = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", db);
        await ext.ExecuteNonQueryAsync(ct);
    }

    private static string TailLog(State s)
    {
        try
        {
            var lines = File.ReadAllLines(LogPath(s));
            return string.Join('\n', lines.TakeLast(15));
        }
        catch (IOException)
        {
            return "";
        }
    }

    private static string? LastMeaningfulLine(string log) =>
        log.Split('\n').LastOrDefault(l => l.Contains("FATAL", StringComparison.Ordinal) || l.Contains("ERROR", StringComparison.Ordinal))?.Trim();
}
