using QueryLab.Bench.Cli;
using QueryLab.Bench.Lab;

namespace QueryLab.Tests.Infrastructure;

/// <summary>
/// Runs the real <c>querylab</c> command line in-process, with its own environment and captured output; or, with
/// <see cref="Start"/>, as a child process a test can watch and send signals to.
/// </summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Err)
    {
        public string All => Out + Err;
    }

    public static Task<Result> RunAsync(IReadOnlyDictionary<string, string?>? env, params string[] args) => RunAsync(env, onLine: null, args);

    /// <summary>As above; <paramref name="onLine"/> sees each line the command prints to stdout as it prints it (on its own thread).</summary>
    public static Task<Result> RunAsync(IReadOnlyDictionary<string, string?>? env, Action<string>? onLine, params string[] args) =>
        RunInAsync(LabFixture.RepoRoot, env, onLine, args);

    /// <summary>As above, with <paramref name="workingDirectory"/> as the working directory (its repository is the one the command sees).</summary>
    public static async Task<Result> RunInAsync(string workingDirectory, IReadOnlyDictionary<string, string?>? env, Action<string>? onLine, params string[] args)
    {
        var o = new LineWriter(onLine);
        var e = new StringWriter();
        var vars = new Dictionary<string, string?> { ["QUERYLAB_HOME"] = LabFixture.TestHome, ["PATH"] = Environment.GetEnvironmentVariable("PATH") };
        foreach (var (k, v) in env ?? new Dictionary<string, string?>())
        {
            vars[k] = v;
        }

        var ctx = new LabContext(o, e, name => vars.TryGetValue(name, out var v) ? v : null, workingDirectory);
        var code = await CliApp.RunAsync(args, ctx);
        return new Result(code, o.ToString(), e.ToString());
    }

    private sealed class LineWriter(Action<string>? onLine) : StringWriter(System.Globalization.CultureInfo.InvariantCulture)
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            onLine?.Invoke(value ?? "");
        }
    }

    /// <summary>Starts <c>querylab args…</c> as a child process (see <see cref="CliProcess"/>).</summary>
    public static CliProcess Start(IReadOnlyDictionary<string, string?> env, params string[] args) => CliProcess.Start(env, args);
}
