using System.Globalization;
using System.Text;

namespace QueryLab.Bench.Reports;

/// <summary>
/// A bar chart: one bar per label, the label carrying the figure a reader compares (say "1.62× raw"). One series,
/// one colour: xychart draws a bar of zero as a stub, so bars of several series sharing the categories (the way to
/// colour groups, since it has no legend) would each carry stubs of the others.
/// </summary>
public sealed record BarChart(string Title, string Unit, IReadOnlyList<string> Labels, IReadOnlyList<double> Values, bool Horizontal = true);

/// <summary>
/// The one Mermaid chart emitter of report.md, compare.md and load.md (code hosts render <c>xychart-beta</c>).
/// Every value axis starts at zero — given explicitly, since xychart otherwise starts it at the smallest value and
/// a 1.6× ratio is drawn as 40× —, titles are kept within the chart's width, and labels and titles are quoted.
/// </summary>
public static class MermaidChart
{
    /// <summary>Characters of a title that fit the default 700-pixel chart at its 20-pixel title font.</summary>
    public const int MaxTitle = 56;

    /// <summary>Characters of a category label kept (the rest is cut with "…").</summary>
    public const int MaxLabel = 60;

    public static void Write(StringBuilder md, BarChart chart)
    {
        ArgumentNullException.ThrowIfNull(md);
        ArgumentNullException.ThrowIfNull(chart);
        if (chart.Labels.Count == 0 || chart.Values.Count != chart.Labels.Count)
        {
            throw new ArgumentException($"a chart needs one value per label ({chart.Labels.Count} labels, {chart.Values.Count} values)", nameof(chart));
        }

        var max = chart.Values.Where(double.IsFinite).DefaultIfEmpty(0).Max();
        md.AppendLine("```mermaid");
        md.AppendLine(chart.Horizontal ? "xychart-beta horizontal" : "xychart-beta");
        md.AppendLine(CultureInfo.InvariantCulture, $"    title {Quote(Cut(chart.Title, MaxTitle))}");
        md.AppendLine(CultureInfo.InvariantCulture, $"    x-axis [{string.Join(", ", chart.Labels.Select(l => Quote(Cut(l, MaxLabel))))}]");
        md.AppendLine(CultureInfo.InvariantCulture, $"    y-axis {Quote(chart.Unit)} 0 --> {Units.Plain(AxisEnd(max))}");
        md.AppendLine(CultureInfo.InvariantCulture, $"    bar [{string.Join(", ", chart.Values.Select(v => Units.Plain(double.IsFinite(v) && v > 0 ? v : 0)))}]");
        md.AppendLine("```");
        md.AppendLine();
    }

    /// <summary>
    /// A line chart: one line per series over shared categories (a series must have a value per category). xychart has no
    /// legend and no log axis, so the caller names the lines below the chart and plots logarithms itself when it needs them;
    /// the value axis starts at zero like every other chart's.
    /// </summary>
    public static void WriteLines(StringBuilder md, string title, string unit, IReadOnlyList<string> labels, IReadOnlyList<IReadOnlyList<double>> series)
    {
        ArgumentNullException.ThrowIfNull(md);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(series);
        if (labels.Count == 0 || series.Count == 0 || series.Any(v => v.Count != labels.Count))
        {
            throw new ArgumentException($"a line chart needs one value per label in every series ({labels.Count} labels)", nameof(series));
        }

        var max = series.SelectMany(v => v).Where(double.IsFinite).DefaultIfEmpty(0).Max();
        md.AppendLine("```mermaid");
        md.AppendLine("xychart-beta");
        md.AppendLine(CultureInfo.InvariantCulture, $"    title {Quote(Cut(title, MaxTitle))}");
        md.AppendLine(CultureInfo.InvariantCulture, $"    x-axis [{string.Join(", ", labels.Select(l => Quote(Cut(l, MaxLabel))))}]");
        md.AppendLine(CultureInfo.InvariantCulture, $"    y-axis {Quote(unit)} 0 --> {Units.Plain(AxisEnd(max))}");
        foreach (var v in series)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"    line [{string.Join(", ", v.Select(x => Units.Plain(double.IsFinite(x) && x > 0 ? x : 0)))}]");
        }

        md.AppendLine("```");
        md.AppendLine();
    }

    /// <summary>"subject: what", the subject shortened (never the what) when the whole would not fit a title.</summary>
    public static string Title(string subject, string what)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(what);
        var full = $"{subject}: {what}";
        var room = MaxTitle - what.Length - 3; // ": " and "…"
        return full.Length <= MaxTitle ? full : room >= 8 ? $"{subject[..room]}…: {what}" : Cut(full, MaxTitle);
    }

    /// <summary>The unit and divisor that show nanoseconds up to <paramref name="maxNs"/> as readable numbers.</summary>
    public static (string Unit, double Divisor) TimeUnit(double maxNs) =>
        maxNs >= 1_000_000 ? ("ms", 1_000_000.0) : maxNs >= 1_000 ? ("µs", 1_000.0) : ("ns", 1.0);

    /// <summary>
    /// The end of the value axis: the largest value rounded up to 1, 1.5, 2, 4, 5 or 8 × a power of ten (1 when there is none),
    /// the ends at which the axis gets at most 11 ticks, so that their numbers do not run into each other.
    /// </summary>
    public static double AxisEnd(double max)
    {
        if (!(max > 0) || !double.IsFinite(max))
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(max)));
        foreach (var step in new[] { 1, 1.5, 2, 4, 5, 8, 10 })
        {
            if (step * magnitude >= max * (1 - 1e-12))
            {
                return step * magnitude;
            }
        }

        return 10 * magnitude;
    }

    private static string Cut(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    private static string Quote(string s) => "\"" + s.Replace("\"", "'", StringComparison.Ordinal) + "\"";
}
