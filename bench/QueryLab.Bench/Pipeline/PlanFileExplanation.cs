using QueryLab.Bench.Advice;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Plans;
using QueryLab.Seed;

namespace QueryLab.Bench.Pipeline;

/// <summary>
/// <c>querylab explain --plan FILE</c>: a plan from anywhere (a production <c>EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)</c>,
/// pasted or saved; psql's output of it; or the text format) read, analysed and printed — its tree with each node's own
/// time, its findings and their fixes, and the indexes its findings suggest — with no server.
/// </summary>
public static class PlanFileExplanation
{
    public static int Print(string file, LabContext ctx)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(ctx);
        var (analysis, format) = Read(Path.GetFullPath(file, ctx.WorkingDirectory), file);
        var o = ctx.Out;
        o.WriteLine($"plan: {file} (EXPLAIN {format}; {analysis.Nodes.Count()} node(s), {analysis.Findings.Count} finding(s))");
        o.WriteLine();
        o.WriteLine(PlanText.Render(analysis, 120).TrimEnd());
        var candidates = CandidateFinder.For(analysis, sql: null);
        if (candidates.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("Index candidates from the findings (prove one on a lab with `querylab advise`, which builds, measures and rolls it back):");
            foreach (var c in candidates)
            {
                o.WriteLine($"  {c.Candidate.CreateSql(concurrently: true, schema: null)};  -- {c.Code} at node {c.NodePath}");
            }
        }

        var others = NotAnIndex.For(analysis);
        if (others.Count > 0)
        {
            o.WriteLine();
            o.WriteLine("Findings an index would not fix:");
            foreach (var r in others)
            {
                o.WriteLine($"  {r.Code} at node {r.NodePath}: {r.Remedy}");
            }
        }

        return 0;
    }

    /// <summary>The analysis of a plan file and the format it was in; exit 2 naming what could not be read.</summary>
    public static (PlanAnalysis Analysis, string Format) Read(string path, string shown)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw LabException.BadInput($"--plan {shown}: cannot read it ({ex.Message}); give a file holding EXPLAIN's output");
        }

        var trimmed = text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (trimmed.Length == 0)
        {
            throw LabException.BadInput($"--plan {shown} is empty; save the output of EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) into it");
        }

        var (json, format) = trimmed[0] is '[' or '{' ? (trimmed, "JSON")
            : PlanTextReader.UnwrapPsqlJson(trimmed) is { } unwrapped ? (unwrapped, "JSON, as psql prints it")
            : (null, "text");
        try
        {
            return (PlanAnalyzer.Analyze(json ?? PlanTextReader.ToJson(trimmed)), format);
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or KeyNotFoundException or ArgumentException)
        {
            throw LabException.BadInput($"--plan {shown} is not a plan QueryLab can read ({format}): {ex.Message}; give the output of EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON), or of EXPLAIN (ANALYZE, BUFFERS) in text", ex);
        }
    }
}
