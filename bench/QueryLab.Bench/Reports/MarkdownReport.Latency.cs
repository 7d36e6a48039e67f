using System.Globalization;
using System.Text;
using QueryLab.Bench.Latency;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Reports;

/// <summary>report.md's part of <c>--latency</c>: the round trip the relay added and its own cost, and a sweep's tables and charts.</summary>
public static partial class MarkdownReport
{
    /// <summary>The header's "network" cell: loopback, or the relay's round-trip time(s) and the relay's own cost; null for a run without the relay.</summary>
    public static string? NetworkText(RunResults r)
    {
        if (r.LatencyMs is null && r.Relay is null)
        {
            return null;
        }

        var at = r.Sweep is { Count: > 1 } sweep
            ? $"a sweep at {string.Join(", ", sweep.Select(p => LatencyOptions.Label(p.LatencyMs)))} round trip (this run's own: {LatencyOptions.Label(r.RoundTripMs)})"
            : $"{LatencyOptions.Label(r.RoundTripMs)} round trip";
        var cost = r.Relay is { } c
            ? $"; the relay itself adds {(c.AddedNs < 0 ? "−" : "")}{Units.Time(Math.Abs(c.AddedNs))} to a `SELECT 1` round trip at 0 ms ({Units.Time(c.RelayedNs)} through it, {Units.Time(c.DirectNs)} direct, medians of {Units.Count(c.Samples)})"
                + (c.ConnectionRoundTrips is { } n ? $"; a new connection costs {n} round trips at the wire after the TCP handshake's one (counted by the relay)" : "")
            : "";
        return $"through QueryLab's latency relay, half of the round trip each way: {at}{cost}";
    }

    /// <summary>A sweep: per scenario, each variant's time and × raw at each round-trip time, and a chart of time against round trip.</summary>
    private static void LatencySweep(StringBuilder md, RunResults r)
    {
        if (r.Sweep is not { Count: > 1 } sweep)
        {
            return;
        }

        md.AppendLine("## Round-trip time");
        md.AppendLine();
        var links = string.Join(", ", sweep.Select(p => $"[{LatencyOptions.Label(p.LatencyMs)}]({(p.RunId == r.RunId ? "report.md" : p.RunId + "/report.md")})"));
        md.AppendLine(
            $"Every variant measured again at each round-trip time through QueryLab's latency relay ({links}): "
            + "mean time per operation and × raw at each. A variant of many round trips grows by round trips × RTT; × raw says whether it is still acceptable there. "
            + "*predicted* is the round-trip model, time at 0 ms + round trips × RTT, checked in pairs: before timing, each variant's operations ran in short slices with the relay's delay held (0 ms) and at the round-trip time, alternating, "
            + "so the cell reads *+what the round trips should add → +what they added* beside the same minute's time at 0 ms, and the total's departure from the model (⚠ beyond ±15%); "
            + "the passes at each round-trip time run minutes apart, and their means differ by the machine's drift as well (a run without the pairs shows time at 0 ms + round trips × RTT against the mean). "
            + "The round trips are counted at the wire by the relay: every turn of the conversation and every TCP handshake, so a variant that opens a connection per operation (unpooled, a new data source, a pooler without Npgsql's pool) also counts its connection's setup "
            + "(*round trips* shows the profiling pass's statements' round trips, and the wire's count where it differs).");
        md.AppendLine();
        var zero = sweep.FirstOrDefault(p => p.LatencyMs == 0);
        foreach (var line in ModelCheck(r))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {line}");
        }

        md.AppendLine();
        foreach (var s in r.Scenarios.Where(s => s.Verification.Passed))
        {
            var headings = new List<Column> { "variant", Column.Figures("round trips") };
            foreach (var p in sweep)
            {
                headings.Add(Column.Figures($"at {LatencyOptions.Label(p.LatencyMs)}"));
                if (p.LatencyMs > 0 && zero is not null)
                {
                    headings.Add(Column.Figures("predicted"));
                }

                headings.Add(Column.Figures("× raw"));
            }

            var table = new MarkdownTable([.. headings]);
            var labels = new List<string>();
            var values = new List<double>();
            var max = sweep.SelectMany(p => p.Variants.Where(v => v.Scenario == s.Name)).Select(v => v.MeanNs ?? 0).DefaultIfEmpty(0).Max();
            var (unit, div) = MermaidChart.TimeUnit(max);
            foreach (var v in s.Variants)
            {
                var cells = new List<string> { v.IsBaseline ? $"**{v.Name}** (baseline)" : v.Name, RoundTripsText(v) };
                foreach (var p in sweep)
                {
                    var at = p.Variants.FirstOrDefault(x => x.Scenario == s.Name && x.Variant == v.Name);
                    cells.Add(at?.MeanNs is { } ns ? Units.Time(ns) : "–");
                    if (p.LatencyMs > 0 && zero is not null)
                    {
                        cells.Add(Predicted(zero, s.Name, v, at, p.LatencyMs));
                    }

                    cells.Add(at is null || at.MeanNs is null ? "–" : Units.Ratio(at.Ratio, at.RatioToBaseline));
                    if (at?.MeanNs is { } mean)
                    {
                        labels.Add($"{v.Name} @ {LatencyOptions.Label(p.LatencyMs)} · {Units.Ratio(at.Ratio?.Ratio ?? at.RatioToBaseline)} raw");
                        values.Add(mean / div);
                    }
                }

                table.Row([.. cells]);
            }

            md.AppendLine(CultureInfo.InvariantCulture, $"### {s.Name} against round-trip time");
            md.AppendLine();
            if (labels.Count > 0)
            {
                MermaidChart.Write(md, new BarChart(MermaidChart.Title(s.Name, $"mean {unit} per operation by RTT"), unit, labels, values));
            }

            table.WriteTo(md);
        }
    }

    /// <summary>
    /// Per round-trip time above 0 of a sweep: how many timed variants the model predicts within ±15%, and the ones it
    /// does not, worst first ("at 1 ms: 50 of 53 variants within ±15% of predicted; outside: ef-n-plus-1 +18%, …").
    /// </summary>
    public static IReadOnlyList<string> ModelCheck(RunResults r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var lines = new List<string>();
        if (r.Sweep is not { Count: > 1 } sweep || sweep.FirstOrDefault(p => p.LatencyMs == 0) is not { } zero)
        {
            return lines;
        }

        var variants = r.Scenarios.Where(s => s.Verification.Passed).SelectMany(s => s.Variants.Select(v => (Scenario: s.Name, Variant: v))).ToList();
        foreach (var p in sweep.Where(p => p.LatencyMs > 0))
        {
            var errors = new List<(string Name, double Error, string? Why)>();
            foreach (var (scenario, v) in variants)
            {
                var at = p.Variants.FirstOrDefault(x => x.Scenario == scenario && x.Variant == v.Name);
                var atZero = zero.Variants.FirstOrDefault(x => x.Scenario == scenario && x.Variant == v.Name)?.MeanNs;
                if (ModelRoundTrips(v, at) is not { } trips)
                {
                    continue;
                }

                if (at?.Wire?.Model is { } pairs)
                {
                    errors.Add(($"{scenario}/{v.Name}", pairs.Error(trips, p.LatencyMs), Why(pairs, trips, p)));
                }
                else if (at?.MeanNs is { } m && atZero is { } baseNs)
                {
                    errors.Add(($"{scenario}/{v.Name}", (m / (baseNs + (trips * p.LatencyMs * 1e6))) - 1, null));
                }
            }

            if (errors.Count == 0)
            {
                continue;
            }

            var outside = errors.Where(e => Math.Abs(e.Error) > ModelTolerance).OrderByDescending(e => Math.Abs(e.Error)).ToList();
            var worst = errors.MaxBy(e => Math.Abs(e.Error));
            var trip = p.RelayRoundTripMs is { } rt ? $"; one round trip through the relay came out at {LatencyOptions.Label(Math.Round(rt, 3))}" : "";
            var paired = p.Variants.Any(x => x.Wire?.Model is not null) ? $" (measured in pairs{trip})" : "";
            lines.Add($"at {LatencyOptions.Label(p.LatencyMs)}{paired}: {errors.Count - outside.Count} of {errors.Count} variants within ±{Units.Percent(ModelTolerance)} of predicted"
                + (outside.Count == 0 ? $" (the furthest: {worst.Name} {Signed(worst.Error)})" : $"; outside: {string.Join(", ", outside.Take(8).Select(e => $"{e.Name} {Signed(e.Error)}{(e.Why is null ? "" : $" ({e.Why})")}"))}{(outside.Count > 8 ? $", and {outside.Count - 8} more" : "")}"));
        }

        return lines;
    }

    /// <summary>
    /// Why a variant measured in pairs is off the model, where the figures say: within ±15% of its round trips × the
    /// relay's own measured round trip (the instrument, not the variant), or a conversation of many turns (each pays
    /// the relay's wake-ups on the cores the client and server share). Null: no reason the figures give.
    /// </summary>
    private static string? Why(ModelPairs pairs, double trips, SweepPoint p)
    {
        if (Math.Abs(pairs.Error(trips, p.LatencyMs)) <= ModelTolerance)
        {
            return null;
        }

        if (p.RelayRoundTripMs is { } rt && rt > 0 && Math.Abs(pairs.Error(trips, rt)) <= ModelTolerance)
        {
            return $"within ±{Units.Percent(ModelTolerance)} of {trips:0.#} × the relay's own {LatencyOptions.Label(Math.Round(rt, 3))} round trip";
        }

        return trips >= ManyTurns
            ? $"{trips:0} turns: each pays the relay's own wake-ups on the cores the client and the server share"
            : null;
    }

    /// <summary>A conversation this long pays the relay's per-turn cost often enough to leave the model.</summary>
    private const double ManyTurns = 20;

    private static string Signed(double error) => (error < 0 ? "−" : "+") + Units.Percent(Math.Abs(error));

    /// <summary>"3", or "3 (wire 7, 1 connection)" where the relay counted more at the wire than the statements' round trips.</summary>
    private static string RoundTripsText(VariantResultRecord v)
    {
        var statements = v.Profile?.RoundTrips;
        if (v.Wire is not { } w || (statements is { } st && Math.Abs(w.RoundTripsPerOp - st) < 0.05))
        {
            return statements is { } n ? Units.Count(n) : "–";
        }

        var wire = w.RoundTripsPerOp.ToString(w.RoundTripsPerOp % 1 == 0 ? "0" : "0.0", CultureInfo.InvariantCulture);
        var conns = w.ConnectionsPerOp > 0 ? $", {w.ConnectionsPerOp.ToString(w.ConnectionsPerOp % 1 == 0 ? "0" : "0.0", CultureInfo.InvariantCulture)} connection(s)" : "";
        return statements is { } s ? $"{Units.Count(s)} (wire {wire}{conns})" : $"wire {wire}{conns}";
    }

    /// <summary>Where the round-trip model is judged: measured within this share of predicted.</summary>
    public const double ModelTolerance = 0.15;

    /// <summary>
    /// "2.10 ms (+4%)": time at 0 ms + round trips × RTT, and how far the measured time is from it. The round trips are
    /// the ones the relay counted at the wire at this point (connections' setup included) where it counted them, else
    /// the profiling pass's (statements' round trips only).
    /// </summary>
    private static string Predicted(SweepPoint zero, string scenario, VariantResultRecord v, SweepVariant? at, double rttMs)
    {
        if (at?.Wire?.Model is { } pairs && ModelRoundTrips(v, at) is { } n)
        {
            // In pairs: what the round trips should add, what they added beside the same minute's 0 ms, and the total's error.
            var e = pairs.Error(n, rttMs);
            return $"+{Units.Time(n * rttMs * 1e6)} → +{Units.Time(Math.Max(0, pairs.AddedNs))} ({(e < 0 ? "−" : "+")}{Units.Percent(Math.Abs(e))}){(Math.Abs(e) <= ModelTolerance ? "" : " ⚠")}";
        }

        var atZero = zero.Variants.FirstOrDefault(x => x.Scenario == scenario && x.Variant == v.Name)?.MeanNs;
        if (atZero is not { } baseNs || ModelRoundTrips(v, at) is not { } trips)
        {
            return "–";
        }

        var predicted = baseNs + (trips * rttMs * 1e6);
        if (at?.MeanNs is not { } m)
        {
            return Units.Time(predicted);
        }

        var error = (m / predicted) - 1;
        var mark = Math.Abs(error) <= ModelTolerance ? "" : " ⚠";
        return $"{Units.Time(predicted)} ({(error < 0 ? "−" : "+")}{Units.Percent(Math.Abs(error))}){mark}";
    }

    /// <summary>The round trips the model multiplies by the RTT: the wire's count at this point, else the profiling pass's.</summary>
    public static double? ModelRoundTrips(VariantResultRecord v, SweepVariant? at) =>
        at?.Wire?.RoundTripsPerOp ?? v.Wire?.RoundTripsPerOp ?? v.Profile?.RoundTrips;
}
