using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace QueryLab.Bench.Plans;

/// <summary>
/// The properties of a node (Filter, Buffers, Sort Method, Buckets…) and the statement's own lines (Planning/Execution
/// Time, Triggers, JIT, Settings) of EXPLAIN's text format, read into the JSON format's fields.
/// </summary>
public static partial class PlanTextReader
{
    private static void Property(JsonObject node, string line)
    {
        var colon = line.IndexOf(": ", StringComparison.Ordinal);
        if (colon <= 0)
        {
            return; // "Worker 0:  actual time=…" and the like: per-worker detail the totals already hold
        }

        var key = line[..colon];
        var value = line[(colon + 2)..].Trim();
        switch (key)
        {
            case "Buffers":
                Buffers(node, value);
                return;
            case "WAL":
                foreach (Match kv in KeyValue().Matches(value))
                {
                    var name = kv.Groups["k"].Value switch { "records" => "WAL Records", "fpi" => "WAL FPI", "bytes" => "WAL Bytes", _ => null };
                    if (name is not null)
                    {
                        node[name] = Num(kv.Groups["v"].Value, 0);
                    }
                }

                return;
            case "Sort Method":
                var sort = SortMethod().Match(value);
                node["Sort Method"] = sort.Success ? sort.Groups["method"].Value : value;
                if (sort.Success)
                {
                    node["Sort Space Type"] = sort.Groups["type"].Value;
                    node["Sort Space Used"] = Num(sort.Groups["kb"].Value, 0);
                }

                return;
            case "Heap Blocks":
                foreach (Match kv in KeyValue().Matches(value))
                {
                    node[kv.Groups["k"].Value == "lossy" ? "Lossy Heap Blocks" : "Exact Heap Blocks"] = Num(kv.Groups["v"].Value, 0);
                }

                return;
            case "Buckets" or "Batches":
                Hash(node, line);
                return;
            case "Rows Removed by Filter" or "Rows Removed by Join Filter" or "Rows Removed by Index Recheck" or "Heap Fetches" or "Workers Planned" or "Workers Launched":
                if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
                {
                    node[key] = n;
                }

                return;
            default:
                node[key] = value;
                return;
        }
    }

    private static void Buffers(JsonObject node, string value)
    {
        foreach (var part in value.Split(", "))
        {
            var words = part.Split(' ', 2);
            if (words.Length < 2)
            {
                continue;
            }

            var scope = words[0] switch { "shared" => "Shared", "local" => "Local", "temp" => "Temp", _ => null };
            foreach (Match kv in KeyValue().Matches(words[1]))
            {
                var what = kv.Groups["k"].Value switch { "hit" => "Hit", "read" => "Read", "dirtied" => "Dirtied", "written" => "Written", _ => null };
                if (scope is not null && what is not null)
                {
                    node[$"{scope} {what} Blocks"] = Num(kv.Groups["v"].Value, 0);
                }
            }
        }
    }

    /// <summary>"Buckets: 4096 (originally 1024)  Batches: 4 (originally 1)  Memory Usage: 9kB", or HashAggregate's "Batches: 5  Memory Usage: 4145kB  Disk Usage: 1234kB".</summary>
    private static void Hash(JsonObject node, string line)
    {
        var aggregate = !line.StartsWith("Buckets", StringComparison.Ordinal);
        foreach (Match m in HashPart().Matches(line))
        {
            var v = Num(m.Groups["v"].Value, 0);
            switch (m.Groups["k"].Value)
            {
                case "Buckets":
                    node["Hash Buckets"] = v;
                    node["Original Hash Buckets"] = m.Groups["o"].Success ? Num(m.Groups["o"].Value, 0) : v;
                    break;
                case "Batches" when aggregate:
                    node["HashAgg Batches"] = v;
                    break;
                case "Batches":
                    node["Hash Batches"] = v;
                    node["Original Hash Batches"] = m.Groups["o"].Success ? Num(m.Groups["o"].Value, 0) : v;
                    break;
                case "Memory Usage":
                    node["Peak Memory Usage"] = v;
                    break;
                case "Disk Usage":
                    node["Disk Usage"] = v;
                    break;
            }
        }
    }

    /// <summary>A statement-level line; returns the block it opens (JIT:, Planning:) or null.</summary>
    private static string? Statement(JsonObject top, string line)
    {
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        var value = line[(colon + 1)..].Trim();
        if (line.StartsWith("Planning Time:", StringComparison.Ordinal) || line.StartsWith("Execution Time:", StringComparison.Ordinal))
        {
            top[line[..colon]] = Num(value.Replace(" ms", "", StringComparison.Ordinal), 0);
            return null;
        }

        if (line.StartsWith("Trigger ", StringComparison.Ordinal))
        {
            var t = TriggerLine().Match(line);
            if (t.Success)
            {
                var triggers = top["Triggers"] as JsonArray ?? [];
                top["Triggers"] = triggers;
                triggers.Add(new JsonObject
                {
                    ["Trigger Name"] = t.Groups["name"].Value,
                    ["Time"] = Num(t.Groups["time"].Value, 0),
                    ["Calls"] = Num(t.Groups["calls"].Value, 0),
                });
            }

            return null;
        }

        if (line.StartsWith("Settings:", StringComparison.Ordinal))
        {
            var settings = new JsonObject();
            foreach (Match s in Setting().Matches(value))
            {
                settings[s.Groups["k"].Value] = s.Groups["v"].Value;
            }

            top["Settings"] = settings;
            return null;
        }

        return line.StartsWith("JIT:", StringComparison.Ordinal) ? "JIT" : line.StartsWith("Planning:", StringComparison.Ordinal) ? "Planning" : null;
    }

    private static void StatementBlock(JsonObject top, string block, string line)
    {
        if (block == "Planning" && line.StartsWith("Buffers:", StringComparison.Ordinal))
        {
            var planning = new JsonObject();
            Buffers(planning, line["Buffers:".Length..].Trim());
            top["Planning"] = planning;
            return;
        }

        if (block != "JIT")
        {
            return;
        }

        var jit = top["JIT"] as JsonObject ?? [];
        top["JIT"] = jit;
        if (line.StartsWith("Functions:", StringComparison.Ordinal))
        {
            jit["Functions"] = Num(line["Functions:".Length..].Trim(), 0);
        }
        else if (line.StartsWith("Timing:", StringComparison.Ordinal))
        {
            var timing = new JsonObject();
            foreach (Match t in JitPhase().Matches(line))
            {
                timing[t.Groups["k"].Value] = Num(t.Groups["v"].Value, 0);
            }

            jit["Timing"] = timing;
        }
    }
}
