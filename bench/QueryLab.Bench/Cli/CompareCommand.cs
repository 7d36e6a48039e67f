using System.CommandLine;
using QueryLab.Bench.Compare;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Pipeline;

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

    public static readonly CheckedOption<Written<double>> ThresholdTime = PercentOption(
        "--threshold-time",
        "The smallest time change called a regression or improvement, as a percentage (the test must also be significant).",
        CompareSettings.Default.TimeThreshold);

    public static readonly CheckedOption<Written<double>> ThresholdCounters = PercentOption(
        "--threshold-counters",
        "The smallest change of a statement's shared buffers, rows processed, temp blocks or WAL bytes, or of a variant's allocated bytes per operation, called a regression or improvement, as a percentage.",
        CompareSettings.Default.CounterThreshold);

    public static readonly CheckedOption<double> Alpha = new("--alpha", t => CompareSettings.Parse(null, null, t).Alpha)
    {
        Description = "Significance level of the time test, after the Benjamini–Hochberg correction.",
        DefaultValueFactory = _ => CompareSettings.Default.Alpha,
    };

    /// <summary>An option whose value is a percentage ("10%" → 0.10), its default written as --help shows it.</summary>
    public static CheckedOption<Written<double>> PercentOption(string name, string description, double defaultFraction) =>
        new(name, t => new Written<double>(CompareSettings.Percent(name, t), t))
        {
            Description = description,
            DefaultValueFactory = _ => new Written<double>(defaultFraction, CompareSettings.Pct(defaultFraction)),
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
        cmd.SetAction(pr =>
        {
            var baseline = ReadBaseline(pr, pr.GetValue(Baseline)!, ctx);
            var candidatePath = pr.GetValue(Candidate) is { Length: > 0 } c ? Path.GetFullPath(c, ctx.WorkingDirectory) : Path.Combine(ctx.RepositoryRoot, "reports", "latest");
            var candidate = BaselineComparison.ReadCandidate(candidatePath, ctx);
            return BaselineComparison.CompareAndReport(baseline, candidate, candidatePath, ctx);
        });
        return cmd;
    }

    /// <summary>The thresholds and α of --threshold-time, --threshold-counters and --alpha.</summary>
    public static CompareSettings Settings(ParseResult pr)
    {
        ArgumentNullException.ThrowIfNull(pr);
        return new CompareSettings(pr.GetValue(ThresholdTime)!.Value, pr.GetValue(ThresholdCounters)!.Value, pr.GetValue(Alpha));
    }

    /// <summary>What every verb with --baseline reads first: the baseline (a path, or a saved baseline's name) with the thresholds; exit 2 when it is bad.</summary>
    public static BaselineRun ReadBaseline(ParseResult pr, string baseline, LabContext ctx) =>
        BaselineComparison.Read(baseline, Settings(pr), BaselineCommand.Store(pr, ctx), ctx);
}
