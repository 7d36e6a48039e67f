using Npgsql;
using QueryLab.Queries.Catalog;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Timing;

/// <summary>
/// A busy wait inside the server, where a slower query would spend it: the variant runs on a data source whose sessions
/// load <c>querylab_spin</c> (<see cref="SpinExtension"/>), which spins before each top-level statement. An operation's
/// delay is spread over its statements — counted first on a one-connection pool with a 1 µs spin, from the module's
/// per-session counter — so a slowdown of X% of the median costs X% however many statements the variant sends. A variant
/// whose statements never spin (COPY FROM STDIN, a pooler's own connections) is slowed in the client instead, and says so.
/// </summary>
public sealed class ServerSpinInjector(CatalogContext catalog, string libraryPath) : ISlowdownInjector
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly Dictionary<string, int> _statements = new(StringComparer.Ordinal);
    private readonly ClientSpinInjector _client = new();

    public string Where => SlowdownInjection.Server;

    public Task<CasePlan> ReferenceAsync(CasePlan plan, CancellationToken ct) => DelayAsync(plan, 0, ct);

    public async Task<CasePlan> DelayAsync(CasePlan plan, double delayNs, CancellationToken ct)
    {
        var statements = await StatementsAsync(plan, ct);
        if (statements == 0)
        {
            return await _client.DelayAsync(plan, delayNs, ct);
        }

        // A delay of 0 is the reference: the same path (its own data source, the module loaded) with no spin.
        var spinUs = delayNs <= 0 ? 0 : (int)Math.Clamp(Math.Round(delayNs / 1000 / statements), 1, SpinExtension.MaxSpinMicroseconds);
        var prepared = await PrepareAsync(plan, SpinExtension.ConnectionString(catalog.ConnectionString, libraryPath, spinUs), ct);
        var delayed = new CasePlan(prepared, plan.Variant, plan.OperationsPerInvoke, plan.MeasuredIterations, 0);
        await WarmAsync(prepared, plan.Variant, ct);
        return delayed;
    }

    /// <summary>The fewest operations that warm a new data source: with auto-prepare on (a --connection with Max Auto Prepare), Npgsql prepares a statement on its fifth use.</summary>
    public const int WarmOperations = 6;

    /// <summary>Warming goes on past <see cref="WarmOperations"/> for this long, at most <see cref="MostWarmOperations"/>.</summary>
    public static readonly TimeSpan WarmTime = TimeSpan.FromMilliseconds(150);

    public const int MostWarmOperations = 20;

    /// <summary>
    /// Warms the case's own data source and EF factory: <see cref="WarmOperations"/> operations (each statement then
    /// runs prepared on the connection), then more while under <see cref="WarmTime"/>, up to <see cref="MostWarmOperations"/>.
    /// By time, not by count: 20 operations of a 400 ms EF Core query took 8 s per data source and 4 data sources a variant.
    /// </summary>
    public static async Task<int> WarmAsync(IPreparedScenario prepared, IVariant variant, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var i = 0;
        while (i < MostWarmOperations && (i < WarmOperations || System.Diagnostics.Stopwatch.GetElapsedTime(started) < WarmTime))
        {
            await prepared.RunAsync(variant, i++, collect: false, ct);
        }

        return i;
    }

    /// <summary>How many of an operation's statements spin (what its delay is divided by), counted once per variant.</summary>
    public async Task<int> StatementsAsync(CasePlan plan, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!_statements.TryGetValue(plan.Key, out var statements))
        {
            _statements[plan.Key] = statements = await CountStatementsAsync(plan, ct);
        }

        return statements;
    }

    /// <summary>
    /// How many times an operation spins, on a one-connection pool with a 1 µs spin, once the variant runs as it does in its
    /// slices (after a first operation, which loads types and prepares what it prepares): the counter's growth over two operations less
    /// its growth over one. The difference takes out what reading the counter costs, and keeps what each operation brings
    /// with it: the reset Npgsql sends when a pooled connection with prepared statements is opened again (its
    /// <c>SELECT pg_advisory_unlock_all()</c> is a query, so it spins too). The same parameters each time, so an N+1
    /// does the same work in all three.
    /// </summary>
    private async Task<int> CountStatementsAsync(CasePlan plan, CancellationToken ct)
    {
        var one = new NpgsqlConnectionStringBuilder(SpinExtension.ConnectionString(catalog.ConnectionString, libraryPath, 1)) { MaxPoolSize = 1 };
        var prepared = await PrepareAsync(plan, one.ConnectionString, ct);
        if (prepared.NotRunReason(plan.Variant) is not null)
        {
            // On the module's connection string the variant cannot run as it does (a pooler that will not pass the
            // startup options on): its statements do not spin here, so it is slowed in the client, like COPY.
            return 0;
        }

        var context = (CatalogContext)_owned[^2];
        await prepared.RunAsync(plan.Variant, 1, collect: false, ct); // the first use: types loaded, statements prepared

        var s0 = await SpinsAsync(context, ct);
        await prepared.RunAsync(plan.Variant, 1, collect: false, ct);
        var s1 = await SpinsAsync(context, ct);
        await prepared.RunAsync(plan.Variant, 1, collect: false, ct);
        await prepared.RunAsync(plan.Variant, 1, collect: false, ct);
        var s2 = await SpinsAsync(context, ct);
        return (int)Math.Max(0, (s2 - s1) - (s1 - s0));
    }

    /// <summary>
    /// The session's spins, read by SHOW, which runs no query. (Read with <c>SELECT current_setting(…)</c>, which spun
    /// before it read, the count was one too many: a one-statement variant got half its delay, and +20% injected measured
    /// +10–13% on every one of them.)
    /// </summary>
    private static async Task<long> SpinsAsync(CatalogContext context, CancellationToken ct)
    {
        await using var cmd = context.DataSource.CreateCommand($"SHOW {SpinExtension.SpinCountSetting}");
        return long.Parse((string)(await cmd.ExecuteScalarAsync(ct))!, System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<IPreparedScenario> PrepareAsync(CasePlan plan, string connectionString, CancellationToken ct)
    {
        var context = catalog.WithConnectionString(connectionString);
        _owned.Add(context);
        var prepared = await plan.Prepared.Scenario.PrepareAsync(context, ct);
        _owned.Add(prepared);
        return prepared;
    }

    public async ValueTask ReleaseAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }

        _owned.Clear();
    }

    public ValueTask DisposeAsync() => ReleaseAsync();
}
