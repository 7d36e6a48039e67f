using System.Globalization;
using System.Text;

namespace QueryLab.Bench.Compare;

/// <summary>
/// Baseline against candidate per scenario: a Mermaid <c>xychart-beta</c> (GitHub renders it) with two bar
/// series, the baseline's median and the candidate's. xychart draws a category's bars on top of each other,
/// so each variant gets two categories, "variant (base)" and "variant (cand)", and each series
/// is zero on the other's: the bars stand side by side in two colours.
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
        md.AppendLine("Median time per operation of each variant timed in both runs: for each variant the first bar (base) is the baseline, the second (cand) the candidate.");
        md.AppendLine();
        var order = r.Compared.Select((v, i) => (v, i)).ToDictionary(x => x.v, x => x.i);
        int Position(MetricChange c) => order.GetValueOrDefault(new VariantRef(c.Scenario, c.Variant), int.MaxValue);
        foreach (var scenario in times.OrderBy(g => g.Min(Position)))
        {
            var variants = scenario.OrderBy(Position).ToList();
            var max = variants.Max(c => Math.Max(c.Baseline!.Value, c.Candidate!.Value));
            var (unit, div) = max >= 1_000_000 ? ("ms", 1_000_000.0) : max >= 1_000 ? ("µs", 1_000.0) : ("ns", 1.0);
            var labels = variants.SelectMany(c => new[] { Label(c.Variant + " (base)"), Label(c.Variant + " (cand)") });
            var baseline = variants.SelectMany(c => new[] { N(c.Baseline!.Value / div), "0" });
            var candidate = variants.SelectMany(c => new[] { "0", N(c.Candidate!.Value / div) });
            md.AppendLine("```mermaid");
            md.AppendLine("xychart-beta");
            md.AppendLine(CultureInfo.InvariantCulture, $"    title {Label($"{scenario.Key}: median {unit} per operation, baseline and candidate")}");
            md.AppendLine(CultureInfo.InvariantCulture, $"    x-axis [{string.Join(", ", labels)}]");
            md.AppendLine(CultureInfo.InvariantCulture, $"    y-axis \"{unit}\" 0 --> {N(max / div * 1.1)}");
            md.AppendLine(CultureInfo.InvariantCulture, $"    bar [{string.Join(", ", baseline)}]");
            md.AppendLine(CultureInfo.InvariantCulture, $"    bar [{string.Join(", ", candidate)}]");
            md.AppendLine("```");
            md.AppendLine();
        }
    }

    private static string Label(string s) => "\"" + s.Replace("\"", "'", StringComparison.Ordinal) + "\"";

    private static string N(double v) => v.ToString(v >= 100 ? "0.#" : v >= 1 ? "0.###" : "0.#####", CultureInfo.InvariantCulture);
}
