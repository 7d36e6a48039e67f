using QueryLab.Bench.Lab;
using QueryLab.Bench.Timing;
using QueryLab.Queries.Catalog;

namespace QueryLab.Bench.Pipeline;

/// <summary>
/// <c>querylab worker</c>: opens the lab with everything it says on standard error, prepares the scenarios, and answers
/// <see cref="SliceWorker"/>'s line protocol on standard input and output until told to stop.
/// </summary>
public static class WorkerHost
{
    public static async Task<int> RunAsync(IReadOnlyList<IScenario> scenarios, IReadOnlyDictionary<string, InjectedDelay> delays, string injectAt, ServerChoice server, LabContext ctx, CancellationToken ct, bool quick = false)
    {
        ArgumentNullException.ThrowIfNull(scenarios);
        ArgumentNullException.ThrowIfNull(ctx);
        var quiet = ctx with { Out = ctx.Err };
        await using var lab = await LabPipeline.OpenAsync(server, quiet, seed: null, ct);
        var prepared = new List<IPreparedScenario>();
        (ISlowdownInjector Injector, string? Note)? injection = null;
        try
        {
            foreach (var s in scenarios)
            {
                prepared.Add(await s.PrepareAsync(lab.Catalog, ct));
            }

            if (delays.Count > 0)
            {
                injection = await SlowdownInjection.CreateAsync(injectAt, lab.Server, lab.Catalog, ctx.Home, ct);
            }

            await SliceWorker.RunAsync(prepared, Console.In, ctx.Out, ctx.Err, delays, injection, ct, quick);
        }
        finally
        {
            if (injection is var (injector, _))
            {
                await injector.DisposeAsync();
            }

            foreach (var p in prepared)
            {
                await p.DisposeAsync();
            }
        }

        return 0;
    }
}
