using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using QueryLab.Bench.Reports;
using QueryLab.Tests.Infrastructure;
using Xunit.Abstractions;

namespace QueryLab.Tests.Charts;

/// <summary>
/// Charts that tell the truth: every chart report.md, compare.md and load.md hold draws its bars from zero, keeps its
/// title within the chart's width and shows on each bar's label the figure a reader compares. The same charts are
/// then rendered by mermaid-cli in headless Chromium, which fails on any that does not parse.
/// </summary>
public partial class ChartTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Serverless")]
    public void Every_chart_starts_its_value_axis_at_zero_above_its_largest_bar_with_a_short_title()
    {
        foreach (var (kind, markdown) in ChartSamples.All())
        {
            var charts = ChartSamples.Charts(markdown);
            Assert.True(charts.Count > 0, $"{kind}.md holds no chart");
            foreach (var chart in charts)
            {
                var axis = YAxis().Match(chart);
                Assert.True(axis.Success, $"{kind}: no explicit value axis from 0 in\n{chart}");
                var end = double.Parse(axis.Groups[1].Value, CultureInfo.InvariantCulture);
                var bars = Bars().Matches(chart).SelectMany(m => m.Groups[1].Value.Split(',')).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToList();
                Assert.True(bars.Count > 0 && bars.All(b => b >= 0 && b <= end), $"{kind}: a bar outside 0 → {end} in\n{chart}");
                var title = Title().Match(chart).Groups[1].Value;
                Assert.InRange(title.Length, 1, MermaidChart.MaxTitle);
            }
        }
    }

    [Fact]
    [Trait("Category", "Serverless")]
    public void Each_bar_of_report_and_compare_is_labelled_with_the_ratio_a_reader_compares()
    {
        var report = ChartSamples.Charts(ChartSamples.Report());
        Assert.Equal(3, report.Count); // one per scenario
        // pending-page: raw Npgsql 530 µs, EF Core 640 µs: the label says 1.2× raw, and the bar starts at zero.
        var pending = Assert.Single(report, c => c.Contains("pending-page", StringComparison.Ordinal));
        Assert.Matches(@"""ef-no-tracking · 1\.\d\d× raw""", pending);
        Assert.Contains("\"npgsql-prepared · 1.00× raw\"", pending, StringComparison.Ordinal);

        var compare = ChartSamples.Charts(ChartSamples.Compare());
        var lookup = Assert.Single(compare, c => c.Contains("lookup-by-tracking-number", StringComparison.Ordinal));
        Assert.Matches(@"""dapper: cand 1\.[45]\d×""", lookup); // scaled by 1.5
        Assert.Contains("\"dapper: base\"", lookup, StringComparison.Ordinal);

        var load = ChartSamples.Charts(ChartSamples.Load());
        Assert.Equal(2, load.Count); // throughput and p99
        Assert.Contains("ops/s", load[0], StringComparison.Ordinal);
        Assert.Contains("p99 ", load[1], StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Serverless")]
    public void A_long_title_keeps_what_it_shows_and_shortens_the_subject()
    {
        var title = MermaidChart.Title("in-transit-with-carrier-and-latest-event-and-a-longer-name", "throughput (ops/s)");

        Assert.True(title.Length <= MermaidChart.MaxTitle, title);
        Assert.EndsWith("…: throughput (ops/s)", title, StringComparison.Ordinal);
        Assert.Equal("pending-page: mean µs per operation", MermaidChart.Title("pending-page", "mean µs per operation"));
    }

    [Theory]
    [Trait("Category", "Serverless")]
    [InlineData(931, 1000)]
    [InlineData(1000, 1000)]
    [InlineData(1.7, 2)]
    [InlineData(2_300, 4_000)]
    [InlineData(2_950, 4_000)]
    [InlineData(640, 800)]
    [InlineData(0, 1)]
    public void The_axis_ends_at_a_round_number_at_or_above_the_largest_bar(double max, double end) =>
        Assert.Equal(end, MermaidChart.AxisEnd(max), 9);

    [SkippableFact]
    [Trait("Category", "Charts")]
    public async Task Every_kind_of_chart_renders_in_mermaid_cli_and_headless_Chromium()
    {
        var (mmdc, chromium) = Tools();
        Skip.If(mmdc is null || chromium is null,
            $"mermaid-cli or Chromium is not installed (mmdc: {mmdc ?? "not found"}, chromium: {chromium ?? "not found"}): "
            + "apt-get install chromium; PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix .querylab/tools @mermaid-js/mermaid-cli (.ci/run does both)");

        var dir = Directory.CreateTempSubdirectory("querylab-charts-").FullName;
        try
        {
            var config = Path.Combine(dir, "puppeteer.json");
            await File.WriteAllTextAsync(config, $$"""{"executablePath": "{{chromium}}", "args": ["--no-sandbox"]}""");
            foreach (var (kind, markdown) in ChartSamples.All().Append(("scaling", ChartSamples.Scaling())))
            {
                // Only the charts: mermaid-cli renders each block of a Markdown file in turn and stops at the first it cannot parse.
                var input = Path.Combine(dir, kind + ".md");
                var charts = ChartSamples.Charts(markdown);
                await File.WriteAllTextAsync(input, string.Concat(charts.Select(c => $"```mermaid\n{c}```\n\n")));
                var (code, text) = await RunAsync(mmdc!, "-p", config, "-i", input, "-o", Path.Combine(dir, kind + "-out.md"));
                output.WriteLine($"{kind}: {charts.Count} chart(s), mmdc exit {code}");
                Assert.True(code == 0, $"mermaid-cli could not render a chart of {kind}.md (exit {code}):\n{text}");
                var svgs = Directory.GetFiles(dir, kind + "-out-*.svg");
                Assert.Equal(charts.Count, svgs.Length);
            }
        }
        finally
        {
            // QUERYLAB_KEEP_CHARTS=DIR keeps the rendered SVGs there, to look at them.
            if (Environment.GetEnvironmentVariable("QUERYLAB_KEEP_CHARTS") is { Length: > 0 } keep)
            {
                Directory.CreateDirectory(keep);
                foreach (var svg in Directory.GetFiles(dir, "*.svg"))
                {
                    File.Copy(svg, Path.Combine(keep, Path.GetFileName(svg)), overwrite: true);
                }
            }

            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>mmdc: QUERYLAB_MMDC, the repository's .querylab/tools (where .ci/run installs it), or PATH; Chromium: QUERYLAB_CHROMIUM or Debian's.</summary>
    private static (string? Mmdc, string? Chromium) Tools()
    {
        string? OnPath(string name) =>
            (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
        var mmdc = new[] { Environment.GetEnvironmentVariable("QUERYLAB_MMDC"), Path.Combine(LabFixture.RepoRoot, ".querylab", "tools", "node_modules", ".bin", "mmdc") }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p)) ?? OnPath("mmdc");
        var chromium = new[] { Environment.GetEnvironmentVariable("QUERYLAB_CHROMIUM"), "/usr/bin/chromium" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p)) ?? OnPath("chromium");
        return (mmdc, chromium);
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"y-axis ""[^""]+"" 0 --> ([0-9.]+)")]
    private static partial Regex YAxis();

    [GeneratedRegex(@"(?:bar|line) \[([^\]]*)\]")]
    private static partial Regex Bars();

    [GeneratedRegex(@"title ""([^""]*)""")]
    private static partial Regex Title();
}
