using System.Text.RegularExpressions;
using QueryLab.Bench.Findings;
using QueryLab.Bench.Plans;

namespace QueryLab.Tests.Plans;

/// <summary>
/// Every shape on every major QueryLab supports (13–18), as `querylab explain --plan FILE` reads it: Golden/shapes/pg&lt;major&gt;/,
/// each query explained once in JSON and once in text by generate.sh on that major's server. Per file: it is read, every
/// node's own time adds up to the root's, the text reads as the same plan as the JSON, the shape has the nodes that make it
/// that shape (<see cref="GoldenShapes"/>), its findings are the expected ones, and fields the reader does not know — the
/// ones newer majors add (17's Serialization and planner Memory, 18's Index Searches and Disabled) and made-up ones — change nothing.
/// </summary>
[Trait("Category", "Serverless")]
public class GoldenShapeTests
{
    public static TheoryData<int, string> Files
    {
        get
        {
            var d = new TheoryData<int, string>();
            foreach (var major in PlanMajors.All)
            {
                foreach (var shape in GoldenShapes.Names)
                {
                    d.Add(major, shape);
                }
            }

            return d;
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Each_major_s_plan_reads_in_both_formats_as_one_plan_whose_own_times_add_up_to_the_root_s(int major, string shape)
    {
        if (GoldenShapes.Absent(major, shape) is { } why)
        {
            Assert.False(File.Exists(PlanMajors.PathOf(major, shape + ".json")), why);
            Assert.False(File.Exists(PlanMajors.PathOf(major, shape + ".txt")), why);
            return;
        }

        var json = PlanMajors.Read(major, shape + ".json");
        var text = PlanMajors.Read(major, shape + ".txt");
        Assert.Equal(json.ShapeText, text.ShapeText);
        Assert.Equal(json.Nodes.Count(), text.Nodes.Count());
        foreach (var a in new[] { json, text })
        {
            Assert.True(a.ExecutionTime > 0);
            if (shape != "cte-initplan-subplan")
            {
                // Not there: a CTE first read inside an InitPlan is charged to both (TimeAttribution's known limit, left as it is).
                // Within EXPLAIN's rounding: a time per loop printed to 0.001 ms is off by up to 0.0005 ms a loop, and a node's
                // own time never goes below zero (memoize: the Memoize's 0.000 ms × 5,000 under its child's 0.001 ms × 1,000).
                var rounding = 0.01 + a.Nodes.Sum(n => 0.001 * (n.ActualLoops ?? 0));
                Assert.Equal(a.Root.InclusiveTime, a.Nodes.Sum(n => n.ExclusiveTime), rounding);
            }

            Assert.All(a.Nodes, n => Assert.True(n.ExclusiveTime >= 0, n.Label));
        }

        // Counters that do not depend on the clock read the same from both formats (the two runs read the same pages).
        Assert.Equal(json.Nodes.Select(n => n.Condition("Filter")), text.Nodes.Select(n => n.Condition("Filter")));
        Assert.Equal(json.Nodes.Select(n => n.Executed), text.Nodes.Select(n => n.Executed));
        // Heap fetches only say whether there were any: the first run kills the dead index entries the second then skips.
        Assert.Equal(json.Nodes.Select(n => n.HeapFetches > 0), text.Nodes.Select(n => n.HeapFetches > 0));
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Each_major_s_plan_has_the_nodes_and_the_findings_of_its_shape(int major, string shape)
    {
        if (GoldenShapes.Absent(major, shape) is not null)
        {
            return;
        }

        foreach (var ext in new[] { ".json", ".txt" })
        {
            var a = PlanMajors.Read(major, shape + ext);
            var expected = GoldenShapes.Expected(major, shape);
            Assert.True(expected.Nodes == a.Nodes.Count(), $"{major} {shape}{ext}: {a.Nodes.Count()} nodes, expected {expected.Nodes}:\n{a.ShapeText}");
            foreach (var label in expected.Lines)
            {
                Assert.True(a.ShapeText.Split('\n').Any(l => l.Trim() == label), $"{major} {shape}{ext}: no node '{label}' in\n{a.ShapeText}");
            }

            var codes = a.Findings.Select(f => f.Code).Where(c => c is not FindingCodes.HotNode and not FindingCodes.RowEstimate and not FindingCodes.PlanningShare and not FindingCodes.CacheMisses).Distinct().Order().ToArray();
            Assert.True(expected.Findings.Order().SequenceEqual(codes), $"{major} {shape}{ext}: findings {string.Join(", ", codes)}, expected {string.Join(", ", expected.Findings)}");
            expected.Check?.Invoke(a);
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Fields_and_lines_the_reader_does_not_know_change_nothing(int major, string shape)
    {
        if (GoldenShapes.Absent(major, shape) is not null)
        {
            return;
        }

        var raw = File.ReadAllText(PlanMajors.PathOf(major, shape + ".json"));
        var json = PlanAnalyzer.Analyze(raw);
        var strange = PlanAnalyzer.Analyze(raw.Replace("\"Node Type\":", "\"Future Field\": {\"Nested\": [1, 2, {\"x\": null}]}, \"Future Flag\": true, \"Node Type\":", StringComparison.Ordinal));
        Assert.Equal(json.ShapeText, strange.ShapeText);
        Assert.Equal(json.Nodes.Select(n => n.ExclusiveTime), strange.Nodes.Select(n => n.ExclusiveTime));

        var txt = File.ReadAllText(PlanMajors.PathOf(major, shape + ".txt"));
        var text = PlanAnalyzer.Analyze(PlanTextReader.ToJson(txt));
        var indented = Regex.Replace(txt, @"^(\s*)(Buffers: )", "$1Future Property: 42 units\n$1$2", RegexOptions.Multiline);
        var strangeText = PlanAnalyzer.Analyze(PlanTextReader.ToJson(indented + "\nSome Future Line: 7 ms\n"));
        Assert.Equal(text.ShapeText, strangeText.ShapeText);
        Assert.Equal(text.Nodes.Select(n => n.ExclusiveTime), strangeText.Nodes.Select(n => n.ExclusiveTime));
    }

    [Fact]
    public void The_newer_majors_fields_are_in_the_files_so_the_tests_above_read_them()
    {
        foreach (var major in PlanMajors.All)
        {
            var json = File.ReadAllText(PlanMajors.PathOf(major, "seq-scan-filter.json"));
            var disabled = File.ReadAllText(PlanMajors.PathOf(major, "disabled-seq-scan.json"));
            var index = File.ReadAllText(PlanMajors.PathOf(major, "index-scan-few-columns.txt"));
            Assert.Equal(major >= 17, json.Contains("\"Serialization\"", StringComparison.Ordinal));
            Assert.Equal(major >= 17, json.Contains("\"Memory Used\"", StringComparison.Ordinal));
            Assert.Equal(major >= 18, disabled.Contains("\"Disabled\": true", StringComparison.Ordinal));
            Assert.Equal(major >= 18, index.Contains("Index Searches: 1", StringComparison.Ordinal));
        }
    }
}
