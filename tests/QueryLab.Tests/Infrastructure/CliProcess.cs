using System.Diagnostics;
using System.Globalization;

namespace QueryLab.Tests.Infrastructure;

/// <summary>
/// The real <c>querylab</c> command line as a child process (<c>dotnet querylab.dll</c>, the build the tests reference),
/// so a test can watch its output for a progress line and send it a real SIGINT, SIGTERM or SIGKILL.
/// </summary>
public sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _out = [];
    private readonly List<string> _err = [];
    private readonly TaskCompletionSource _outClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stopwatch _sinceSignal = new();

    private CliProcess(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;

    public string Out
    {
        get
        {
            lock (_out)
            {
                return string.Join('\n', _out);
            }
        }
    }

    public string Err
    {
        get
        {
            lock (_out)
            {
                return string.Join('\n', _err);
            }
        }
    }

    public string All => Out + "\n" + Err;

    /// <summary>
    /// Starts <c>querylab args…</c> in the repository with the test process's environment, minus any connection or home of
    /// its own, plus <paramref name="env"/>. It runs under <c>env --default-signal=INT,TERM</c>: a test run started in the
    /// background of a shell inherits SIGINT ignored, and .NET keeps an inherited ignore, so the child would never see it.
    /// </summary>
    public static CliProcess Start(IReadOnlyDictionary<string, string?> env, params string[] args) => StartIn(LabFixture.RepoRoot, env, args);

    /// <summary>As above, with <paramref name="workingDirectory"/> as the working directory (its repository is the one querylab sees).</summary>
    public static CliProcess StartIn(string workingDirectory, IReadOnlyDictionary<string, string?> env, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "querylab.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: the tests reference the QueryLab.Bench project, whose build is copied beside them");
        var host = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        var psi = new ProcessStartInfo("/usr/bin/env")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["--default-signal=INT,TERM", host, dll, .. args])
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var name in (string[])["QUERYLAB_CONNECTION", "DATABASE_URL", "QUERYLAB_HOME", "QUERYLAB_TEST_PAUSE_AT", "QUERYLAB_TEST_RESUME"])
        {
            psi.Environment.Remove(name);
        }

        foreach (var (k, v) in env)
        {
            if (v is null)
            {
                psi.Environment.Remove(k);
            }
            else
            {
                psi.Environment[k] = v;
            }
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) => cli.Add(cli._out, cli._outClosed, e.Data);
        process.ErrorDataReceived += (_, e) => cli.Add(cli._err, cli._errClosed, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    private void Add(List<string> lines, TaskCompletionSource closed, string? line)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        lock (_out)
        {
            lines.Add(line);
        }
    }

    /// <summary>Waits until a line of its standard output or error contains <paramref name="text"/>; fails if it exits first.</summary>
    public async Task<string> WaitForLineAsync(string text, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        while (true)
        {
            lock (_out)
            {
                var hit = _out.Concat(_err).FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
                if (hit is not null)
                {
                    return hit;
                }
            }

            if (_process.HasExited && _outClosed.Task.IsCompleted && _errClosed.Task.IsCompleted)
            {
                Assert.Fail($"querylab exited ({_process.ExitCode}) without printing \"{text}\":\n{All}");
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"querylab did not print \"{text}\" in time:\n{All}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Sends SIGINT or SIGTERM (by <c>kill -s</c>), after checking the process handles it.</summary>
    public async Task SignalAsync(string signal)
    {
        Assert.True(signal is "INT" or "TERM", signal);
        var number = signal == "INT" ? 2 : 15;
        Assert.True(Handles(number), $"querylab (pid {Pid}) does not handle SIG{signal}: {File.ReadAllText($"/proc/{Pid}/status")}");
        _sinceSignal.Start();
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-s", signal, Pid.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>SIGKILL: no chance to clean up.</summary>
    public void Kill()
    {
        _sinceSignal.Start();
        _process.Kill();
    }

    /// <summary>Waits for the process to end (and its output to be read); its exit code and the time since the signal.</summary>
    public async Task<(int ExitCode, TimeSpan SinceSignal)> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"querylab (pid {Pid}) was still running {timeout.TotalSeconds:0} s after the signal:\n{All}");
        }

        var since = _sinceSignal.Elapsed;
        await Task.WhenAll(_outClosed.Task, _errClosed.Task).WaitAsync(TimeSpan.FromSeconds(10));
        return (_process.ExitCode, since);
    }

    /// <summary>Whether the process has a handler for the signal (SigCgt in /proc/pid/status).</summary>
    private bool Handles(int signal)
    {
        var line = File.ReadAllLines($"/proc/{Pid}/status").Single(l => l.StartsWith("SigCgt:", StringComparison.Ordinal));
        var mask = ulong.Parse(line["SigCgt:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return (mask & (1UL << (signal - 1))) != 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
