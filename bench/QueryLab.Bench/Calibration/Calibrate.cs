using QueryLab.Bench.Lab;
using QueryLab.Bench.Timing;

namespace QueryLab.Bench.Calibration;

/// <summary><c>querylab calibrate</c> as the lab runs it: open the lab, pick the injector, run the session, print the summary.</summary>
public static class Calibrate
{
    public static async Task<int> RunAsync(CalibrationRequest request, ServerChoice server, LabContext ctx, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(ctx);
        await using var lab = await LabPipeline.OpenAsync(server, ctx, seed: null, ct);
        var (injector, note) = await SlowdownInjection.CreateAsync(request.Injection, lab.Server, lab.Catalog, ctx.Home, ct);
        await using var owned = injector;
        var (results, folder) = await new CalibrationSession(lab, ctx).RunAsync(request, injector, note, ct);
        var md = CalibrationReport.Markdown(results);
        var summary = md[md.IndexOf("## Summary", StringComparison.Ordinal)..md.IndexOf("## Per variant", StringComparison.Ordinal)];
        ctx.Out.WriteLine(summary.Replace("**", "", StringComparison.Ordinal).Replace("## Summary", "calibrate: summary", StringComparison.Ordinal).TrimEnd());
        ctx.Out.WriteLine($"report: {Path.Combine(folder, "calibrate.md")}");
        return 0;
    }
}
