using QueryLab.Bench.Timing;

namespace QueryLab.Bench.Ab;

/// <summary>One side of an A/B duet: the build's querylab.dll, and the environment its worker runs with (its database).</summary>
public sealed record DuetBuild(string Label, string Dll, IReadOnlyDictionary<string, string> Environment, IReadOnlyList<string> Arguments);

/// <summary>
/// Time for <c>querylab ab</c>, the duet way: the base's and the head's builds each run as one long-lived, warmed-up
/// <c>querylab worker</c>, and every variant both know is measured by slices that alternate base, head, base, head …
/// base (<see cref="Duet"/>), the ratio taken pair by pair, a flagged change measured again before it counts.
/// Base and head thus share the machine's every mood, seconds apart, instead of rounds minutes apart.
/// </summary>
public static class AbDuet
{
    public static async Task<IReadOnlyDictionary<string, DuetResult>> RunAsync(DuetBuild @base, DuetBuild head, DuetSettings settings, TextWriter o, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(@base);
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(o);
        o.WriteLine($"ab: starting the base's and the head's workers (each warms up until its JIT is done)");
        await using var a = await WorkerClient.StartAsync("base", @base.Dll, @base.Arguments, @base.Environment, o, ct);
        await using var b = await WorkerClient.StartAsync("head", head.Dll, head.Arguments, head.Environment, o, ct);
        var keys = b.Estimates.Keys.Where(a.Estimates.ContainsKey).ToList();
        o.WriteLine($"ab: interleaving {keys.Count} variant(s), base and head alternating in slices of ~{settings.SliceTime.TotalMilliseconds:0} ms ({settings.Pairs} pairs each, {settings.Pairs} more at a time up to {settings.MostPairs} while undecided, a flagged change measured twice)");
        var results = new Dictionary<string, DuetResult>(StringComparer.Ordinal);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        foreach (var key in keys)
        {
            var ops = Duet.SliceOperations(Math.Max(a.Estimates[key], b.Estimates[key]), settings.SliceTime);
            var r = await Duet.CompareAsync(new DuetSide(a, key, ops), new DuetSide(b, key, ops), settings, ct);
            results[key] = r;
            o.WriteLine($"  [{results.Count}/{keys.Count}] {key}: {r.Verdict.ToString().ToLowerInvariant()}, {r.Why} ({watch.Elapsed.TotalSeconds:0} s so far)");
        }

        return results;
    }
}
