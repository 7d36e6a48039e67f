using QueryLab.Bench.Compare;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Ab;

/// <summary>
/// The run folder an A/B leaves: the last head round's folder (plans, BenchmarkDotNet exports) with the merged results.json
/// and its report.md with scenarios/, and under base/ the same for the base. Written aside and moved into place, as every run folder is.
/// </summary>
public static class MergedRun
{
    /// <summary>Merges each side's rounds and writes the folder; returns it with both merged runs.</summary>
    public static (string Folder, RunResults Baseline, RunResults Candidate) Write(IReadOnlyList<SideRun> bases, IReadOnlyList<SideRun> heads, AbOptions options)
    {
        ArgumentNullException.ThrowIfNull(bases);
        ArgumentNullException.ThrowIfNull(heads);
        ArgumentNullException.ThrowIfNull(options);
        var folder = RunFolder.Create(options.ReportsDir, $"{heads[^1].Results.Dataset.Scale}-{options.Profile.Name}-ab", DateTimeOffset.UtcNow);
        try
        {
            var candidate = RoundMerge.Merge(heads.Select(h => h.Results).ToList(), folder.RunId, options.Command);
            var last = bases[^1].Results;
            var baseline = RoundMerge.Merge(bases.Select(b => b.Results).ToList(), last.RunId, last.Command);
            CopyRun(heads[^1].Folder, folder.WorkDir);
            var baseDir = folder.PathOf("base");
            CopyRun(bases[^1].Folder, baseDir);
            File.WriteAllText(folder.PathOf("results.json"), ResultsJson.Serialize(candidate));
            MarkdownReport.Write(candidate, folder.WorkDir);
            File.WriteAllText(Path.Combine(baseDir, "results.json"), ResultsJson.Serialize(baseline));
            MarkdownReport.Write(baseline, baseDir);
            return (folder.Complete(), baseline, candidate);
        }
        catch
        {
            folder.Abandon();
            throw;
        }
    }

    /// <summary>reports/latest is a copy of the run made before the comparison; give it compare.md and compare.json too.</summary>
    public static void RefreshLatest(string final)
    {
        ArgumentNullException.ThrowIfNull(final);
        var latest = Path.Combine(Path.GetDirectoryName(final)!, "latest");
        if (!File.Exists(Path.Combine(latest, "RUN_ID")) || File.ReadAllText(Path.Combine(latest, "RUN_ID")).Trim() != Path.GetFileName(final))
        {
            return;
        }

        foreach (var name in new[] { "compare.md", "compare.json" })
        {
            var f = Path.Combine(final, name);
            if (File.Exists(f))
            {
                File.Copy(f, Path.Combine(latest, name), overwrite: true);
            }
        }
    }

    private static void CopyRun(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from).Where(f => Path.GetFileName(f) is not ("RUN_ID" or "results.json" or "report.md")))
        {
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }

        foreach (var d in Directory.GetDirectories(from).Where(d => Path.GetFileName(d) != ScenarioFile.Folder))
        {
            RunFolder.CopyDirectory(d, Path.Combine(to, Path.GetFileName(d)));
        }
    }
}
