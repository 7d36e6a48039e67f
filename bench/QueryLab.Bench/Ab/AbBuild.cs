using QueryLab.Seed;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Ab;

/// <summary>
/// One side's QueryLab: the build that seeds its database and runs its bench (<c>dotnet Dll …</c> in
/// <see cref="WorkingDirectory"/>), and what its command line says it can do.
/// </summary>
public sealed record AbBuild(AbSide Side, string Label, string Dll, string WorkingDirectory, BuildAbilities Abilities)
{
    /// <summary>The head: this QueryLab, run from the repository's working tree.</summary>
    public static AbBuild Head(string repositoryRoot) =>
        new(AbSide.Head, "head (working tree)", typeof(AbBuild).Assembly.Location, repositoryRoot, BuildAbilities.OfThisBuild);
}

/// <summary>
/// The base: a detached git worktree of the base commit in a temporary folder, built in Release. git and dotnet run
/// through seed/'s <see cref="ProcessRunner"/>; the worktree and the folder are removed again whatever happened.
/// </summary>
public static class BaseBuild
{
    private const string ProjectDir = "bench/QueryLab.Bench";

    /// <summary>The commit a ref names, or exit 2 saying it is unknown.</summary>
    public static async Task<string> ResolveRefAsync(string repo, string baseRef, CancellationToken ct)
    {
        if (baseRef.StartsWith('-'))
        {
            throw LabException.BadInput($"--base-ref '{baseRef}' is not a git ref");
        }

        var r = await ProcessRunner.RunAsync("git", ["-C", repo, "rev-parse", "--verify", "--quiet", "--end-of-options", baseRef + "^{commit}"], ct: ct);
        if (!r.Succeeded || r.StdOut.Trim().Length == 0)
        {
            throw LabException.BadInput(
                $"unknown git ref '{baseRef}' in {repo}: git rev-parse finds no commit by that name; "
                + "fetch it first (e.g. `git fetch origin main`, or check out with fetch-depth 0 on CI) or pass a branch, tag or commit that exists");
        }

        return r.StdOut.Trim();
    }

    /// <summary>Checks the commit out into <paramref name="tree"/>, builds it and asks its command line what it can do.</summary>
    public static async Task<AbBuild> CreateAsync(string repo, string commit, string tree, string label, TextWriter output, CancellationToken ct)
    {
        var add = await ProcessRunner.RunAsync("git", ["-C", repo, "worktree", "add", "--detach", tree, commit], ct: ct);
        if (!add.Succeeded)
        {
            throw LabException.Environment($"git could not create a worktree of the base: {add.LastLine}");
        }

        output.WriteLine($"ab: building the base's {ProjectDir} (Release)");
        var project = Path.Combine(tree, ProjectDir);
        // ab only runs the base: its analyzers and code style were the base's review, and skipping them is a fifth of the
        // build here; warnings stay warnings, since a base that built cleanly with its own SDK may meet new ones in this one.
        var r = await ProcessRunner.RunAsync(
            "dotnet",
            ["build", project, "--configuration", "Release", "--nologo", "--verbosity", "quiet", "--disable-build-servers", "-p:TreatWarningsAsErrors=false", "-p:RunAnalyzers=false"],
            timeout: TimeSpan.FromMinutes(30),
            ct: ct);
        if (!r.Succeeded)
        {
            var tail = (r.StdOut + r.StdErr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(10);
            foreach (var line in tail)
            {
                output.WriteLine($"[base-build] {line}");
            }

            throw LabException.BadInput($"the base {label} does not build (dotnet build {ProjectDir} -c Release exited {r.ExitCode}; the last lines are above, prefixed [base-build])");
        }

        var bin = Path.Combine(project, "bin", "Release");
        // The entry assembly is the one with a runtimeconfig.json beside it (querylab.dll; older trees may name it otherwise).
        var dll = Directory.Exists(bin)
            ? Directory.GetFiles(bin, "*.runtimeconfig.json", SearchOption.AllDirectories)
                .Select(f => f[..^".runtimeconfig.json".Length] + ".dll")
                .Where(File.Exists)
                .OrderBy(f => f.Length)
                .FirstOrDefault()
            : null;
        if (dll is null)
        {
            throw LabException.BadInput($"the base {label} built, but no runnable querylab assembly is under {bin}; it has no querylab this command can run");
        }

        return new AbBuild(AbSide.Base, label, dll, tree, await BuildAbilities.AskAsync(dll, label, ct));
    }

    /// <summary>Removes the base's worktree and the temporary folder; never throws, says what it left.</summary>
    public static async Task RemoveAsync(string repo, string tree, string temp, TextWriter err)
    {
        try
        {
            // Only this worktree is removed (no `git worktree prune`, which would touch other worktrees' records).
            if (Directory.Exists(tree))
            {
                var r = await ProcessRunner.RunAsync("git", ["-C", repo, "worktree", "remove", "--force", tree], ct: CancellationToken.None);
                if (!r.Succeeded)
                {
                    err.WriteLine($"warning: git worktree remove {tree} failed ({r.LastLine}); its folder is deleted, `git worktree prune` clears the record");
                }
            }

            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LabException)
        {
            err.WriteLine($"warning: could not remove the base's worktree {tree} ({ex.Message}); remove it with `git worktree remove --force {tree}`");
        }
    }
}
