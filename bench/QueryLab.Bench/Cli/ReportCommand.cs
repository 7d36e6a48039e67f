using System.CommandLine;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Pipeline;

namespace QueryLab.Bench.Cli;

/// <summary><c>querylab report &lt;run-folder&gt;</c>: regenerate report.md and scenarios/ from the run's results.json.</summary>
public static class ReportCommand
{
    public static readonly Argument<string> Run = new("run-folder")
    {
        Description = "A run folder (reports/<run-id>) or its results.json.",
    };

    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("report", "Regenerate a run's report.md and scenarios/*.md from its results.json (and plans/).");
        cmd.Arguments.Add(Run);
        cmd.SetAction(pr => ReportRegeneration.Run(Path.GetFullPath(pr.GetValue(Run)!, ctx.WorkingDirectory), ctx));
        return cmd;
    }
}
