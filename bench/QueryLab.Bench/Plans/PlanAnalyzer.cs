using System.Globalization;
using QueryLab.Bench.Findings;

namespace QueryLab.Bench.Plans;

/// <summary>
/// Reads the output of <c>EXPLAIN (ANALYZE, BUFFERS, SETTINGS, FORMAT JSON)</c> and returns the plan with
/// every node's inclusive and exclusive time, its estimate error, the statement's totals, its shape hash
/// and its findings. Pure: no database, no clock; the same text always gives the same analysis.
/// </summary>
public static class PlanAnalyzer
{
    /// <summary>How many of the slowest nodes <see cref="PlanAnalysis.TopNodes"/> lists.</summary>
    public const int TopNodeCount = 3;

    /// <exception cref="FormatException">The text is not EXPLAIN's JSON output.</exception>
    public static PlanAnalysis Analyze(string explainJson) => Analyze(explainJson, FindingThresholds.Default);

    /// <exception cref="FormatException">The text is not EXPLAIN's JSON output.</exception>
    public static PlanAnalysis Analyze(string explainJson, FindingThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        var parsed = PlanJsonReader.Parse(explainJson);
        var leader = !parsed.Settings.TryGetValue("parallel_leader_participation", out var p) || p != "off";
        var attribution = TimeAttribution.Compute(parsed.Root, leader);

        var rootInclusive = attribution.Inclusive(parsed.Root);
        var execution = parsed.ExecutionTime ?? rootInclusive;
        var denominator = execution > 0 ? execution : rootInclusive;
        var root = Build(parsed.Root, "1", attribution, denominator);

        var shapeText = PlanShape.Text(root);
        var analysis = new PlanAnalysis
        {
            Root = root,
            PlanningTime = parsed.PlanningTime ?? 0,
            ExecutionTime = execution,
            Jit = parsed.Jit,
            Buffers = root.Buffers,
            Work = ExecutorWork.Of(root),
            PlanningBuffers = parsed.PlanningBuffers,
            TopNodes = root.DescendantsAndSelf()
                .Where(n => n.ExclusiveTime > 0)
                .OrderByDescending(n => n.ExclusiveTime)
                .Take(TopNodeCount)
                .Select(n => new HotNode(n, n.ExclusiveTime, n.ExecutionShare))
                .ToList(),
            ShapeText = shapeText,
            ShapeHash = PlanShape.Hash(shapeText),
            Settings = parsed.Settings,
            Triggers = parsed.Triggers,
        };

        return analysis with { Findings = PlanFindings.For(analysis, thresholds) };
    }

    private static PlanNode Build(PlanNode raw, string path, TimeAttribution a, double denominator)
    {
        var children = new List<PlanNode>(raw.Children.Count);
        for (var i = 0; i < raw.Children.Count; i++)
        {
            children.Add(Build(raw.Children[i], path + "." + (i + 1).ToString(CultureInfo.InvariantCulture), a, denominator));
        }

        var exclusive = a.Exclusive(raw);
        return raw with
        {
            Path = path,
            ParallelProcesses = a.Processes(raw),
            InclusiveTime = a.Inclusive(raw),
            ExclusiveTime = exclusive,
            ExecutionShare = denominator > 0 ? Math.Min(1, exclusive / denominator) : 0,
            ExclusiveBuffers = a.ExclusiveBuffers(raw),
            RowEstimate = raw.Executed && raw.ActualRows is { } rows ? RowEstimate.Of(rows, raw.PlanRows) : null,
            Children = children,
        };
    }
}
