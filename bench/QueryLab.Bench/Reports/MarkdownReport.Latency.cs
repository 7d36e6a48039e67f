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
            + "*predicted* is the round-trip model, time at 0 ms + round trips × RTT (round trips as the profiling pass counted them), with the measured time's departure from it: "
            + "a variant that opens a connection per operation (unpooled, a new data source, a pooler without Npgsql's pool) also pays the connection's setup round trips, which the model leaves out.");
        md.AppendLine();
        var zero = sweep.FirstOrDefault(p => p.LatencyMs == 0);
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
                var cells = new List<string> { v.IsBaseline ? $"**{v.Name}** (baseline)" : v.Name, v.Profile is { } pr ? Units.Count(pr.RoundTrips) : "–" };
                foreach (var p in sweep)
                {
                    var at = p.Variants.FirstOrDefault(x => x.Scenario == s.Name && x.Variant == v.Name);
                    cells.Add(at?.MeanNs is { } ns ? Units.Time(ns) : "–");
                    if (p.LatencyMs > 0 && zero is not null)
                    {
                        cells.Add(Predicted(zero, s.Name, v, p.LatencyMs, at?.MeanNs));
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

    /// <summary>"2.10 ms (measured +4%)": time at 0 ms + round trips × RTT, and how far the measured time is from it.</summary>
    private static string Predicted(SweepPoint zero, string scenario, VariantResultRecord v, double rttMs, double? measuredNs)
    {
        var atZero = zero.Variants.FirstOrDefault(x => x.Scenario == scenario && x.Variant == v.Name)?.MeanNs;
        if (atZero is not { } baseNs || v.Profile is not { } profile)
        {
            return "–";
        }

        var predicted = baseNs + (profile.RoundTrips * rttMs * 1e6);
        if (measuredNs is not { } m)
        {
            return Units.Time(predicted);
        }

        var error = (m / predicted) - 1;
        return $"{Units.Time(predicted)} ({(error < 0 ? "−" : "+")}{Units.Percent(Math.Abs(error))})";
    }
}
