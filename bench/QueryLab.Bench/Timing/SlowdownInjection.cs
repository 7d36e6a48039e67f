using QueryLab.Queries.Catalog;
using QueryLab.Seed;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Timing;

/// <summary>Adds a slowdown of a given length to each operation of a case: the case as it runs with the delay.</summary>
public interface ISlowdownInjector : IAsyncDisposable
{
    /// <summary>"server" or "client": where the delay is spent.</summary>
    string Where { get; }

    Task<CasePlan> DelayAsync(CasePlan plan, double delayNs, CancellationToken ct);

    /// <summary>
    /// The case as it runs through the injection's path with no delay: what a delayed case must be compared with. A
    /// case prepared on a data source of its own runs up to ±14% apart from the same case on the lab's (measured here,
    /// with the server's module loaded and no spin), more than the slowdowns a calibration injects.
    /// </summary>
    Task<CasePlan> ReferenceAsync(CasePlan plan, CancellationToken ct);

    /// <summary>
    /// Closes what the cases delayed so far run on (their data sources and idle connections): for a run that is done with
    /// them, as calibrate is once a variant's duets are over. Cases it returned before must not run again.
    /// </summary>
    ValueTask ReleaseAsync();
}

/// <summary>A busy wait in this process before each operation (the client's CPU, like slower client code).</summary>
public sealed class ClientSpinInjector : ISlowdownInjector
{
    public string Where => SlowdownInjection.Client;

    public Task<CasePlan> DelayAsync(CasePlan plan, double delayNs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return Task.FromResult(new CasePlan(plan.Prepared, plan.Variant, plan.OperationsPerInvoke, plan.MeasuredIterations, OperationLoop.Ticks(delayNs)));
    }

    public Task<CasePlan> ReferenceAsync(CasePlan plan, CancellationToken ct) => Task.FromResult(plan);

    public ValueTask ReleaseAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// Where an injected slowdown is spent (<c>--inject-at</c> of bench, ab, worker and calibrate): <c>server</c>, a busy
/// wait inside the server before each of the variant's statements, where a slower query would spend it (the
/// querylab_spin module); <c>client</c>, a busy wait in this process before each operation; <c>auto</c>, the server
/// when the module can be had, else the client, said in one line.
/// </summary>
public static class SlowdownInjection
{
    public const string Auto = "auto";
    public const string Server = "server";
    public const string Client = "client";

    public static readonly string[] Places = [Auto, Server, Client];

    /// <summary>The injector <paramref name="where"/> asks for; server needs the querylab_spin module (exit 2 with the reason when it cannot be had).</summary>
    public static async Task<(ISlowdownInjector Injector, string? Note)> CreateAsync(string where, LabServer server, CatalogContext catalog, string home, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (where == Client)
        {
            return (new ClientSpinInjector(), null);
        }

        var spin = await SpinExtension.PrepareAsync(server, home, ct);
        if (spin.IsAvailable)
        {
            return (new ServerSpinInjector(catalog, spin.LibraryPath!), null);
        }

        return where == Server
            ? throw LabException.BadInput($"--inject-at server: {spin.Unavailable}; or use --inject-at client")
            : (new ClientSpinInjector(), $"the server-side delay is not available ({spin.Unavailable}): slowdowns are injected in the client");
    }

    /// <summary>A slice runner for the case with the delay.</summary>
    public static async Task<ISliceRunner> WithDelayAsync(this ISlowdownInjector injector, CasePlan plan, double delayNs, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(injector);
        ArgumentNullException.ThrowIfNull(plan);
        return new LocalSliceRunner(new Dictionary<string, CasePlan> { [plan.Key] = await injector.DelayAsync(plan, delayNs, ct) });
    }

    /// <summary>
    /// Applies <c>--inject-delay</c> to the cases once their warm-up medians are known: each delayed case is replaced by
    /// the injector's, and what was injected (ns per operation) is returned for the run's record and printed.
    /// </summary>
    public static async Task<IReadOnlyDictionary<string, double>> ApplyAsync(
        IDictionary<string, CasePlan> plans, IReadOnlyDictionary<string, InjectedDelay> delays, IReadOnlyDictionary<string, double> estimatesNs,
        ISlowdownInjector injector, string? note, TextWriter log, string who, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plans);
        ArgumentNullException.ThrowIfNull(delays);
        ArgumentNullException.ThrowIfNull(injector);
        ArgumentNullException.ThrowIfNull(log);
        if (note is not null && delays.Count > 0)
        {
            await log.WriteLineAsync($"{who}: {note}");
        }

        var applied = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, delay) in delays)
        {
            if (!plans.TryGetValue(key, out var plan))
            {
                continue;
            }

            if (delay.NsFor(estimatesNs.GetValueOrDefault(key)) is not { } ns)
            {
                await log.WriteLineAsync($"{who}: {key}: {delay} needs the variant's warm-up median, which this profile does not measure: nothing injected");
                continue;
            }

            if (ns <= 0)
            {
                plans[key] = await injector.ReferenceAsync(plan, ct);
                await log.WriteLineAsync($"{who}: {key} runs through the {injector.Where} injection's path with no delay: the reference a delayed side is compared with");
                continue;
            }

            plans[key] = await injector.DelayAsync(plan, ns, ct);
            applied[key] = ns;
            await log.WriteLineAsync(
                $"{who}: injecting {Reports.Units.Time(ns)}{(delay.Fraction is { } f ? $" ({f * 100:0.#}% of its warm-up median)" : "")} of busy CPU in the {injector.Where} into every operation of {key} — a calibration, not a measurement of the code");
        }

        return applied;
    }
}
