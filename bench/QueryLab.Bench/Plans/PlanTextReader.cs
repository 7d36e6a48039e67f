using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace QueryLab.Bench.Plans;

/// <summary>
/// Reads EXPLAIN's text format (as psql prints it, with or without its header and leading space) into the JSON format's
/// structure, so that one analysis serves both: node lines (<c>-&gt;  Index Scan using i on t  (cost=…) (actual time=…)</c>),
/// their properties (Filter, Rows Removed by Filter, Buffers, Sort Method, Buckets…), InitPlan/SubPlan/CTE headers, and the
/// statement's lines (Planning/Execution Time, Triggers, JIT, Settings). A property it does not know is kept as text; a node
/// it does not know keeps its text as its type. What has no node at all is not a plan (<see cref="FormatException"/>).
/// </summary>
public static partial class PlanTextReader
{
    private static readonly string[] StatementLines = ["Planning Time:", "Execution Time:", "Trigger ", "JIT:", "Settings:", "Planning:", "Query Identifier:"];

    /// <summary>The plan as EXPLAIN (FORMAT JSON) would have written it: a one-element array.</summary>
    public static string ToJson(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = Clean(text);
        JsonObject? root = null;
        var top = new JsonObject();
        var frames = new List<Frame>();
        var rootColumn = -1;
        string? block = null; // a statement-level block being read (JIT:, Planning:)
        foreach (var (raw, number) in lines)
        {
            var column = raw.Length - raw.TrimStart().Length;
            var line = raw.Trim();
            if (root is not null && column <= rootColumn && StatementLines.Any(s => line.StartsWith(s, StringComparison.Ordinal)))
            {
                block = Statement(top, line);
                continue;
            }

            if (block is not null && column > rootColumn)
            {
                StatementBlock(top, block, line);
                continue;
            }

            block = null;
            if (root is null)
            {
                // The first node must say it is one (its costs or actual figures): otherwise any first line would be taken for a plan.
                root = (line.Contains("(cost=", StringComparison.Ordinal) || line.Contains("(actual ", StringComparison.Ordinal) || line.Contains("(never executed)", StringComparison.Ordinal) ? Node(line, number) : null) ?? throw new FormatException($"line {number}: '{Cut(line)}' is not a plan node (expected a line such as 'Seq Scan on t  (cost=… rows=… width=…)')");
                rootColumn = column;
                frames.Add(new Frame(column + 2, root, null));
                continue;
            }

            if (line.StartsWith("->", StringComparison.Ordinal))
            {
                var arrow = column;
                Pop(frames, arrow);
                var parent = frames.LastOrDefault(f => f.Column <= arrow) ?? frames[0];
                var node = Node(line[2..].TrimStart(), number) ?? new JsonObject { ["Node Type"] = line[2..].Trim() };
                var textColumn = arrow + (line.Length - line[2..].TrimStart().Length);
                if (parent.Header is { } h)
                {
                    node["Parent Relationship"] = h.Relationship;
                    node["Subplan Name"] = h.Name;
                }
                else
                {
                    node["Parent Relationship"] = parent.Node["Node Type"]?.GetValue<string>() is "Nested Loop" or "Hash Join" or "Merge Join"
                        ? (Children(parent.Node).Count == 0 ? "Outer" : "Inner")
                        : "Outer";
                }

                Children(parent.Node).Add(node);
                frames.Add(new Frame(textColumn + 2, node, null));
                continue;
            }

            var header = SubplanHeader().Match(line);
            if (header.Success)
            {
                Pop(frames, column);
                var owner = frames.Last(f => f.Header is null && f.Column <= column);
                var name = line;
                var relationship = line.StartsWith("SubPlan", StringComparison.Ordinal) ? "SubPlan" : "InitPlan";
                frames.Add(new Frame(column + 2, owner.Node, new Header(name, relationship)));
                continue;
            }

            Pop(frames, column);
            var at = frames.LastOrDefault(f => f.Header is null && f.Column <= column) ?? frames[0];
            Property(at.Node, line);
        }

        if (root is null)
        {
            throw new FormatException("no plan node found: expected EXPLAIN's output (JSON, or text lines such as 'Seq Scan on t  (cost=…)')");
        }

        top["Plan"] = root;
        return new JsonArray(top).ToJsonString();
    }

    private sealed record Header(string Name, string Relationship);

    /// <summary>A node whose children (arrows) and properties sit at <paramref name="Column"/>; with a header, the subplans under it.</summary>
    private sealed record Frame(int Column, JsonObject Node, Header? Header);

    private static void Pop(List<Frame> frames, int column)
    {
        while (frames.Count > 1 && frames[^1].Column > column)
        {
            frames.RemoveAt(frames.Count - 1);
        }
    }

    private static JsonArray Children(JsonObject node)
    {
        if (node["Plans"] is JsonArray a)
        {
            return a;
        }

        var plans = new JsonArray();
        node["Plans"] = plans;
        return plans;
    }

    /// <summary>The lines of the plan: psql's header, rule and row count removed, a JSON cell's '+' continuations too.</summary>
    private static List<(string Line, int Number)> Clean(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Select((l, i) => (Line: l.TrimEnd(), Number: i + 1)).ToList();
        return lines.Where(l => l.Line.Trim().Length > 0 && l.Line.Trim() != "QUERY PLAN" && !Rule().IsMatch(l.Line) && !RowCount().IsMatch(l.Line.Trim())).ToList();
    }

    /// <summary>psql's JSON cell (header, rule, '+' at each line's end, "(1 row)") back to the JSON text; null when the text is not one.</summary>
    public static string? UnwrapPsqlJson(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = Clean(text);
        if (lines.Count == 0 || !lines[0].Line.TrimStart().StartsWith('['))
        {
            return null;
        }

        return string.Join('\n', lines.Select(l => l.Line.EndsWith('+') ? l.Line[..^1] : l.Line));
    }

    private static JsonObject? Node(string line, int number)
    {
        var m = NodeLine().Match(line);
        if (!m.Success)
        {
            return null;
        }

        var node = Describe(m.Groups["text"].Value.Trim());
        if (m.Groups["sc"].Success)
        {
            node["Startup Cost"] = Num(m.Groups["sc"].Value, number);
            node["Total Cost"] = Num(m.Groups["tc"].Value, number);
            node["Plan Rows"] = Num(m.Groups["pr"].Value, number);
            node["Plan Width"] = Num(m.Groups["w"].Value, number);
        }

        if (m.Groups["never"].Success)
        {
            node["Actual Rows"] = 0;
            node["Actual Loops"] = 0;
        }
        else if (m.Groups["ar"].Success)
        {
            if (m.Groups["as"].Success)
            {
                node["Actual Startup Time"] = Num(m.Groups["as"].Value, number);
                node["Actual Total Time"] = Num(m.Groups["at"].Value, number);
            }

            node["Actual Rows"] = Num(m.Groups["ar"].Value, number);
            node["Actual Loops"] = Num(m.Groups["l"].Value, number);
        }

        return node;
    }

    /// <summary>"Parallel Index Scan Backward using i on t x" → its JSON fields.</summary>
    private static JsonObject Describe(string text)
    {
        var node = new JsonObject();
        if (text.StartsWith("Parallel ", StringComparison.Ordinal))
        {
            node["Parallel Aware"] = true;
            text = text["Parallel ".Length..];
        }

        foreach (var mode in new[] { "Partial ", "Finalize " })
        {
            if (text.StartsWith(mode, StringComparison.Ordinal))
            {
                node["Partial Mode"] = mode.Trim();
                text = text[mode.Length..];
            }
        }

        var scan = Scan().Match(text);
        if (scan.Success)
        {
            var type = scan.Groups["type"].Value;
            node["Node Type"] = type;
            if (scan.Groups["backward"].Success)
            {
                node["Scan Direction"] = "Backward";
            }

            if (scan.Groups["index"].Success)
            {
                node["Index Name"] = scan.Groups["index"].Value;
            }

            var target = scan.Groups["target"].Value;
            var alias = scan.Groups["alias"].Success ? scan.Groups["alias"].Value : null;
            switch (type)
            {
                case "CTE Scan" or "WorkTable Scan":
                    node["CTE Name"] = target;
                    node["Alias"] = alias ?? target;
                    break;
                case "Function Scan":
                    node["Function Name"] = target;
                    node["Alias"] = alias ?? target;
                    break;
                case "Subquery Scan" or "Values Scan":
                    node["Alias"] = target;
                    break;
                case "Bitmap Index Scan":
                    node["Index Name"] = target;
                    break;
                default:
                    node["Relation Name"] = target.Contains('.', StringComparison.Ordinal) ? target[(target.LastIndexOf('.') + 1)..] : target;
                    node["Alias"] = alias ?? node["Relation Name"]!.GetValue<string>();
                    break;
            }

            return node;
        }

        var join = Join().Match(text);
        if (join.Success)
        {
            node["Node Type"] = join.Groups["kind"].Value == "Nested Loop" ? "Nested Loop" : join.Groups["kind"].Value + " Join";
            node["Join Type"] = join.Groups["type"].Success ? join.Groups["type"].Value : "Inner";
            return node;
        }

        var modify = Modify().Match(text);
        if (modify.Success)
        {
            node["Node Type"] = "ModifyTable";
            node["Operation"] = modify.Groups["op"].Value;
            node["Relation Name"] = modify.Groups["rel"].Value;
            node["Alias"] = modify.Groups["alias"].Success ? modify.Groups["alias"].Value : modify.Groups["rel"].Value;
            return node;
        }

        (node["Node Type"], var strategy) = text switch
        {
            "HashAggregate" => ("Aggregate", "Hashed"),
            "GroupAggregate" => ("Aggregate", "Sorted"),
            "MixedAggregate" => ("Aggregate", "Mixed"),
            "Aggregate" => ("Aggregate", "Plain"),
            "HashSetOp" => ("SetOp", "Hashed"),
            _ => (text, null),
        };
        if (strategy is not null)
        {
            node["Strategy"] = strategy;
        }

        return node;
    }


    private static double Num(string s, int line) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw new FormatException($"line {line}: '{s}' is not a number");

    private static string Cut(string s) => s.Length <= 80 ? s : s[..77] + "…";

    [GeneratedRegex(@"^(?<text>.+?)(?:\s+\(cost=(?<sc>[\d.]+)\.\.(?<tc>[\d.]+) rows=(?<pr>\d+) width=(?<w>\d+)\))?(?:\s+\((?:(?<never>never executed)|actual (?:time=(?<as>[\d.]+)\.\.(?<at>[\d.]+) )?rows=(?<ar>[\d.]+) loops=(?<l>\d+))\))?$")]
    private static partial Regex NodeLine();

    [GeneratedRegex(@"^(?<type>Seq Scan|Sample Scan|Bitmap Heap Scan|Bitmap Index Scan|Tid Scan|Tid Range Scan|Foreign Scan|Custom Scan|Index Only Scan|Index Scan|CTE Scan|Subquery Scan|Function Scan|Table Function Scan|Values Scan|WorkTable Scan|Named Tuplestore Scan)(?<backward> Backward)?(?: using (?<index>\S+))? on (?<target>\S+)(?: (?<alias>\S+))?$")]
    private static partial Regex Scan();

    [GeneratedRegex(@"^(?:(?<kind>Nested Loop)(?: (?<type>Left|Right|Full|Semi|Anti|Right Anti|Right Semi) Join)?|(?<kind>Hash|Merge)(?: (?<type>Left|Right|Full|Semi|Anti|Right Anti|Right Semi))? Join)$")]
    private static partial Regex Join();

    [GeneratedRegex(@"^(?<op>Insert|Update|Delete|Merge) on (?<rel>\S+)(?: (?<alias>\S+))?$")]
    private static partial Regex Modify();

    [GeneratedRegex(@"^(InitPlan \d+|SubPlan \d+|CTE \S+)")]
    private static partial Regex SubplanHeader();

    [GeneratedRegex(@"(?<k>[a-z]+)=(?<v>[\d.]+)")]
    private static partial Regex KeyValue();

    [GeneratedRegex(@"^(?<method>.+?)\s+(?<type>Memory|Disk): (?<kb>\d+)kB")]
    private static partial Regex SortMethod();

    [GeneratedRegex(@"(?<k>Buckets|Batches|Memory Usage|Disk Usage): (?<v>\d+)(?:kB)?(?: \(originally (?<o>\d+)\))?")]
    private static partial Regex HashPart();

    [GeneratedRegex(@"^Trigger (?<name>.+?): time=(?<time>[\d.]+) calls=(?<calls>\d+)")]
    private static partial Regex TriggerLine();

    [GeneratedRegex(@"(?<k>[a-z_.]+) = '(?<v>(?:[^']|'')*)'")]
    private static partial Regex Setting();

    [GeneratedRegex(@"(?<k>Generation|Inlining|Optimization|Emission|Total) (?<v>[\d.]+) ms")]
    private static partial Regex JitPhase();

    [GeneratedRegex(@"^-+(\+-+)*$")]
    private static partial Regex Rule();

    [GeneratedRegex(@"^\(\d+ rows?\)$")]
    private static partial Regex RowCount();
}
