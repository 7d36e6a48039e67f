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
            var store = Store(pr, ctx);
            IReadOnlyList<string> froms = pr.GetValue(From) is { Length: > 0 } f
                ? f.Select(x => Path.GetFullPath(x, ctx.WorkingDirectory)).ToList()
                : [Path.Combine(ctx.RepositoryRoot, "reports", "latest")];
            var name = pr.GetValue(Name)!;
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
