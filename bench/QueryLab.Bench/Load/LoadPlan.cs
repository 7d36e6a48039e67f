using System.Globalization;
using System.Text.RegularExpressions;
using QueryLab.Queries.Catalog;
using QueryLab.Seed;

namespace QueryLab.Bench.Load;

/// <summary>
/// What one <c>querylab load</c> runs, checked once and then frozen: one scenario, the variants (one after the other),
/// the client counts of the sweep, how long each step is measured after its warm-up, and the pool the clients share.
/// </summary>
public sealed record LoadPlan(
    IScenario Scenario,
    IReadOnlyList<IVariant> Variants,
    IReadOnlyList<int> Clients,
    TimeSpan Duration,
    TimeSpan Warmup,
    int? PoolSize,
    int? PoolTimeoutSeconds)
{
    public const int MaxClients = 10_000;
    public const int MaxPoolSize = 10_000;

    /// <summary>Npgsql's largest Timeout (seconds).</summary>
    public const int MaxPoolTimeoutSeconds = 1024;

    public static readonly TimeSpan DefaultDuration = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultWarmup = TimeSpan.FromSeconds(3);

    /// <summary>One client, when --clients is not given.</summary>
    public static readonly IReadOnlyList<int> DefaultClients = [1];

    /// <summary>The one scenario --scenario names (a name, or a glob that matches exactly one); exit 2 otherwise.</summary>
    public static IScenario SelectScenario(string? pattern)
    {
        var names = string.Join(", ", ScenarioCatalog.All.Select(s => s.Name));
        if (string.IsNullOrWhiteSpace(pattern))
        {
            throw LabException.BadInput($"load needs one scenario: --scenario NAME; the scenarios are: {names}");
        }

        var selected = ScenarioCatalog.Select(pattern);
        return selected.Count switch
        {
            0 => throw LabException.BadInput($"no scenario matches '{pattern}'; the scenarios are: {names}"),
            1 => selected[0],
            _ => throw LabException.BadInput($"load runs one scenario; '{pattern}' matches {selected.Count}: {string.Join(", ", selected.Select(x => x.Name))}"),
        };
    }

    /// <summary>A variant name or glob (comma-separated alternatives); none selects every variant, in catalog order.</summary>
    public static IReadOnlyList<IVariant> SelectVariants(IScenario scenario, string? pattern)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        if (string.IsNullOrWhiteSpace(pattern))
        {
            return scenario.Variants;
        }

        var globs = pattern.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var selected = scenario.Variants.Where(v => globs.Any(g => ScenarioCatalog.Matches(v.Name, g))).ToList();
        return selected.Count > 0
            ? selected
            : throw LabException.BadInput($"scenario {scenario.Name} has no variant matching '{pattern}'; its variants are: {string.Join(", ", scenario.Variants.Select(v => v.Name))}");
    }

    /// <summary>One client count or a comma-separated sweep ("1,8,32"): each a whole number from 1 to 10,000; run in ascending order.</summary>
    public static IReadOnlyList<int> ParseClients(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var parts = value.Split(',', StringSplitOptions.TrimEntries);
        var counts = new List<int>();
        foreach (var p in parts)
        {
            if (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > MaxClients)
            {
                throw LabException.BadInput($"--clients '{value}': each count must be a whole number from 1 to {MaxClients:N0} (one count, or a sweep like 1,8,32)");
            }

            counts.Add(n);
        }

        return counts.Distinct().Order().ToList();
    }

    private static readonly Regex DurationPart = new(@"\G(\d+(?:\.\d+)?)(ms|s|m|h)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));

    /// <summary>"30s", "2m", "500ms", "1m30s", "1.5s"; with <paramref name="allowZero"/> also "0".</summary>
    public static TimeSpan ParseDuration(string value, string option, bool allowZero)
    {
        ArgumentNullException.ThrowIfNull(value);
        var text = value.Trim();
        if (allowZero && text == "0")
        {
            return TimeSpan.Zero;
        }

        var total = 0.0;
        var at = 0;
        for (var m = DurationPart.Match(text); m.Success && m.Index == at; m = DurationPart.Match(text, at))
        {
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += m.Groups[2].Value.ToLowerInvariant() switch
            {
                "ms" => n,
                "s" => n * 1_000,
                "m" => n * 60_000,
                _ => n * 3_600_000,
            };
            at += m.Length;
        }

        // Every completed request's latency is kept (8 bytes each, for exact percentiles): an hour at 50,000 ops/s is 1.4 GB.
        var max = TimeSpan.FromHours(1);
        if (text.Length == 0 || at != text.Length || total > max.TotalMilliseconds || (!allowZero && total < 1))
        {
            throw LabException.BadInput($"{option} '{value}' is not a duration: write a number with a unit, e.g. 30s, 2m, 500ms or 1m30s ({(allowZero ? "0 or more" : "at least 1ms")}, at most 1h)");
        }

        return TimeSpan.FromMilliseconds(total);
    }

    /// <summary>Npgsql's Timeout is whole seconds: how long opening a connection (and waiting for a pooled one) may take.</summary>
    public static int ParsePoolTimeout(string value)
    {
        var t = ParseDuration(value, "--pool-timeout", allowZero: false);
        var seconds = t.TotalSeconds;
        if (seconds != Math.Floor(seconds) || seconds < 1 || seconds > MaxPoolTimeoutSeconds)
        {
            throw LabException.BadInput($"--pool-timeout '{value}': Npgsql's Timeout is whole seconds from 1s to {MaxPoolTimeoutSeconds}s");
        }

        return (int)seconds;
    }

    /// <summary>Maximum Pool Size of the data source the clients share.</summary>
    public static int ParsePoolSize(string value) =>
        int.TryParse(value?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxPoolSize
            ? n
            : throw LabException.BadInput($"--pool-size '{value}': Maximum Pool Size must be a whole number from 1 to {MaxPoolSize:N0}");
}
