using System.CommandLine;
using QueryLab.Bench.Compare;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Results;
using QueryLab.Seed;

namespace QueryLab.Bench.Cli;

/// <summary>
/// <c>querylab compare</c>: a candidate run against a baseline; writes compare.md and compare.json into the
/// candidate's run folder and exits 0 (no regression), 1 (regression) or 2 (cannot be compared).
/// </summary>
public static class CompareCommand
{
    public static readonly Option<string> Baseline = new("--baseline", "-b")
    {
        Description = "The baseline: a run folder, its results.json, or the name of a saved baseline (querylab baseline save).",
        Required = true,
    };

    public static readonly Option<string?> Candidate = new("--candidate")
    {
        Description = "The candidate: a run folder or its results.json. Default: the repository's reports/latest.",
    };

    public static readonly Option<string> ThresholdTime = new("--threshold-time")
    {
        Description = "The smallest time change called a regression or improvement, as a percentage (the test must also be significant).",
        DefaultValueFactory = _ => "10%",
    };

    public static readonly Option<string> ThresholdCounters = new("--threshold-counters")
    {
        Description = "The smallest change of shared buffers or allocated bytes called a regression or improvement, as a percentage.",
        DefaultValueFactory = _ => "20%",
    };

    public static readonly Option<string> Alpha = new("--alpha")
    {
        Description = "Significance level of the time test, after the Benjamini–Hochberg correction.",
        DefaultValueFactory = _ => "0.01",
    };

    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("compare", "Compare a candidate run with a baseline: counters and plans first, then time; write compare.md and compare.json into the candidate's run folder.");
        cmd.Options.Add(Baseline);
        cmd.Options.Add(Candidate);
        cmd.Options.Add(ThresholdTime);
        cmd.Options.Add(ThresholdCounters);
        cmd.Options.Add(Alpha);
        cmd.Options.Add(BaselineCommand.Baselines);
        cmd.SetAction(pr => Run(pr, ctx));
        return cmd;
    }

    private static int Run(ParseResult pr, LabContext ctx)
    {
        var (baseline, baselinePath, settings) = ReadBaseline(pr, pr.GetValue(Baseline)!, ctx);
        RunResults candidate;
        string candidatePath;
        try
        {
            candidatePath = pr.GetValue(Candidate) is { Length: > 0 } c ? Path.GetFullPath(c, ctx.WorkingDirectory) : Path.Combine(ctx.RepositoryRoot, "reports", "latest");
            candidate = ResultsJson.Read(candidatePath);
        }
        catch (LabException ex) when (GitHubActions.Enabled(ctx.Environment))
        {
            Refused(ex, ctx);
            throw;
        }

        return CompareAndReport(baseline, baselinePath, candidate, candidatePath, settings, ctx);
    }

    /// <summary>The thresholds and α of --threshold-time, --threshold-counters and --alpha.</summary>
    public static CompareSettings Settings(ParseResult pr)
    {
        ArgumentNullException.ThrowIfNull(pr);
        return CompareSettings.Parse(pr.GetValue(ThresholdTime), pr.GetValue(ThresholdCounters), pr.GetValue(Alpha));
    }

    /// <summary>
    /// What every verb with --baseline reads first: the thresholds, and the baseline (a path, or a saved
    /// baseline's name), resolved and read. Exit 2 (a <see cref="LabException"/>) when either is bad.
    /// </summary>
    public static (RunResults Baseline, string Path, CompareSettings Settings) ReadBaseline(ParseResult pr, string baseline, LabContext ctx)
    {
        ArgumentNullException.ThrowIfNull(pr);
        ArgumentNullException.ThrowIfNull(ctx);
        try
        {
            var settings = CompareSettings.Parse(pr.GetValue(ThresholdTime), pr.GetValue(ThresholdCounters), pr.GetValue(Alpha));
            var path = BaselineCommand.Store(pr, ctx).Resolve(baseline, ctx.WorkingDirectory);
            return (ResultsJson.Read(path), path, settings);
        }
        catch (LabException ex) when (GitHubActions.Enabled(ctx.Environment))
        {
            Refused(ex, ctx);
            throw;
        }
    }

    /// <summary>
    /// The comparison `querylab compare` makes, shared by `run`, `bench --baseline` and `ab` (with its <paramref name="scope"/>): refuse or compare,
    /// write compare.md and compare.json into the candidate's run folder, print the verdict (and, on GitHub
    /// Actions, annotate), and return 0 (no regression) or 1 (regression). Runs that cannot be compared
    /// throw a <see cref="LabException"/> (exit 2).
    /// </summary>
    public static int CompareAndReport(RunResults baseline, string baselinePath, RunResults candidate, string candidatePath, CompareSettings settings, LabContext ctx, CompareScope? scope = null)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var github = GitHubActions.Enabled(ctx.Environment);
        CompareReport report;
        var folder = Directory.Exists(candidatePath) ? candidatePath : Path.GetDirectoryName(candidatePath)!;
        try
        {
            report = RunComparer.Compare(baseline, BaselineCommand.Display(baselinePath, ctx), candidate, BaselineCommand.Display(candidatePath, ctx), settings, scope);
        }
        catch (LabException ex) when (github)
        {
            Refused(ex, ctx);
            throw;
        }

        var md = Path.Combine(folder, "compare.md");
        try
        {
            File.WriteAllText(md, CompareMarkdown.Render(report));
            File.WriteAllText(Path.Combine(folder, "compare.json"), CompareJson.Serialize(report));
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
                GitHubActions.AppendSummary(summary, GitHubActions.Summary(report, BaselineCommand.Display(md, ctx)), ctx.Err);
            }
        }

        return report.ExitCode;
    }

    private static void Refused(LabException ex, LabContext ctx)
    {
        GitHubActions.Error(ctx.Out, "QueryLab compare", ex.Message);
        if (ctx.Environment("GITHUB_STEP_SUMMARY") is { Length: > 0 } summary)
        {
            GitHubActions.AppendSummary(summary, $"## QueryLab compare\n\n**Cannot compare:** {ex.Message}\n\n", ctx.Err);
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

        ctx.Out.WriteLine($"comparison: {BaselineCommand.Display(md, ctx)}");
    }
}
