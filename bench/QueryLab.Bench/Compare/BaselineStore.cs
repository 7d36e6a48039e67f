using System.Text.RegularExpressions;
using QueryLab.Bench.Results;
using QueryLab.Seed;

namespace QueryLab.Bench.Compare;

/// <summary>
/// Named baselines: <c>baselines/&lt;name&gt;/results.json</c>, each a copy of one run's results.json, so a
/// pull request compares against a reviewed run rather than whatever ran last.
/// </summary>
public sealed partial class BaselineStore(string root)
{
    public const string FileName = "results.json";

    /// <summary>The folder holding the named baselines.</summary>
    public string Root { get; } = root;

    public static bool IsName(string value) => NamePattern().IsMatch(value ?? "");

    public string PathOf(string name) => Path.Combine(Root, name, FileName);

    public IReadOnlyList<string> Names() =>
        Directory.Exists(Root)
            ? Directory.GetDirectories(Root).Where(d => File.Exists(Path.Combine(d, FileName))).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>
    /// What --baseline names: a results.json or a run folder holding one, else a saved baseline's name.
    /// Relative paths are resolved from <paramref name="workingDirectory"/>.
    /// </summary>
    public string Resolve(string value, string workingDirectory)
    {
        ArgumentNullException.ThrowIfNull(value);
        var full = Path.GetFullPath(value, workingDirectory);
        if (File.Exists(full) || File.Exists(Path.Combine(full, FileName)))
        {
            return full;
        }

        if (IsName(value) && File.Exists(PathOf(value)))
        {
            return PathOf(value);
        }

        if (Directory.Exists(full) || !IsName(value))
        {
            return full; // a path: reading it says what is missing
        }

        var names = Names();
        throw LabException.BadInput(
            $"no run folder, results.json or saved baseline called '{value}' ({(names.Count == 0 ? $"no baselines saved in {Root}" : $"baselines in {Root}: {string.Join(", ", names)}")}); "
            + $"save one with `querylab baseline save --name {value}`");
    }

    /// <summary>Copies a run's results.json (checked first) to baselines/&lt;name&gt;/; returns the run it replaced, if any.</summary>
    public (RunResults Saved, string Path, string? Replaced) Save(string name, string from) => Save(name, [from]);

    /// <summary>
    /// Saves one run byte for byte, or several runs of one dataset and profile merged into one baseline whose
    /// every variant keeps each run as a round (<see cref="TimingRecord.RoundSizes"/>): the time test then knows how
    /// much a variant moves from run to run on this machine, and calls a candidate slower only when it is slower than
    /// every one of them. Counters and plans are the last run's.
    /// </summary>
    public (RunResults Saved, string Path, string? Replaced) Save(string name, IReadOnlyList<string> froms)
    {
        ArgumentNullException.ThrowIfNull(froms);
        if (!IsName(name))
        {
            throw LabException.BadInput($"'{name}' is not a baseline name; use letters, digits, '.', '_' and '-' (e.g. main, release-1.2)");
        }

        if (froms.Count == 0)
        {
            throw LabException.BadInput("no run to save; pass --from <run folder or results.json>");
        }

        var runs = froms.Select(ResultsJson.Read).ToList();
        foreach (var other in runs.Skip(1))
        {
            _ = Comparability.Check(runs[0], other); // exit 2 when two of them measured different things
        }

        var run = runs.Count == 1 ? runs[0] : RoundMerge.Merge(runs, runs[^1].RunId, runs[^1].Command) with
        {
            StartedAt = runs.Min(r => r.StartedAt),
        };
        var from = froms[^1];
        var source = runs.Count == 1 ? (Directory.Exists(from) ? Path.Combine(from, FileName) : from) : null;
        var target = PathOf(name);
        string? replaced = null;
        try
        {
            if (File.Exists(target))
            {
                try
                {
                    replaced = ResultsJson.Read(target).RunId;
                }
                catch (LabException)
                {
                    replaced = "an unreadable results.json";
                }
            }

            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            var staging = target + ".partial";
            if (source is not null)
            {
                File.Copy(source, staging, overwrite: true);
            }
            else
            {
                File.WriteAllText(staging, ResultsJson.Serialize(run));
            }

            File.Move(staging, target, overwrite: true);
            var readme = Path.Combine(Root, "README.md");
            if (!File.Exists(readme))
            {
                File.WriteAllText(readme, Readme);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw LabException.BadInput($"cannot write the baseline to {target} ({ex.Message}); make the folder writable or pass --baselines with another folder", ex);
        }

        return (run, target, replaced);
    }

    /// <summary>baselines/README.md, written with the first baseline saved.</summary>
    public const string Readme =
        """
        # Baselines

        Each folder here is a named baseline, `baselines/<name>/results.json`: a copy of one QueryLab run's
        `results.json`, saved with `querylab baseline save --name <name> [--from reports/<run-id>]` and read by
        `querylab compare --baseline <name>`.

        **Commit this folder.** A pull request then compares against a baseline someone reviewed: the run it came
        from is in the history next to the change that produced it, and moving it is a commit of its own that a
        reviewer sees ("the new plan for pending-page is the intended one"), not whatever ran last. A
        results.json is plain, indented JSON, which git diffs and stores well.

        **Or cache it in CI** (say `actions/cache`, keyed on the main branch's commit) if measurements should not
        live in the repository. Then the baseline is whatever main's last run saved, nobody reviews it, and when
        the cache is evicted the next comparison has no baseline (`querylab compare` exits 2).

        Either way, round trips, statements, rows, plans, buffers and allocations compare across machines; time
        compares well only on the same machine type (compare warns when cores, memory, OS or runtime differ).
        On shared CI runners, timing the baseline's commit and the candidate in the same job is what detects
        slowdowns of 10% or less.

        """;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
