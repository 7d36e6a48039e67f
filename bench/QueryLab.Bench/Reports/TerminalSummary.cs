using QueryLab.Bench.Findings;
using QueryLab.Bench.Results;
using QueryLab.Bench.Timing;

namespace QueryLab.Bench.Reports;

/// <summary>The few lines a terminal shows at the end of a run: one per scenario, then what to look at first.</summary>
public static class TerminalSummary
{
    public static void Print(RunResults r, TextWriter o)
    {
        o.WriteLine();
        o.WriteLine($"{"scenario",-42} {"fastest variant",-28} {"raw Npgsql",10} {"EF Core × raw",22} {"Dapper × raw",22}  findings");
        foreach (var s in r.Scenarios)
        {
            if (!s.Verification.Passed)
            {
                o.WriteLine($"{s.Name,-42} FAILED verification: {string.Join(", ", s.Verification.Mismatches.Select(m => m.Variant))} disagree with the baseline (not timed)");
                continue;
            }

            var fastest = s.Fastest();
            var baseline = s.Variants.Single(v => v.IsBaseline);
            var findings = s.Variants.SelectMany(v => v.Profile?.Findings ?? []).ToList();
            var counts = Severities.Counts(findings.Select(f => f.Severity), least: Severity.Warning);
            o.WriteLine($"{s.Name,-42} {(fastest is null ? "–" : $"{fastest.Name} {Units.Time(fastest.Timing!.MeanNs)}"),-28} {(baseline.Timing is null ? "–" : Units.Time(baseline.Timing.MeanNs)),10} {Units.Ratio(s.BestVariant("EF Core")?.Ratio, s.BestRatio("EF Core")),22} {Units.Ratio(s.BestVariant("Dapper")?.Ratio, s.BestRatio("Dapper")),22}  {(counts.Length == 0 ? "–" : counts)}");
        }

        o.WriteLine("(EF Core and Dapper: the fastest best form of each library as a multiple of raw Npgsql's time, measured in pairs, with its 95% interval; findings: critical and warning counts)");
        if (r.Floor is { } floor)
        {
            o.WriteLine($"harness floor: {MarkdownReport.FloorText(floor).Replace("`", "", StringComparison.Ordinal)}");
        }

        if (r.StealPercent is { } steal)
        {
            o.WriteLine($"host steal: {HostSteal.Line(steal)}");
        }
        var fidelity = MarkdownReport.FidelityRows(r).ToList();
        if (fidelity.Count > 0)
        {
            var ratios = fidelity.Where(f => f.Ratio is not null).Select(f => f.Ratio!.Ratio).Order().ToList();
            var within = ratios.Count(x => x is >= 0.9 and <= 1.1);
            o.WriteLine(ratios.Count == 0 ? "fidelity: no pairs measured" :
                $"fidelity: bench ÷ plain loop {Units.Ratio(ratios[ratios.Count / 2])} median over {ratios.Count} variant(s) ({Units.Ratio(ratios[0])}–{Units.Ratio(ratios[^1])}; {within} within ±10%): see report.md, \"Fidelity\"");
        }

        var nPlusOne = r.Scenarios.SelectMany(s => s.Variants.Where(v => v.Profile?.Repeated.Any(x => x.IsNPlusOne) == true).Select(v => $"{s.Name}/{v.Name} ({v.Profile!.RoundTrips} round trips)")).ToList();
        if (nPlusOne.Count > 0)
        {
            o.WriteLine($"N+1: {string.Join(", ", nPlusOne)}");
        }
    }

}
