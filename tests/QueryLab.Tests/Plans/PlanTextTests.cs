using QueryLab.Bench.Findings;
using QueryLab.Bench.Plans;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Plans;

/// <summary>The text tree: hot nodes marked, findings referenced, never wider than asked.</summary>
[Collection(LabCollection.Name)]
public class PlanTextTests(LabFixture fixture)
{
    [Theory]
    [InlineData(120)]
    [InlineData(80)]
    [InlineData(50)]
    public async Task The_tree_fits_the_width_and_marks_the_hot_node(int width)
    {
        var lab = await PlanLab.GetAsync(fixture);
        var a = await lab.ExplainAsync(
            "SELECT * FROM items WHERE payload LIKE 'abc%' ORDER BY payload",
            new Dictionary<string, string> { ["work_mem"] = "64kB" });
        var text = PlanText.Render(a, width);
        var lines = text.Split('\n');

        Assert.All(lines, l => Assert.True(l.Length <= width, $"{l.Length} > {width}: {l}"));
        Assert.Contains(a.ShapeHash, text, StringComparison.Ordinal);

        // The hottest node's line carries the marker and its share.
        var hot = a.TopNodes[0];
        var marker = $"◀ {QueryLab.Bench.Reports.Units.Percent(hot.Share)} of time";
        Assert.Contains(lines, l => l.Contains(marker, StringComparison.Ordinal));

        // Every finding is listed with its code, and its number appears on its node's line.
        Assert.Contains("Findings", lines);
        for (var i = 0; i < a.Findings.Count; i++)
        {
            var f = a.Findings[i];
            Assert.Contains(lines, l => l.StartsWith($"[{i + 1}] {f.Severity} {f.Code}", StringComparison.Ordinal));
            if (f.NodePath.Length > 0)
            {
                Assert.Contains(lines, l => l.Contains($"[{i + 1}]", StringComparison.Ordinal) && !l.StartsWith('['));
            }
        }

        Assert.Contains(a.Findings, f => f.Code == FindingCodes.SeqScanLargeTable);
    }

    [Fact]
    public async Task Nodes_that_never_ran_say_so()
    {
        var lab = await PlanLab.GetAsync(fixture);
        var a = await lab.ExplainAsync("SELECT * FROM items a WHERE a.id < 0 AND a.v IN (SELECT v FROM items WHERE a > 5)");
        Assert.Contains(a.Nodes, n => !n.Executed);
        Assert.Contains("never executed", PlanText.Render(a), StringComparison.Ordinal);
    }
}
