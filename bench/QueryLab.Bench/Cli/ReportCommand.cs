using System.CommandLine;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Cli;

/// <summary><c>querylab report &lt;run-folder&gt;</c>: regenerate report.md and scenarios/ from the run's results.json.</summary>
public static class ReportCommand
{
    public static readonly Argument<string> Run = new("run-folder")
    {
        Description = "A run folder (reports/<run-id>) or its results.json.",
    };

    public static Command Create(CliContext ctx)
    {
        var cmd = new Command("report", "Regenerate a run's report.md and scenarios/*.md from its results.json (and plans/).");
        cmd.Arguments.Add(Run);
        cmd.SetAction(pr =>
        {
            var path = Path.GetFullPath(pr.GetValue(Run)!, ctx.WorkingDirectory);
            var results = ResultsJson.Read(path);
            var folder = Directory.Exists(path) ? path : Path.GetDirectoryName(path)!;
            MarkdownReport.Write(results, folder);
            TerminalSummary.Print(results, ctx.Out);
            ctx.Out.WriteLine($"report: {Path.Combine(folder, "report.md")} (details: {Path.Combine(folder, ScenarioFile.Folder)}/)");
            return 0;
        });
        return cmd;
    }
}
