using System.Diagnostics;
using QueryLab.Bench.Findings;
using QueryLab.Bench.Reports;

namespace QueryLab.Bench.Load;

/// <summary>Latency of completed requests from their recorded Stopwatch ticks: exact, percentiles by nearest rank.</summary>
public static class Latency
{
    public static LatencyRecord? From(long[] ticks)
    {
        ArgumentNullException.ThrowIfNull(ticks);
        if (ticks.Length == 0)
        {
            return null;
        }

        Array.Sort(ticks);
        var perTick = 1e9 / Stopwatch.Frequency;
        double At(double p) => ticks[NearestRank(p, ticks.Length)] * perTick;
        return new LatencyRecord(ticks[0] * perTick, ticks.Average(t => (double)t) * perTick, At(0.50), At(0.90), At(0.99), At(0.999), ticks[^1] * perTick);
    }

    /// <summary>The 0-based index of the nearest-rank percentile: the smallest value with at least p of the values at or below it.</summary>
    public static int NearestRank(double p, int n) => Math.Clamp((int)Math.Ceiling((p * n) - 1e-9) - 1, 0, n - 1); // 1e-9: 0.999 × 1000 is 999, not 999.0000000000001
}

/// <summary>Turns a step's failures and leaks into findings, each with the numbers and what to do.</summary>
public static class LoadFindings
{
    public static IEnumerable<LoadFinding> For(LoadStep step, LoadSettings settings)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(settings);
        string Of(long n) => $"{Units.Count(n)} of {Units.Count(step.Sent)} requests";
        var (v, c) = (step.Variant, step.Clients);
        long Count(FailureKind k) => step.Failures.Where(f => f.Kind == k).Sum(f => f.Count);

        if (Count(FailureKind.PoolExhausted) is > 0 and var pool)
        {
            yield return new LoadFinding(Severity.Warning, FindingCodes.PoolExhausted, v, c,
                $"pool exhausted: {Of(pool)} waited longer than Timeout={settings.PoolTimeoutSeconds} s for a pooled connection ({c} clients share Maximum Pool Size {settings.MaxPoolSize})",
                FindingCodes.Of(FindingCodes.PoolExhausted).Fix);
        }

        if (Count(FailureKind.ServerRefused) is > 0 and var refused)
        {
            var l = settings.Limits;
            var limits = $"max_connections {l.MaxConnections} ({l.ReservedConnections} reserved), role {l.Role}: {Limit(l.RoleLimit)}, database: {Limit(l.DatabaseLimit)}";
            yield return new LoadFinding(Severity.Warning, FindingCodes.ServerConnectionLimit, v, c,
                $"server connection limit: {Of(refused)} were refused a connection by the server ({Examples(step, FailureKind.ServerRefused)}; {limits})",
                FindingCodes.Of(FindingCodes.ServerConnectionLimit).Fix);
        }

        if (Count(FailureKind.Timeout) is > 0 and var timeouts)
        {
            yield return new LoadFinding(Severity.Warning, FindingCodes.Timeouts, v, c,
                $"timeouts: {Of(timeouts)} timed out ({Examples(step, FailureKind.Timeout)})",
                FindingCodes.Of(FindingCodes.Timeouts).Fix);
        }

        if (Count(FailureKind.Error) is > 0 and var errors)
        {
            yield return new LoadFinding(Severity.Warning, FindingCodes.Errors, v, c,
                $"errors: {Of(errors)} failed ({Examples(step, FailureKind.Error)})",
                FindingCodes.Of(FindingCodes.Errors).Fix);
        }

        if (step.LeakedBackends > 0)
        {
            yield return Leak(step.LeakedBackends, settings.ApplicationName, $"after {v} with {c} clients", v, c);
        }
    }

    public static LoadFinding Leak(int backends, string applicationName, string when, string? variant = null, int? clients = null) =>
        new(Severity.Critical, FindingCodes.LeakedConnections, variant, clients,
            $"leaked connections: {backends} backend(s) with application_name {applicationName} were still open on the server {when}, once every pool and data source of the run was closed",
            FindingCodes.Of(FindingCodes.LeakedConnections).Fix);

    /// <summary>Before the run: a pool that can grow past what the server lets this role open.</summary>
    public static LoadFinding? PoolAboveLimit(LoadSettings s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var wanted = Math.Min(s.MaxPoolSize, s.Clients.Max());
        var free = s.Limits.FreeAtStart;
        return wanted <= free
            ? null
            : new LoadFinding(Severity.Info, FindingCodes.PoolAboveServerLimit, null, null,
                $"up to {wanted} connections may be opened (Maximum Pool Size {s.MaxPoolSize}, {s.Clients.Max()} clients) but role {s.Limits.Role} could open only {free} more when the run started",
                FindingCodes.Of(FindingCodes.PoolAboveServerLimit).Fix);
    }

    /// <summary>At least this share of the pool's cap reached: the pool, not the server or the clients, is what limits throughput.</summary>
    public const double SaturatedShare = 0.8;

    /// <summary>
    /// A step with more clients than connections whose throughput reached the pool's cap (Little's law: Maximum Pool Size ÷
    /// the time a request holds a connection, measured in the variant's smallest step with no more clients than
    /// connections) while its requests took longer than that: they queued for a connection. At a longer round trip each
    /// request holds its connection longer, so the same pool caps throughput lower.
    /// </summary>
    public static LoadFinding? PoolLimitsThroughput(LoadStep step, IReadOnlyList<LoadStep> earlier, LoadSettings settings, double? roundTripMs)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(earlier);
        ArgumentNullException.ThrowIfNull(settings);
        var pool = settings.MaxPoolSize;
        var unqueued = earlier.Where(x => x.Variant == step.Variant && x.Latency is not null && x.Clients <= pool).MinBy(x => x.Clients)?.Latency!.MeanNs;
        if (step.Clients <= pool || unqueued is not { } held || held <= 0 || step.Latency is not { } l)
        {
            return null;
        }

        var cap = pool / (held / 1e9);
        if (step.Throughput < SaturatedShare * cap || l.MeanNs < 1.5 * held)
        {
            return null;
        }

        var at = roundTripMs is { } rtt ? $" at {QueryLab.Bench.Latency.LatencyOptions.Label(rtt)} round trip" : "";
        return new LoadFinding(Severity.Warning, FindingCodes.PoolLimitsThroughput, step.Variant, step.Clients,
            $"the pool limits throughput{at}: Maximum Pool Size {pool} ÷ {Units.Time(held)} a request holds a connection caps it at {Units.Throughput(cap)} ops/s; "
            + $"{step.Clients} clients reached {Units.Throughput(step.Throughput)} ({Units.Percent(step.Throughput / cap)} of the cap) and waited: {Units.Time(l.MeanNs)} a request, not {Units.Time(held)}. "
            + $"By Little's law, serving these {step.Clients} clients unqueued (each sending its next request when the last one answered) needs {step.Clients} connections ({Units.Throughput(step.Clients / (held / 1e9))} ops/s × {Units.Time(held)})",
            FindingCodes.Of(FindingCodes.PoolLimitsThroughput).Fix);
    }

    private static string Limit(int n) => n < 0 ? "no limit" : $"CONNECTION LIMIT {n}";

    private static string Examples(LoadStep step, FailureKind kind) =>
        string.Join("; ", step.Failures.Where(f => f.Kind == kind).Take(3).Select(f => $"{Units.Count(f.Count)}× {f.Example}"));
}
