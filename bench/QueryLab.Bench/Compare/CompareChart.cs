using System.Text;
using QueryLab.Bench.Reports;

namespace QueryLab.Bench.Compare;

/// <summary>
/// Baseline against candidate per scenario: a bar chart of medians, two bars per variant one under the other,
/// "variant: base" and "variant: cand 1.12×" (the candidate's median over the baseline's, the figure a reader
/// compares), drawn from zero.
/// </summary>
public static class CompareChart
{
    public static void Render(StringBuilder md, CompareReport r)
    {
        ArgumentNullException.ThrowIfNull(md);
        ArgumentNullException.ThrowIfNull(r);
        var times = r.All
            .Where(c => c.Kind == ChangeKind.Time && c.Baseline is > 0 && c.Candidate is > 0)
            .GroupBy(c => c.Scenario)
            .ToList();
        if (times.Count == 0)
        {
            return;
        }

        md.AppendLine("## Baseline against candidate");
        md.AppendLine();
        md.AppendLine("Median time per operation of each variant timed in both runs: for each variant the first bar (base) is the baseline, the second (cand) the candidate, labelled with the candidate's median as a multiple of the baseline's.");
        md.AppendLine();
        var order = r.Compared.Select((v, i) => (v, i)).ToDictionary(x => x.v, x => x.i);
        int Position(MetricChange c) => order.GetValueOrDefault(new VariantRef(c.Scenario, c.Variant), int.MaxValue);
        foreach (var scenario in times.OrderBy(g => g.Min(Position)))
        {
            var variants = scenario.OrderBy(Position).ToList();
            var (unit, div) = MermaidChart.TimeUnit(variants.Max(c => Math.Max(c.Baseline!.Value, c.Candidate!.Value)));
            MermaidChart.Write(md, new BarChart(
                MermaidChart.Title(scenario.Key, $"median {unit}, base and cand"),
                unit,
                variants.SelectMany(c => new[] { $"{c.Variant}: base", $"{c.Variant}: cand {Units.Ratio(c.Candidate!.Value / c.Baseline!.Value)}" }).ToList(),
                variants.SelectMany(c => new[] { c.Baseline!.Value / div, c.Candidate!.Value / div }).ToList()));
        }
    }
}
