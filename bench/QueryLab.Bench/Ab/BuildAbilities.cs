using QueryLab.Seed;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Ab;

/// <summary>
/// What a side's QueryLab can do for <c>ab</c>, as its own command line says it: the options its <c>bench --help</c> and
/// <c>seed --help</c> list. Never read from its source text. The results.json it writes is judged by its schemaVersion
/// once it has written one (<see cref="ChildBench"/>).
/// </summary>
public sealed record BuildAbilities(bool TakesRoundOptions)
{
    /// <summary>Whether it has <c>querylab worker</c> (its <c>worker --help</c> answers): then ab times by interleaving the two workers.</summary>
    public bool RunsWorker { get; init; }

    /// <summary>Whether its worker takes <c>--inject-reference</c>: then, when the head has delays injected, the base runs those variants through the same path undelayed.</summary>
    public bool RunsInjectionReference { get; init; }

    /// <summary>Whether its worker takes <c>--quick</c> (one warm-up pass): ab gives it with <c>--profile smoke</c>.</summary>
    public bool RunsQuickWorker { get; init; }

    /// <summary>What every side must take: its own database seeded at a scale and seed, and a bench that writes a run where it is told.</summary>
    private static readonly (string Verb, string[] Options)[] Required =
    [
        ("seed", ["--scale", "--seed"]),
        ("bench", ["--profile", "--reports"]),
    ];

    /// <summary>This build: it takes everything.</summary>
    public static BuildAbilities OfThisBuild { get; } = new(TakesRoundOptions: true) { RunsWorker = true, RunsInjectionReference = true, RunsQuickWorker = true };

    /// <summary>
    /// Asks the build (<c>dotnet DLL seed --help</c>, <c>dotnet DLL bench --help</c>); exit 2 when it lacks a verb or an
    /// option every side needs. A bench without <c>--iterations</c>/<c>--no-profile</c> still runs, each round the whole profile.
    /// </summary>
    public static async Task<BuildAbilities> AskAsync(string dll, string label, CancellationToken ct)
    {
        var listed = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        foreach (var (verb, options) in Required)
        {
            var r = await ProcessRunner.RunAsync("dotnet", [dll, verb, "--help"], ct: ct);
            var found = r.Succeeded ? OptionsListed(r.StdOut, verb) : null;
            if (found is null)
            {
                throw LabException.BadInput(
                    $"the base {label} has no `querylab {verb}` this ab can run (its `{verb} --help` {(r.Succeeded ? "describes no such verb" : $"exited {r.ExitCode}: {r.LastLine}")}); "
                    + "pick a newer --base-ref, or compare with a stored baseline (querylab compare --baseline)");
            }

            var missing = options.Where(o => !found.Contains(o)).ToList();
            if (missing.Count > 0)
            {
                throw LabException.BadInput(
                    $"the base {label}'s `querylab {verb}` takes no {string.Join(" or ", missing)} (its `{verb} --help` lists {string.Join(", ", found.Order(StringComparer.Ordinal))}), "
                    + "which ab needs to give each side a database of its own; pick a newer --base-ref, or compare with a stored baseline (querylab compare --baseline)");
            }

            listed[verb] = found;
        }

        var bench = listed["bench"];
        var help = await ProcessRunner.RunAsync("dotnet", [dll, "worker", "--help"], ct: ct);
        var worker = (help.Succeeded ? OptionsListed(help.StdOut, "worker") : null) ?? new HashSet<string>();
        return new BuildAbilities(bench.Contains("--iterations") && bench.Contains("--no-profile"))
        {
            RunsWorker = worker.Contains("--scenario"),
            RunsInjectionReference = worker.Contains("--inject-reference"),
            RunsQuickWorker = worker.Contains("--quick"),
        };
    }

    /// <summary>
    /// The long option names the help text of <paramref name="verb"/> lists under "Options:" (<c>-s, --scenario &lt;scenario&gt;  …</c>);
    /// null when the text is not that verb's help (an unknown verb prints the root command's).
    /// </summary>
    public static IReadOnlySet<string>? OptionsListed(string help, string verb)
    {
        ArgumentNullException.ThrowIfNull(help);
        var lines = help.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        var usage = Array.FindIndex(lines, l => l.Trim() == "Usage:");
        if (usage < 0 || usage + 1 >= lines.Length || !lines[usage + 1].Trim().Split(' ').Skip(1).Take(1).Contains(verb))
        {
            return null;
        }

        var options = new HashSet<string>(StringComparer.Ordinal);
        var inOptions = false;
        foreach (var line in lines)
        {
            if (line.Length > 0 && !char.IsWhiteSpace(line[0]))
            {
                inOptions = line.Trim() == "Options:";
                continue;
            }

            var first = line.Trim().Split("  ", 2)[0];
            if (inOptions && first.StartsWith('-'))
            {
                options.UnionWith(first.Split(',', StringSplitOptions.TrimEntries)
                    .Select(alias => alias.Split(' ')[0])
                    .Where(alias => alias.StartsWith("--", StringComparison.Ordinal)));
            }
        }

        return options;
    }
}
