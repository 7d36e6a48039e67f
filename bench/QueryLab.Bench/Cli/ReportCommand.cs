using System.CommandLine;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Cli;

/// <summary><c>querylab report &lt;run-folder&gt;</c>: regenerate report.md from the run's results.json.</summary>
public static class ReportCommand
{
    public static readonly Argument<string> Run = new("run-folder")
    {
        Description = "A run folder (reports/<run-id>) or its results.json.",
    };

    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("report", "Regenerate a run's report.md from its results.json (and plans/).");
        cmd.Arguments.Add(Run);
        cmd.SetAction(async (pr, ct) =>
        {
            var path = Path.GetFullPath(pr.GetValue(Run)!, ctx.WorkingDirectory);
            var results = ResultsJson.Read(path);
            var folder = Directory.Exists(path) ? path : Path.GetDirectoryName(path)!;
            var target = Path.Combine(folder, "report.md");
            var tmp = target + ".tmp";
            await File.WriteAllTextAsync(tmp, MarkdownReport.Render(results, folder), ct);
            File.Move(tmp, target, overwrite: true);
            TerminalSummary.Print(results, ctx.Out);
            ctx.Out.WriteLine($"report: {target}");
            return 0;
        });
        return cmd;
    }
}
