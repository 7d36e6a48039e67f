using QueryLab.Bench.Lab;
using QueryLab.Seed;

namespace QueryLab.Bench.Calibration;

/// <summary><c>querylab calibrate</c> as the lab runs it: open the lab, pick the injector, run the session, print the summary.</summary>
public static class Calibrate
{
    public static async Task<int> RunAsync(CalibrationRequest request, ServerChoice server, LabContext ctx, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(ctx);
        await using var lab = await LabPipeline.OpenAsync(server, ctx, seed: null, ct);
        var (injector, note) = await InjectorAsync(request.Injection, lab, ctx, ct);
        await using var owned = injector;
        var (results, folder) = await new CalibrationSession(lab, ctx).RunAsync(request, injector, note, ct);
        var md = CalibrationReport.Markdown(results);
        var summary = md[md.IndexOf("## Summary", StringComparison.Ordinal)..md.IndexOf("## Per variant", StringComparison.Ordinal)];
        ctx.Out.WriteLine(summary.Replace("**", "", StringComparison.Ordinal).Replace("## Summary", "calibrate: summary", StringComparison.Ordinal).TrimEnd());
        ctx.Out.WriteLine($"report: {Path.Combine(folder, "calibrate.md")}");
        return 0;
    }

    /// <summary>The injector --inject-at asks for: server needs the querylab_spin module (exit 2 with the reason when it cannot be had).</summary>
    private static async Task<(ISlowdownInjector Injector, string? Note)> InjectorAsync(string where, LabPipeline lab, LabContext ctx, CancellationToken ct)
    {
        if (where == "client")
        {
            return (new ClientSpinInjector(), null);
        }

        var spin = await Seed.Server.SpinExtension.PrepareAsync(lab.Server, ctx.Home, ct);
        if (spin.IsAvailable)
        {
            return (new ServerSpinInjector(lab.Catalog, spin.LibraryPath!), null);
        }

        return where == "server"
            ? throw LabException.BadInput($"--inject-at server: {spin.Unavailable}; or use --inject-at client")
            : (new ClientSpinInjector(), $"the server-side delay is not available ({spin.Unavailable}): slowdowns are injected in the client");
    }
}
