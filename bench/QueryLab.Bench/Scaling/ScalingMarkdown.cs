using System.Globalization;
using System.Text;
using QueryLab.Bench.Reports;

namespace QueryLab.Bench.Scaling;

/// <summary>scaling.md: per scenario a log–log chart, each variant's time at every scale with its growth exponents, and the findings.</summary>
public static class ScalingMarkdown
{
    /// <summary>The spread of the harness floor over the scales' runs above which scaling.md warns that the machine drifted.</summary>
    public const double DriftWarning = 1.2;

    public static string Render(ScalingResults r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var md = new StringBuilder();
        md.AppendLine("# QueryLab scaling");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"`{r.Command}` — {r.StartedAt:yyyy-MM-dd HH:mm} UTC, {(r.FinishedAt - r.StartedAt).TotalMinutes:0.0} min, profile {r.Profile}, budget {Units.Time(r.BudgetMs * 1e6)} per operation, statement limit {Seed.Server.StatementLimit.Display(TimeSpan.FromMilliseconds(r.StatementLimitMs))}.");
        md.AppendLine();
        var scales = new MarkdownTable("scale", Column.Figures("shipments"), "database", Column.Figures("size"), Column.Figures("harness floor"), "run");
        foreach (var s in r.Scales)
        {
            scales.Row(s.Scale, Units.Count(s.Shipments), s.Database, Seed.Seeding.DiskRoom.Size(s.DatabaseBytes), s.FloorNs is { } f ? Units.Time(f) : "–", $"[{s.RunFolder}]({s.RunFolder}/report.md)");
        }

        scales.WriteTo(md);
        var floors = r.Scales.Where(s => s.FloorNs is > 0).Select(s => s.FloorNs!.Value).ToList();
        if (floors.Count >= 2 && floors.Max() / floors.Min() > DriftWarning)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"**The machine's speed changed between the scales**: the harness floor (raw Npgsql's one-row lookup, which hardly depends on the scale) ranged {Units.Time(floors.Min())}–{Units.Time(floors.Max())} ({floors.Max() / floors.Min():0.0}×). The scales are measured minutes apart, so that drift is in the time exponents and not in their intervals (which hold each run's own noise): read an exponent within ±{Math.Log(floors.Max() / floors.Min()) / Math.Log(r.Scales.Max(x => x.Shipments) / (double)r.Scales.Min(x => x.Shipments)):0.00} of 0 as flat, and trust the work exponent, which counts rows.");
            md.AppendLine();
        }
        md.AppendLine("Each scale has a database of its own on the same server, seeded once (deterministic: the same rows every time) and reused by later runs; the catalog is verified, timed and profiled on each exactly as `bench` does (its run folder is linked). "
            + "The **growth exponent** is the slope of log time over log shipments (least squares; 95% interval from 2,000 bootstrap resamples of each scale's measured iterations): 0 does not grow with the data, 1 grows in proportion to it. "
            + "**work** is the same slope of the plans' rows processed (exact: it does not depend on the machine's speed) and **answer** that of the rows the operation returns or writes. "
            + $"A variant whose work (or, without plans, the lower end of its time's interval) grows at least {ScalingAnalysis.FasterThanResult:0.0} faster than its answer is reported as `grows-faster-than-result`, with where its time crosses the budget.");
        md.AppendLine();
        var findings = r.Scenarios.SelectMany(s => s.Variants.Where(v => v.Finding is not null).Select(v => (s.Name, v))).ToList();
        md.AppendLine("## Look at these first");
        md.AppendLine();
        if (findings.Count == 0)
        {
            md.AppendLine("No variant's cost grows faster than its answer over these scales.");
        }

        foreach (var (scenario, v) in findings.OrderByDescending(f => f.v.Work ?? f.v.Time?.Value ?? 0))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- `grows-faster-than-result` — **{scenario} / {v.Name}** ({v.Form ?? "–"}): {v.Finding}{(v.Budget is null ? "" : $"; {v.Budget}")}.");
        }

        md.AppendLine();
        foreach (var s in r.Scenarios)
        {
            Scenario(md, s, r);
        }

        return md.ToString();
    }

    private static void Scenario(StringBuilder md, ScalingScenario s, ScalingResults r)
    {
        md.AppendLine(CultureInfo.InvariantCulture, $"## {s.Name}");
        md.AppendLine();
        Chart(md, s, r);
        var columns = new List<Column> { "variant", "form" };
        columns.AddRange(r.Scales.Select(x => Column.Figures(x.Scale)));
        columns.AddRange([Column.Figures("growth exponent"), Column.Figures("work"), Column.Figures("answer"), "budget"]);
        var table = new MarkdownTable([.. columns]);
        foreach (var v in s.Variants)
        {
            var cells = new List<string?> { v.IsBaseline ? $"**{v.Name}** (baseline)" : v.Name, v.Form ?? "–" };
            foreach (var scale in r.Scales)
            {
                var p = v.Points.FirstOrDefault(x => x.Scale == scale.Scale);
                cells.Add(p is null ? "–" : p.MedianNs is { } ns ? Units.Time(ns) + (p.Rows is { } rows ? $" · {Units.Count(rows)} rows" : "") : Short(p.NotRun));
            }

            cells.Add(v.Time is { } e ? $"{F(e.Value)} [{F(e.Lower)}–{F(e.Upper)}]" : "–");
            cells.Add(v.Work is { } w ? F(w) : "–");
            cells.Add(v.Result is { } a ? F(a) : "–");
            cells.Add((v.Budget ?? "within") + (v.Check is null ? "" : $"; {v.Check}"));
            table.Row([.. cells]);
        }

        table.WriteTo(md);
        md.AppendLine("Times are medians per operation (rows: the operation's answer); the exponents are over the scales where the variant was timed.");
        md.AppendLine();
    }

    /// <summary>
    /// log10 of the median time (µs) against the decades of shipments from the smallest scale to the largest: a straight line
    /// on a log–log chart. Decades between two measured scales lie on the segment between them (log–log interpolation), so
    /// the chart's geometry is that of the measurements.
    /// </summary>
    private static void Chart(StringBuilder md, ScalingScenario s, ScalingResults r)
    {
        var drawn = s.Variants.Where(v => r.Scales.All(x => v.Points.Any(p => p.Scale == x.Scale && p.MedianNs is > 0))).ToList();
        if (drawn.Count == 0 || r.Scales.Count < 2)
        {
            return;
        }

        var low = (int)Math.Floor(Math.Log10(r.Scales.Min(x => x.Shipments)));
        var high = (int)Math.Ceiling(Math.Log10(r.Scales.Max(x => x.Shipments)));
        var decades = Enumerable.Range(low, high - low + 1).Select(d => Math.Pow(10, d)).ToList();
        var labels = decades.Select(d => d >= 1e6 ? $"{d / 1e6:0}M" : $"{d / 1e3:0}k").ToList();
        var series = drawn.Select(v =>
        {
            var pts = v.Points.Where(p => p.MedianNs is > 0).OrderBy(p => p.Shipments).Select(p => (X: Math.Log10(p.Shipments), Y: Math.Log10(p.MedianNs!.Value / 1000))).ToList();
            return (IReadOnlyList<double>)decades.Select(d => Interpolate(pts, Math.Log10(d))).ToList();
        }).ToList();
        MermaidChart.WriteLines(md, MermaidChart.Title(s.Name, "log10 µs by shipments"), "log10 µs per operation", labels, series);
        var order = drawn.OrderByDescending(v => v.Points.Where(p => p.MedianNs is not null).MaxBy(p => p.Shipments)!.MedianNs).Select(v => v.Name);
        md.AppendLine(CultureInfo.InvariantCulture, $"Lines from the top at the largest scale: {string.Join(", ", order)} (1 on the axis is 10 µs, 3 is 1 ms, 5 is 100 ms).");
        md.AppendLine();
    }

    private static double Interpolate(IReadOnlyList<(double X, double Y)> pts, double x)
    {
        if (x <= pts[0].X)
        {
            return pts[0].Y;
        }

        for (var i = 1; i < pts.Count; i++)
        {
            if (x <= pts[i].X)
            {
                var (a, b) = (pts[i - 1], pts[i]);
                return a.Y + ((b.Y - a.Y) * (x - a.X) / (b.X - a.X));
            }
        }

        return pts[^1].Y;
    }

    private static string Short(string? why) => why is null ? "not timed" : why.StartsWith("did not finish", StringComparison.Ordinal) ? "did not finish" : why.Length > 40 ? why[..39] + "…" : why;

    private static string F(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);
}
