using System.Diagnostics;
using System.Text;

namespace QueryLab.Seed.Server;

/// <summary>The result of a child process: exit code and what it printed.</summary>
public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>The last non-empty line of stderr (or stdout), for one-line error messages.</summary>
    public string LastLine
    {
        get
        {
            var text = string.IsNullOrWhiteSpace(StdErr) ? StdOut : StdErr;
            return text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        }
    }
}

/// <summary>
/// Runs child processes: server binaries, git, dotnet. initdb and postgres refuse to run as root, so when this
/// process is root they run as the <c>postgres</c> OS user through <c>runuser</c>. A child's output is collected;
/// a caller that shows progress also sees each line as it comes (<c>onLine</c>).
/// </summary>
public static class ProcessRunner
{
    public const string ServerOsUser = "postgres";

    public static bool IsRoot => Environment.IsPrivilegedProcess && OperatingSystem.IsLinux();

    /// <summary>
    /// Runs <paramref name="fileName"/> to its end (killed, with its children, when <paramref name="ct"/> is cancelled or
    /// <paramref name="timeout"/> passes: five minutes unless given, <see cref="Timeout.InfiniteTimeSpan"/> for none), in
    /// <paramref name="workingDirectory"/> (default: this process's), with <paramref name="environment"/> added to this
    /// process's. <paramref name="onLine"/> sees each line as it is printed (true for stderr), on a thread of its own.
    /// </summary>
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        bool asServerUser = false,
        IReadOnlyDictionary<string, string>? environment = null,
        TimeSpan? timeout = null,
        CancellationToken ct = default,
        string? workingDirectory = null,
        Action<string, bool>? onLine = null)
    {
        var psi = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? "",
        };
        if (asServerUser && IsRoot)
        {
            psi.FileName = "runuser";
            psi.ArgumentList.Add("-u");
            psi.ArgumentList.Add(ServerOsUser);
            psi.ArgumentList.Add("--");
            psi.ArgumentList.Add(fileName);
        }
        else
        {
            psi.FileName = fileName;
        }

        foreach (var a in arguments)
        {
            psi.ArgumentList.Add(a);
        }

        if (environment is not null)
        {
            foreach (var (k, v) in environment)
            {
                psi.Environment[k] = v;
            }
        }

        using var process = new Process { StartInfo = psi };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => Collect(stdout, e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => Collect(stderr, e.Data, isError: true);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw LabException.Environment($"cannot start {psi.FileName}: {ex.Message}; check that it is installed and executable", ex);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeoutCts.Token);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // already gone
            }

            ct.ThrowIfCancellationRequested();
            throw LabException.Environment($"{Path.GetFileName(fileName)} did not finish within {(timeout ?? TimeSpan.FromMinutes(5)).TotalSeconds:0} s");
        }

        process.WaitForExit();
        return new ProcessResult(process.ExitCode, stdout.ToString(), stderr.ToString());

        void Collect(StringBuilder into, string? line, bool isError)
        {
            if (line is null)
            {
                return;
            }

            lock (into)
            {
                into.AppendLine(line);
            }

            onLine?.Invoke(line, isError);
        }
    }

    /// <summary>Gives a path to the server's OS user (only when running as root).</summary>
    public static async Task ChownToServerUserAsync(string path, CancellationToken ct)
    {
        if (!IsRoot)
        {
            return;
        }

        var r = await RunAsync("chown", ["-R", $"{ServerOsUser}:", path], ct: ct);
        if (!r.Succeeded)
        {
            throw LabException.Environment($"cannot give {path} to the '{ServerOsUser}' OS user: {r.LastLine}");
        }
    }

    /// <summary>True when the server's OS user can read, write and enter <paramref name="path"/> (every parent included).</summary>
    public static async Task<bool> ServerUserCanUseAsync(string path, CancellationToken ct)
    {
        if (!IsRoot)
        {
            return true;
        }

        var r = await RunAsync("test", ["-r", path, "-a", "-w", path, "-a", "-x", path], asServerUser: true, ct: ct);
        return r.Succeeded;
    }
}
