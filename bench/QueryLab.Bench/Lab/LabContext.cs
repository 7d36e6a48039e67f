namespace QueryLab.Bench.Lab;

/// <summary>
/// What a verb and the rooms it calls see of the world: where they write, the environment they read, where the
/// repository is, and what is in progress. Built once by the command line; tests build one with their own writers and
/// variables and run the real commands.
/// </summary>
public sealed record LabContext(TextWriter Out, TextWriter Err, Func<string, string?> Environment, string WorkingDirectory)
{
    public static LabContext FromProcess() =>
        new(Console.Out, Console.Error, System.Environment.GetEnvironmentVariable, Directory.GetCurrentDirectory());

    /// <summary>The repository root: the nearest folder holding QueryLab.sln, from the working directory, then from the binaries.</summary>
    public string RepositoryRoot => FindRepo(WorkingDirectory) ?? FindRepo(AppContext.BaseDirectory) ?? WorkingDirectory;

    /// <summary>What the command is in the middle of: what an interrupt leaves unfinished (printed by the command line when a verb is interrupted).</summary>
    public Seed.WorkInProgress Work { get; init; } = new();

    /// <summary>Where the embedded server keeps its cluster and password: QUERYLAB_HOME or the repository's git-ignored .querylab/.</summary>
    public string Home => Environment("QUERYLAB_HOME") is { Length: > 0 } h ? Path.GetFullPath(h) : Path.Combine(RepositoryRoot, ".querylab");

    /// <summary>A path as the user reads it: relative to the repository when inside it.</summary>
    public string Display(string path)
    {
        var rel = System.IO.Path.GetRelativePath(RepositoryRoot, path);
        return rel.StartsWith("..", StringComparison.Ordinal) || System.IO.Path.IsPathRooted(rel) ? path : rel;
    }

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
