using System.Globalization;

namespace QueryLab.Seed.Server;

/// <summary>Whether the cluster's server runs: its postmaster.pid, the process behind it, and a stale file a killed server left.</summary>
public sealed partial class EmbeddedServer
{
    private async Task<bool> IsRunningAsync(State s, CancellationToken ct)
    {
        if (!Directory.Exists(DataDir(s)))
        {
            return false;
        }

        var r = await ProcessRunner.RunAsync(_binaries.PgCtl, ["status", "-D", DataDir(s)], asServerUser: true, ct: ct);
        return r.ExitCode == 0 && ReadPid(s) is { } pid && IsPostgresProcess(pid);
    }

    private static int? ReadPid(State s)
    {
        var lines = ReadPidFile(s);
        return lines is { Length: > 0 } && int.TryParse(lines[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    private static int? ReadRunningPort(State s)
    {
        var lines = ReadPidFile(s);
        return lines is { Length: > 3 } && int.TryParse(lines[3], NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : null;
    }

    private static string[]? ReadPidFile(State s)
    {
        var path = Path.Combine(DataDir(s), "postmaster.pid");
        try
        {
            return File.Exists(path) ? File.ReadAllLines(path) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static bool IsPostgresProcess(int pid)
    {
        try
        {
            var comm = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/comm").Trim();
            return comm is "postgres" or "postmaster";
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A server killed with SIGKILL leaves postmaster.pid behind; when its PID is not a postgres process, it is stale.</summary>
    private void RemoveStalePidFile(State s)
    {
        var path = Path.Combine(DataDir(s), "postmaster.pid");
        if (File.Exists(path) && (ReadPid(s) is not { } pid || !IsPostgresProcess(pid)))
        {
            _log.WriteLine("removing a stale postmaster.pid left by a server that did not shut down cleanly");
            File.Delete(path);
        }
    }
}
