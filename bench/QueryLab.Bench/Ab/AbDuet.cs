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
    /// <param name="verb">The prefix of the lines it prints, and the words for the two sides: ab's base and head, or the upgrade lab's two majors.</param>
    /// <param name="crossed">
    /// The two databases hold the same pages and schema (the head's is a copy of the base's that the head's migrations left
    /// as it was): the fresh workers that confirm a flagged change then run on each other's database.
    /// </param>
    /// <param name="skip">Variants not to interleave (scenario/variant): those whose time will not be compared, so their duets would be thrown away.</param>
    public static async Task<IReadOnlyDictionary<string, DuetResult>> RunAsync(
        DuetBuild @base, DuetBuild head, DuetSettings settings, TextWriter o, CancellationToken ct, string verb = "ab", bool crossed = false, IReadOnlySet<string>? skip = null)
    {
        ArgumentNullException.ThrowIfNull(@base);
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(o);
        var (a1, b1) = verb == "ab" ? ("the base's", "the head's") : ($"the {@base.Label}", $"the {head.Label}");
        var (a2, b2) = verb == "ab" ? ("base", "head") : (@base.Label, head.Label);
        var warm = (@base.Arguments.Contains("--quick"), head.Arguments.Contains("--quick")) switch
        {
            (true, true) => "each warms up with one pass (--quick)",
            (false, false) => "each warms up until its JIT is done",
            (var quickBase, _) => $"the {(quickBase ? a2 : b2)}'s warms up with one pass (--quick), the {(quickBase ? b2 : a2)}'s until its JIT is done",
        };
        o.WriteLine($"{verb}: starting {a1} and {b1} workers ({warm})");
        var results = new Dictionary<string, DuetResult>(StringComparer.Ordinal);
        IReadOnlyDictionary<string, double> injected;
        await using (var a = await WorkerClient.StartAsync(verb == "ab" ? "base" : @base.Label, @base.Dll, @base.Arguments, @base.Environment, o, ct))
        await using (var b = await WorkerClient.StartAsync(verb == "ab" ? "head" : head.Label, head.Dll, head.Arguments, head.Environment, o, ct))
        {
            injected = b.Injected;
            var keys = b.Estimates.Keys.Where(a.Estimates.ContainsKey).Where(k => skip is null || !skip.Contains(k)).ToList();
            var growth = settings.MostPairs > settings.Pairs ? $", {settings.Pairs} more at a time up to {settings.MostPairs} while undecided" : "";
            o.WriteLine($"{verb}: interleaving {keys.Count} variant(s), {a2} and {b2} alternating in slices of ~{settings.SliceTime.TotalMilliseconds:0} ms ({settings.Pairs} pairs each{growth}, a flagged change measured twice, then once more by fresh workers)");
            var watch = System.Diagnostics.Stopwatch.StartNew();
            foreach (var key in keys)
            {
                var ops = Duet.SliceOperations(Math.Max(a.Estimates[key], b.Estimates[key]), settings.SliceTime);
                var r = await Duet.CompareAsync(new DuetSide(a, key, ops), new DuetSide(b, key, ops), settings, ct);
                results[key] = r;
                o.WriteLine($"  [{results.Count}/{keys.Count}] {key}: {r.Verdict.ToString().ToLowerInvariant()}, {r.Why} ({watch.Elapsed.TotalSeconds:0} s so far)");
            }
        }

        return await ConfirmWithFreshWorkersAsync(@base, head, settings, results, o, verb, crossed, injected, ct);
    }

    /// <summary>
    /// A change two workers agree on twice may still be theirs, not the builds': two processes of one build differ by
    /// where their heaps and code landed and which vCPU they ran on (on this 2-core runner up to ±20% on a sub-millisecond
    /// variant, confirmed on re-measure). Every flagged variant is therefore measured once more by a fresh pair of
    /// workers, and a verdict stands only when they agree. Two databases of the same pages differ too (where their pages
    /// sit in shared buffers: an A/A here called three carrier-scorecard variants 14–16% slower on the head's copy, confirmed
    /// by fresh workers), so where the databases are interchangeable (<paramref name="crossed"/>) the fresh workers swap
    /// them: the base's build on the head's database and the head's on the base's. A change of the builds stays; one of the
    /// databases turns round.
    /// </summary>
    /// <remarks>
    /// A delay given as a share of the variant's median (<c>--inject-delay …=10%</c>) goes to the fresh head worker as the
    /// delay the first one injected (<paramref name="injected"/>), not as the share again: the fresh worker's own warm-up,
    /// over fewer scenarios and other parameter values, put pending-deep-page/dapper-offset's median at 28× the first's,
    /// so it confirmed a different slowdown from the one flagged.
    /// </remarks>
    private static async Task<IReadOnlyDictionary<string, DuetResult>> ConfirmWithFreshWorkersAsync(
        DuetBuild @base, DuetBuild head, DuetSettings settings, Dictionary<string, DuetResult> results, TextWriter o, string verb, bool crossed,
        IReadOnlyDictionary<string, double> injected, CancellationToken ct)
    {
        var flagged = results.Values.Where(r => r.Verdict is DuetVerdict.Slower or DuetVerdict.Faster).Select(r => r.Key).ToList();
        if (flagged.Count == 0)
        {
            return results;
        }

        var scenarios = flagged.Select(k => k[..k.IndexOf('/', StringComparison.Ordinal)]).Distinct(StringComparer.Ordinal).ToList();
        o.WriteLine($"{verb}: {flagged.Count} change(s) flagged; measuring them again with a fresh pair of workers (two processes of one build differ too)"
            + (crossed ? ", each on the other's database (the two hold the same pages and schema, and two databases differ too)" : "") + $", warmed on {string.Join(", ", scenarios)}");
        await using var a = await WorkerClient.StartAsync(verb == "ab" ? "base" : @base.Label, @base.Dll, Narrowed(@base.Arguments, scenarios), crossed ? head.Environment : @base.Environment, o, ct);
        await using var b = await WorkerClient.StartAsync(verb == "ab" ? "head" : head.Label, head.Dll, Narrowed(head.Arguments, scenarios, injected), crossed ? @base.Environment : head.Environment, o, ct);
        var by = crossed ? "fresh workers on each other's databases" : "fresh workers";
        foreach (var key in flagged.Where(k => a.Estimates.ContainsKey(k) && b.Estimates.ContainsKey(k)))
        {
            var first = results[key];
            var ops = Duet.SliceOperations(Math.Max(a.Estimates[key], b.Estimates[key]), settings.SliceTime);
            var fresh = await Duet.CompareAsync(new DuetSide(a, key, ops), new DuetSide(b, key, ops), settings, ct);
            results[key] = fresh.Verdict == first.Verdict
                ? first with { Why = $"{first.Why}; confirmed by {by} ({Duet.Describe(fresh.Ratio)})" }
                : first with { Verdict = DuetVerdict.Unknown, Why = $"{first.Why}, but {by} gave {Duet.Describe(fresh.Ratio)}: a difference between two {(crossed ? "processes or databases" : "processes")}, not shown to be the {(verb == "ab" ? "builds'" : "servers'")}" };
            o.WriteLine($"  [fresh] {key}: {results[key].Verdict.ToString().ToLowerInvariant()}, {results[key].Why}");
        }

        return results;
    }

    /// <summary>
    /// A worker's arguments for the given scenarios only: --scenario replaced, delays and references of other scenarios
    /// dropped, and a delay that <paramref name="injected"/> holds for its variant given as those nanoseconds.
    /// </summary>
    public static IReadOnlyList<string> Narrowed(IReadOnlyList<string> arguments, IReadOnlyList<string> scenarios, IReadOnlyDictionary<string, double>? injected = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(scenarios);
        var kept = new List<string> { "--scenario", string.Join(',', scenarios) };
        for (var i = 0; i < arguments.Count; i++)
        {
            var (name, value) = (arguments[i], i + 1 < arguments.Count ? arguments[i + 1] : "");
            switch (name)
            {
                case "--scenario":
                    i++;
                    break;
                case "--inject-delay" or "--inject-reference":
                    i++;
                    var scenario = value.Split('/')[0];
                    if (scenarios.Contains(scenario, StringComparer.Ordinal))
                    {
                        var key = value.Split('=')[0];
                        kept.AddRange([name, name == "--inject-delay" && injected?.TryGetValue(key, out var ns) == true
                            ? $"{key}={Math.Round(ns).ToString(System.Globalization.CultureInfo.InvariantCulture)}ns"
                            : value]);
                    }

                    break;
                case "--inject-at":
                    i++;
                    kept.AddRange([name, value]);
                    break;
                default:
                    kept.Add(name);
                    break;
            }
        }

        return kept;
    }
}
