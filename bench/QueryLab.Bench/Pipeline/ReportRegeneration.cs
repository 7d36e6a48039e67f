using QueryLab.Bench.Lab;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Pipeline;

/// <summary><c>querylab report</c>: report.md written anew from a run's results.json (and plans/), replaced only once it is whole.</summary>
public static class ReportRegeneration
{
    public static async Task<int> RunAsync(string path, LabContext ctx, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var results = ResultsJson.Read(path);
        var folder = Directory.Exists(path) ? path : Path.GetDirectoryName(path)!;
        var target = Path.Combine(folder, "report.md");
        var tmp = target + ".tmp";
        await File.WriteAllTextAsync(tmp, MarkdownReport.Render(results, folder), ct);
        File.Move(tmp, target, overwrite: true);
        TerminalSummary.Print(results, ctx.Out);
        ctx.Out.WriteLine($"report: {target}");
        return 0;
    }
}
