namespace QueryLab.Bench.Cli;

/// <summary>
/// What a command sees of the world: where it writes, the environment it reads, and where the
/// repository is. Tests build one with their own writers and variables and run the real commands.
/// </summary>
public sealed record CliContext(TextWriter Out, TextWriter Err, Func<string, string?> Environment, string WorkingDirectory)
{
    public static CliContext FromProcess() =>
        new(Console.Out, Console.Error, System.Environment.GetEnvironmentVariable, Directory.GetCurrentDirectory());

    /// <summary>The repository root: the nearest folder holding QueryLab.sln, from the working directory, then from the binaries.</summary>
    public string RepositoryRoot => FindRepo(WorkingDirectory) ?? FindRepo(AppContext.BaseDirectory) ?? WorkingDirectory;

    /// <summary>What the command is in the middle of: what an interrupt leaves unfinished (printed by <see cref="CliApp"/>).</summary>
    public Seed.WorkInProgress Work { get; init; } = new();

    /// <summary>Where the embedded server keeps its cluster and password: QUERYLAB_HOME or the repository's git-ignored .querylab/.</summary>
    public string Home => Environment("QUERYLAB_HOME") is { Length: > 0 } h ? Path.GetFullPath(h) : Path.Combine(RepositoryRoot, ".querylab");

    private static string? FindRepo(string start)
    {
        for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "QueryLab.sln")))
            {
                return d.FullName;
            }
        }

        return null;
    }
}
