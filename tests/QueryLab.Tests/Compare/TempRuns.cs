using QueryLab.Bench.Results;

namespace QueryLab.Tests.Compare;

/// <summary>A baseline and a candidate run folder (reports/&lt;run-id&gt;/results.json) under a temporary folder, deleted afterwards.</summary>
internal sealed class TempRuns : IDisposable
{
    public TempRuns()
    {
        Root = Path.Combine(Path.GetTempPath(), "querylab-compare-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    public string Baseline => Path.Combine(Root, "baseline");

    public string Candidate => Path.Combine(Root, "candidate");

    public string Baselines => Path.Combine(Root, "baselines");

    public static TempRuns Of(RunResults baseline, RunResults candidate)
    {
        var t = new TempRuns();
        t.Write(t.Baseline, baseline);
        t.Write(t.Candidate, candidate);
        return t;
    }

    public void Write(string folder, RunResults r)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "results.json"), ResultsJson.Serialize(r));
    }

    public string CompareMd => File.ReadAllText(Path.Combine(Candidate, "compare.md"));

    public string CompareJson => File.ReadAllText(Path.Combine(Candidate, "compare.json"));

    /// <summary>`querylab compare` between the two, with the given extra options and environment.</summary>
    public Task<Infrastructure.CliRunner.Result> CompareAsync(IReadOnlyDictionary<string, string?>? env = null, params string[] extra) =>
        Infrastructure.CliRunner.RunAsync(env, ["compare", "--baseline", Baseline, "--candidate", Candidate, "--baselines", Baselines, .. extra]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // a temp folder left behind is harmless
        }
    }
}
