using System.Globalization;
using QueryLab.Bench.Reports;

namespace QueryLab.Bench.Load;

/// <summary>The table a terminal shows at the end of a load run: one line per (variant, clients), then the findings.</summary>
public static class LoadTerminal
{
    public static void Print(LoadResults r, TextWriter o)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(o);
        var width = Math.Max(8, r.Steps.Select(s => s.Variant.Length).DefaultIfEmpty(0).Max());
        o.WriteLine();
        o.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"variant".PadRight(width)} {"clients",7} {"sent",10} {"completed",10} {"failed",8} {"ops/s",10} {"mean",9} {"p50",9} {"p90",9} {"p99",9} {"p99.9",9} {"max",9}"));
        foreach (var s in r.Steps)
        {
            var l = s.Latency;
            string T(Func<LatencyRecord, double> f) => l is null ? "–" : Units.Time(f(l));
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{s.Variant.PadRight(width)} {s.Clients,7} {Units.Count(s.Sent),10} {Units.Count(s.Completed),10} {Units.Count(s.Failed),8} {Units.Throughput(s.Throughput),10} {T(x => x.MeanNs),9} {T(x => x.P50Ns),9} {T(x => x.P90Ns),9} {T(x => x.P99Ns),9} {T(x => x.P999Ns),9} {T(x => x.MaxNs),9}{(s.Interrupted ? "  (interrupted)" : "")}"));
        }

        o.WriteLine("(latency of completed requests, including any wait for a pooled connection; ops/s = completed ÷ measured time)");
        foreach (var n in r.NotRun)
        {
            o.WriteLine($"not run: {n.Variant}: {n.Reason}");
        }

        if (r.Findings.Count == 0)
        {
            o.WriteLine(r.Steps.All(s => s.Failed == 0) ? "findings: none (no request failed, no connection left open)" : "findings: none (no connection left open)");
            return;
        }

        o.WriteLine($"findings: {r.Findings.Count}");
        foreach (var f in r.Findings)
        {
            o.WriteLine($"  {f.Severity.ToString().ToUpperInvariant()} {f.Code}{Where(f)}: {f.Message}");
            o.WriteLine($"      fix: {f.Fix}");
        }
    }

    internal static string Where(LoadFinding f) =>
        f.Variant is null ? "" : $" ({f.Variant}{(f.Clients is { } c ? $", {c} clients" : "")})";
}
