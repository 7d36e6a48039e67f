using System.Globalization;
using System.Text;
using QueryLab.Bench.Findings;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Reports;

/// <summary>The report's profiling parts: what to look at first, counters, and each scenario's findings.</summary>
public static partial class MarkdownReport
{
    private static void LookFirst(StringBuilder md, RunResults r)
    {
        var items = new List<(int Rank, string Text)>();
        foreach (var s in r.Scenarios)
        {
            if (!s.Verification.Passed)
            {
                items.Add((0, $"**{s.Name}**: variants disagree with the baseline ({string.Join(", ", s.Verification.Mismatches.Select(m => m.Variant))}) — not timed."));
            }

            foreach (var v in s.Variants)
            {
                foreach (var f in v.Profile?.Repeated.Where(x => x.IsNPlusOne) ?? [])
                {
                    items.Add((1, $"**{s.Name} / {v.Name}** is an N+1: one statement ran {f.Count} times per operation, each in its own round trip ({v.Profile!.RoundTrips} round trips in all)."));
                }

                foreach (var f in v.Profile?.Findings.Where(f => f.Severity == Severity.Critical && f.Code != FindingCodes.NPlusOne) ?? [])
                {
                    items.Add((2, $"**{s.Name} / {v.Name}**: {f.Message} ({f.Where}) — {f.Fix}."));
                }

                if (v.RatioToBaseline is > 3)
                {
                    items.Add((3, $"**{s.Name} / {v.Name}** takes {Units.Ratio(v.RatioToBaseline)} the baseline's time ({Units.Time(v.Timing!.MeanNs)})."));
                }

                foreach (var st in v.Profile?.DistinctStatements.Where(st => st.GenericPlanDiffers == true) ?? [])
                {
                    items.Add((4, $"**{s.Name} / {v.Name}**: once prepared, PostgreSQL would switch to a generic plan of another shape ({string.Join("; ", st.GenericPlanChanges.Take(2))})."));
                }
            }
        }

        md.AppendLine("**Look at these first:**");
        md.AppendLine();
        if (items.Count == 0)
        {
            md.AppendLine("Nothing stands out: every scenario verified, no N+1, no critical plan finding, no variant above 3× raw.");
        }

        foreach (var (i, (_, text)) in items.OrderBy(x => x.Rank).Take(3).Index())
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"{i + 1}. {text}");
        }

        if (items.Count > 3)
        {
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"…and {items.Count - 3} more in the scenarios below.");
        }

        md.AppendLine();
    }

    private static string RoundTripRange(ScenarioResult s)
    {
        var rts = s.Variants.Where(v => v.Profile is not null).Select(v => v.Profile!.RoundTrips).ToList();
        return rts.Count == 0 ? "–" : rts.Min() == rts.Max() ? $"{rts.Min()}" : $"{rts.Min()}–{rts.Max()}";
    }

    internal static string FindingCounts(IEnumerable<FindingRecord> findings)
    {
        var counts = Severities.Counts(findings.Select(f => f.Severity));
        return counts.Length == 0 ? "none" : counts;
    }

    /// <summary>
    /// The scenario's findings, most severe first, one line each with the variants it was found on (a finding worded
    /// the same on several variants is one line); the statements and plans they point at are in the scenario file.
    /// </summary>
    private static void Findings(StringBuilder md, ScenarioResult s)
    {
        var findings = s.Variants
            .SelectMany(v => (v.Profile?.Findings ?? []).Select(f => (Variant: v.Name, Finding: f)))
            .GroupBy(x => x.Finding)
            .OrderByDescending(g => g.Key.Severity)
            .ToList();
        if (findings.Count == 0)
        {
            return;
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"Findings ({FindingCounts(findings.SelectMany(g => g.Select(x => x.Finding)))}):");
        md.AppendLine();
        foreach (var g in findings)
        {
            var f = g.Key;
            var on = string.Join(", ", g.Select(x => x.Variant).Distinct().Select(v => $"[{v}]({ScenarioFile.Link(s.Name, v)})"));
            md.AppendLine(CultureInfo.InvariantCulture, $"- **{Severities.Name(f.Severity)}** `{f.Code}` — {on} ({f.Where}): {Markdown.Cell(f.Message)}. *Fix:* {Markdown.Cell(f.Fix)}");
        }

        md.AppendLine();
    }
}
