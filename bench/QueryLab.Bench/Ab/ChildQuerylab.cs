using QueryLab.Seed.Server;

namespace QueryLab.Bench.Ab;

/// <summary>
/// A side's <c>querylab</c> as a child process (<c>dotnet &lt;build&gt;/querylab.dll VERB …</c>), run through seed/'s
/// <see cref="ProcessRunner"/>: the connection goes in QUERYLAB_CONNECTION (never on argv, where other users can read it);
/// everything it prints, stdout and stderr, is printed as it comes on this process's stdout prefixed <c>[base-1]</c>, so
/// this process's stderr holds only ab's own warnings and its one error line; cancelling kills it.
/// </summary>
public static class ChildQuerylab
{
    public static async Task<ProcessResult> RunAsync(AbBuild build, IReadOnlyList<string> args, string connection, string prefix, TextWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(output);
        var gate = new object();
        return await ProcessRunner.RunAsync(
            "dotnet",
            [build.Dll, .. args],
            environment: new Dictionary<string, string> { ["QUERYLAB_CONNECTION"] = connection },
            timeout: Timeout.InfiniteTimeSpan,
            ct: ct,
            workingDirectory: build.WorkingDirectory,
            onLine: (line, _) =>
            {
                lock (gate)
                {
                    output.WriteLine($"[{prefix}] {line}");
                }
            });
    }

    /// <summary>What the child said went wrong: its last <c>error: …</c> line without the prefix, else its last line.</summary>
    public static string Reason(ProcessResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var error = r.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault(l => l.StartsWith("error: ", StringComparison.Ordinal));
        return error is not null ? error["error: ".Length..] : (r.LastLine.Length > 0 ? r.LastLine : $"exit {r.ExitCode}, nothing printed");
    }
}
