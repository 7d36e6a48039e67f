using QueryLab.Bench.Findings;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Reports;

/// <summary>The few lines a terminal shows at the end of a run: one per scenario, then what to look at first.</summary>
public static class TerminalSummary
{
    public static void Print(RunResults r, TextWriter o)
    {
        o.WriteLine();
        o.WriteLine($"{"scenario",-42} {"fastest variant",-28} {"raw Npgsql",10} {"EF Core",8} {"Dapper",8}  findings");
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
            o.WriteLine($"{s.Name,-42} {(fastest is null ? "–" : $"{fastest.Name} {Units.Time(fastest.Timing!.MeanNs)}"),-28} {(baseline.Timing is null ? "–" : Units.Time(baseline.Timing.MeanNs)),10} {Units.Ratio(s.BestRatio("EF Core")),8} {Units.Ratio(s.BestRatio("Dapper")),8}  {(counts.Length == 0 ? "–" : counts)}");
        }

        o.WriteLine("(EF Core and Dapper: the best variant of each library as a multiple of raw Npgsql's time; findings: critical and warning counts)");
        var nPlusOne = r.Scenarios.SelectMany(s => s.Variants.Where(v => v.Profile?.Repeated.Any(x => x.IsNPlusOne) == true).Select(v => $"{s.Name}/{v.Name} ({v.Profile!.RoundTrips} round trips)")).ToList();
        if (nPlusOne.Count > 0)
        {
            o.WriteLine($"N+1: {string.Join(", ", nPlusOne)}");
        }
    }

}
