using QueryLab.Bench.Compare;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Results;
using QueryLab.Seed;

namespace QueryLab.Bench.Pipeline;

/// <summary>A baseline run, read before anything is measured, with the thresholds and α it is to be compared with.</summary>
public sealed record BaselineRun(RunResults Results, string Path, CompareSettings Settings);

/// <summary>
/// The comparison step every verb with a baseline shares (`compare`, `run`, `bench --baseline`, `ab`): read the baseline
/// (a path, or a saved baseline's name), compare, write compare.md and compare.json into the candidate's run folder, print
/// the verdict (and, on GitHub Actions, annotate). Runs that cannot be compared are a <see cref="LabException"/> (exit 2).
/// </summary>
public static class BaselineComparison
{
    /// <summary>The folder of named baselines: <paramref name="folder"/> (--baselines), else QUERYLAB_BASELINES, else the repository's baselines/.</summary>
    public static BaselineStore Store(string? folder, LabContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var root = folder is { Length: > 0 } b ? b
            : ctx.Environment("QUERYLAB_BASELINES") is { Length: > 0 } e ? e
            : System.IO.Path.Combine(ctx.RepositoryRoot, "baselines");
        return new BaselineStore(System.IO.Path.GetFullPath(root, ctx.WorkingDirectory));
    }

    /// <summary><c>querylab baseline save</c>: the runs of <paramref name="froms"/> saved under <paramref name="name"/>, and how to compare with it.</summary>
    public static int Save(BaselineStore store, string name, IReadOnlyList<string> froms, LabContext ctx)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(froms);
        ArgumentNullException.ThrowIfNull(ctx);
        var (run, path, replaced) = store.Save(name, froms);
        var commit = run.Git is { } g ? $", commit {g.Commit[..Math.Min(12, g.Commit.Length)]}" : "";
        var what = froms.Count == 1 ? $"run {run.RunId}" : $"{froms.Count} runs merged as rounds (the last {run.RunId})";
        ctx.Out.WriteLine($"saved baseline {name}: {what} (scale {run.Dataset.Scale}, seed {run.Dataset.Seed}, profile {run.Profile.Name}{commit}) → {ctx.Display(path)}");
        if (replaced is not null)
        {
            ctx.Out.WriteLine($"replaced: {replaced}");
        }

        ctx.Out.WriteLine($"compare with: querylab compare --baseline {name}; commit {ctx.Display(store.Root)}/ so pull requests compare against it (see its README.md)");
        return 0;
    }

    /// <summary>The baseline (a path, or a saved baseline's name in <paramref name="store"/>), resolved and read; exit 2 when it is bad.</summary>
    public static BaselineRun Read(string baseline, CompareSettings settings, BaselineStore store, LabContext ctx)
    {
        ArgumentNullException.ThrowIfNull(store);
        return Refusing(ctx, () =>
        {
            var path = store.Resolve(baseline, ctx.WorkingDirectory);
            return new BaselineRun(ResultsJson.Read(path), path, settings);
        });
    }

    /// <summary>The candidate of `compare`: a run folder or its results.json, read; exit 2 when it is bad.</summary>
    public static RunResults ReadCandidate(string path, LabContext ctx) => Refusing(ctx, () => ResultsJson.Read(path));

    /// <summary>
    /// Compares <paramref name="candidate"/> with the baseline (within <paramref name="scope"/> for ab), writes compare.md and
    /// compare.json into the candidate's run folder, prints the verdict, and returns 0 (no regression) or 1 (regression).
    /// </summary>
    public static int CompareAndReport(BaselineRun baseline, RunResults candidate, string candidatePath, LabContext ctx, CompareScope? scope = null)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(ctx);
        var github = GitHubActions.Enabled(ctx.Environment);
        var folder = Directory.Exists(candidatePath) ? candidatePath : System.IO.Path.GetDirectoryName(candidatePath)!;
        var report = Refusing(ctx, () => RunComparer.Compare(baseline.Results, ctx.Display(baseline.Path), candidate, ctx.Display(candidatePath), baseline.Settings, scope));
        var md = System.IO.Path.Combine(folder, "compare.md");
        try
        {
            File.WriteAllText(md, CompareMarkdown.Render(report));
            File.WriteAllText(System.IO.Path.Combine(folder, "compare.json"), CompareJson.Serialize(report));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw LabException.BadInput($"cannot write compare.md and compare.json into {folder} ({ex.Message}); make the candidate's run folder writable", ex);
        }

        foreach (var w in report.Warnings)
        {
            ctx.Err.WriteLine($"warning: {w}");
        }

        Print(report, md, ctx);
        if (github)
        {
            GitHubActions.Annotate(report, ctx.Out);
            if (ctx.Environment("GITHUB_STEP_SUMMARY") is { Length: > 0 } summary)
            {
                GitHubActions.AppendSummary(summary, GitHubActions.Summary(report, ctx.Display(md)), ctx.Err);
            }
        }

        return report.ExitCode;
    }

    /// <summary>Runs <paramref name="step"/>; on GitHub Actions a refusal is also an annotation and a line of the step summary.</summary>
    public static T Refusing<T>(LabContext ctx, Func<T> step)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentNullException.ThrowIfNull(step);
        try
        {
            return step();
        }
        catch (LabException ex) when (GitHubActions.Enabled(ctx.Environment))
        {
            GitHubActions.Error(ctx.Out, "QueryLab compare", ex.Message);
            if (ctx.Environment("GITHUB_STEP_SUMMARY") is { Length: > 0 } summary)
            {
                GitHubActions.AppendSummary(summary, $"## QueryLab compare\n\n**Cannot compare:** {ex.Message}\n\n", ctx.Err);
            }

            throw;
        }
    }

    /// <summary>The verdict, then one line per regression (at most ten), then where the full comparison is.</summary>
    private static void Print(CompareReport r, string md, LabContext ctx)
    {
        const int Shown = 10;
        ctx.Out.WriteLine("compare: " + CompareMarkdown.Verdict(r).Replace("**", "", StringComparison.Ordinal).Replace("Verdict: ", "", StringComparison.Ordinal));
        foreach (var c in r.Regressions.Take(Shown))
        {
            var what = c.Statement is null ? c.Metric : c.Metric + " (one statement)";
            ctx.Out.WriteLine($"  {c.Scenario} / {c.Variant}: {CompareMarkdown.Kind(c.Kind)} {what}: {c.BaselineText} → {c.CandidateText}, {c.ChangeText}");
        }

        if (r.Regressions.Count > Shown)
        {
            ctx.Out.WriteLine($"  … and {r.Regressions.Count - Shown} more");
        }

        ctx.Out.WriteLine($"comparison: {ctx.Display(md)}");
    }
}
