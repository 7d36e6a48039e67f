using System.CommandLine;
using QueryLab.Bench.Compare;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Pipeline;

namespace QueryLab.Bench.Cli;

/// <summary><c>querylab baseline save</c>: keep a run's results.json under a name that <c>compare --baseline</c> accepts.</summary>
public static class BaselineCommand
{
    public static readonly Option<string?> Baselines = new("--baselines")
    {
        Description = "The folder of named baselines. Default: QUERYLAB_BASELINES, then the repository's baselines/.",
    };

    public static readonly Option<string> Name = new("--name", "-n")
    {
        Description = "The baseline's name (letters, digits, '.', '_', '-').",
        DefaultValueFactory = _ => "main",
    };

    public static readonly Option<string[]> From = new("--from")
    {
        Description = "The run to save: a run folder or its results.json (default: the repository's reports/latest). "
            + "Repeat it to save several runs of one dataset and profile as one baseline: the time test then knows each variant's run-to-run spread.",
    };

    public static Command Create(LabContext ctx)
    {
        var baseline = new Command("baseline", "Named baselines for `querylab compare` (baselines/<name>/results.json, meant to be committed).");
        var save = new Command("save", "Copy a run's results.json to baselines/<name>/results.json (checked first; an existing baseline of that name is replaced).");
        save.Options.Add(Name);
        save.Options.Add(From);
        save.Options.Add(Baselines);
        save.SetAction(pr =>
        {
            IReadOnlyList<string> froms = pr.GetValue(From) is { Length: > 0 } f
                ? f.Select(x => Path.GetFullPath(x, ctx.WorkingDirectory)).ToList()
                : [Path.Combine(ctx.RepositoryRoot, "reports", "latest")];
            return BaselineComparison.Save(Store(pr, ctx), pr.GetValue(Name)!, froms, ctx);
        });
        baseline.Subcommands.Add(save);
        return baseline;
    }

    /// <summary>The folder of named baselines of --baselines (then QUERYLAB_BASELINES, then the repository's baselines/).</summary>
    public static BaselineStore Store(ParseResult pr, LabContext ctx)
    {
        ArgumentNullException.ThrowIfNull(pr);
        return BaselineComparison.Store(pr.GetValue(Baselines), ctx);
    }
}
