using QueryLab.Bench.Lab;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Pipeline;

/// <summary><c>querylab report</c>: report.md and scenarios/*.md written anew from a run's results.json (and plans/).</summary>
public static class ReportRegeneration
{
    public static int Run(string path, LabContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var results = ResultsJson.Read(path);
        var folder = Directory.Exists(path) ? path : Path.GetDirectoryName(path)!;
        MarkdownReport.Write(results, folder);
        TerminalSummary.Print(results, ctx.Out);
        ctx.Out.WriteLine($"report: {Path.Combine(folder, "report.md")} (details: {Path.Combine(folder, ScenarioFile.Folder)}/)");
        return 0;
    }
}
