using System.Globalization;
using System.Text.Json;
using QueryLab.Queries.Catalog;

namespace QueryLab.Bench.Timing;

/// <summary>
/// <c>querylab worker</c>'s loop: a long-lived, warmed-up process that runs slices of the catalog's variants when told,
/// so <c>querylab ab</c> can interleave two builds variant by variant, slice by slice (duet benchmarking). One line in,
/// one JSON line out, on standard input and output:
/// <list type="bullet">
/// <item>at start, once warm: <c>{"ready":true,"protocol":1,"cases":[{"key":"scenario/variant","estimateNs":123.4},…],"injected":[{"key":…,"ns":…}]}</c>
/// (<c>injected</c>: the delay per operation each <c>--inject-delay</c> came to; older workers leave it out);</item>
/// <item><c>slice KEY START COUNT</c> → <c>{"ns":123.4}</c> (nanoseconds per operation of operations START…START+COUNT−1);</item>
/// <item><c>quit</c> → the process ends; so does the end of its input.</item>
/// </list>
/// Anything else, or a failed slice, is answered <c>{"error":"…"}</c> and the worker goes on.
/// </summary>
public static class SliceWorker
{
    /// <summary>The protocol's version: <c>ab</c> interleaves only with a worker that speaks it.</summary>
    public const int Protocol = 1;

    /// <param name="delays">--inject-delay, applied once the warm-up has measured each variant's median.</param>
    /// <param name="injection">Where the delays are spent, and a note when it is not where --inject-at asked; null without delays.</param>
    /// <param name="quick">--quick: warm up with one pass, not until the JIT is done (ab's smoke profile).</param>
    public static async Task RunAsync(
        IReadOnlyList<IPreparedScenario> prepared, TextReader input, TextWriter output, TextWriter log,
        IReadOnlyDictionary<string, InjectedDelay> delays, (ISlowdownInjector Injector, string? Note)? injection, CancellationToken ct, bool quick = false)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(delays);
        var cases = prepared
            .SelectMany(p => p.Scenario.Variants.Where(v => p.NotRunReason(v) is null).Select(v => (Prepared: p, Variant: v)))
            .ToList();
        var estimates = await WarmUp.RunAsync(cases, log, ct, quick: quick);
        var plans = cases.ToDictionary(c => BenchmarkCases.Key(c.Prepared.Scenario.Name, c.Variant.Name), c => new CasePlan(c.Prepared, c.Variant, 1, 1, 0), StringComparer.Ordinal);
        IReadOnlyDictionary<string, double> injected = new Dictionary<string, double>();
        if (injection is var (injector, note) && delays.Count > 0)
        {
            injected = await SlowdownInjection.ApplyAsync(plans, delays, estimates, injector, note, log, "worker", ct);
        }

        var runner = new LocalSliceRunner(plans);
        await WriteAsync(output, new
        {
            ready = true,
            protocol = Protocol,
            cases = plans.Keys.Select(k => new { key = k, estimateNs = estimates.GetValueOrDefault(k) }),
            injected = injected.Select(d => new { key = d.Key, ns = d.Value }),
        });
        while (await input.ReadLineAsync(ct) is { } line)
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words is ["quit"])
            {
                return;
            }

            if (words is ["slice", var key, var start, var count]
                && plans.ContainsKey(key)
                && int.TryParse(start, NumberStyles.None, CultureInfo.InvariantCulture, out var s)
                && int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 1_000_000)
            {
                try
                {
                    await WriteAsync(output, new { ns = await runner.SliceAsync(key, s, n, ct) });
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    await WriteAsync(output, new { error = $"{key}: {e.GetType().Name}: {e.Message}" });
                }

                continue;
            }

            await WriteAsync(output, new { error = $"not understood: '{line}' (slice KEY START COUNT, or quit)" });
        }
    }

    private static async Task WriteAsync(TextWriter o, object value)
    {
        await o.WriteLineAsync(JsonSerializer.Serialize(value));
        await o.FlushAsync();
    }
}
