using System.Globalization;
using System.Text.Json;

namespace QueryLab.Bench.Plans;

/// <summary>What the statement-level part of EXPLAIN's JSON says, with the node tree as reported.</summary>
internal sealed record ParsedPlan(
    PlanNode Root,
    double? PlanningTime,
    double? ExecutionTime,
    PlanBuffers PlanningBuffers,
    JitSummary? Jit,
    IReadOnlyDictionary<string, string> Settings,
    IReadOnlyList<TriggerTime> Triggers);

/// <summary>
/// Reads the text of <c>EXPLAIN (ANALYZE, BUFFERS, WAL, SETTINGS, FORMAT JSON)</c>: a JSON array holding one
/// object (a bare object is accepted too). Fields a server version does not write are left null; fields
/// this reader does not know are ignored, except expressions, which are kept in <see cref="PlanNode.Conditions"/>.
/// </summary>
internal static class PlanJsonReader
{
    /// <summary>Expressions a node may carry; kept for display and to find which node uses an InitPlan's value.</summary>
    private static readonly string[] ConditionNames =
    [
        "Index Cond", "Recheck Cond", "Filter", "Join Filter", "Hash Cond", "Merge Cond", "One-Time Filter",
        "TID Cond", "Sort Key", "Presorted Key", "Group Key", "Hash Key", "Cache Key", "Output", "Function Call",
        "Table Function Call", "Run Condition", "Order By",
    ];

    public static ParsedPlan Parse(string explainJson)
    {
        ArgumentNullException.ThrowIfNull(explainJson);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(explainJson, new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new FormatException("the plan is not JSON; expected the output of EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON): " + ex.Message, ex);
        }

        using (doc)
        {
            var top = doc.RootElement;
            if (top.ValueKind == JsonValueKind.Array)
            {
                if (top.GetArrayLength() != 1)
                {
                    throw new FormatException($"expected EXPLAIN's JSON array with one plan, found {top.GetArrayLength().ToString(CultureInfo.InvariantCulture)} elements");
                }

                top = top[0];
            }

            if (top.ValueKind != JsonValueKind.Object || !top.TryGetProperty("Plan", out var plan) || plan.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("no \"Plan\" object: expected the output of EXPLAIN (FORMAT JSON)");
            }

            return new ParsedPlan(
                ReadNode(plan),
                Num(top, "Planning Time"),
                Num(top, "Execution Time"),
                top.TryGetProperty("Planning", out var planning) ? Buffers(planning) : PlanBuffers.None,
                Jit(top),
                Settings(top),
                Triggers(top));
        }
    }

    private static PlanNode ReadNode(JsonElement e)
    {
        var children = new List<PlanNode>();
        if (e.TryGetProperty("Plans", out var plans) && plans.ValueKind == JsonValueKind.Array)
        {
            foreach (var c in plans.EnumerateArray())
            {
                children.Add(ReadNode(c));
            }
        }

        return new PlanNode
        {
            NodeType = Str(e, "Node Type") ?? throw new FormatException("a plan node has no \"Node Type\""),
            ParentRelationship = Str(e, "Parent Relationship"),
            SubplanName = Str(e, "Subplan Name"),
            RelationName = Str(e, "Relation Name"),
            Alias = Str(e, "Alias"),
            IndexName = Str(e, "Index Name"),
            CteName = Str(e, "CTE Name"),
            FunctionName = Str(e, "Function Name"),
            JoinType = Str(e, "Join Type"),
            Strategy = Str(e, "Strategy"),
            PartialMode = Str(e, "Partial Mode"),
            Operation = Str(e, "Operation"),
            ScanDirection = Str(e, "Scan Direction"),
            ParallelAware = Bool(e, "Parallel Aware"),
            SingleCopy = Bool(e, "Single Copy"),
            StartupCost = Num(e, "Startup Cost") ?? 0,
            TotalCost = Num(e, "Total Cost") ?? 0,
            PlanRows = Num(e, "Plan Rows") ?? 0,
            PlanWidth = (int)(Num(e, "Plan Width") ?? 0),
            ActualStartupTime = Num(e, "Actual Startup Time"),
            ActualTotalTime = Num(e, "Actual Total Time"),
            ActualRows = Num(e, "Actual Rows"),
            ActualLoops = Long(e, "Actual Loops"),
            WorkersPlanned = (int?)Long(e, "Workers Planned"),
            WorkersLaunched = (int?)Long(e, "Workers Launched"),
            RowsRemovedByFilter = Num(e, "Rows Removed by Filter"),
            RowsRemovedByJoinFilter = Num(e, "Rows Removed by Join Filter"),
            RowsRemovedByIndexRecheck = Num(e, "Rows Removed by Index Recheck"),
            HeapFetches = Num(e, "Heap Fetches"),
            Sort = Sort(e, null) ?? IncrementalSort(e),
            WorkerSorts = WorkerSorts(e),
            Hash = Hash(e),
            ExactHeapBlocks = Long(e, "Exact Heap Blocks"),
            LossyHeapBlocks = Long(e, "Lossy Heap Blocks"),
            Buffers = Buffers(e),
            Wal = Wal(e),
            Conditions = Conditions(e),
            Children = children,
        };
    }

    private static SortInfo? Sort(JsonElement e, int? worker) =>
        e.TryGetProperty("Sort Method", out _) || e.TryGetProperty("Sort Space Type", out _)
            ? new SortInfo(Str(e, "Sort Method"), Long(e, "Sort Space Used") ?? 0, Str(e, "Sort Space Type"), worker)
            : null;

    /// <summary>Incremental Sort reports per group kind; a group kind with "Sort Space Disk" spilled.</summary>
    private static SortInfo? IncrementalSort(JsonElement e)
    {
        foreach (var groups in new[] { "Full-sort Groups", "Pre-sorted Groups" })
        {
            if (e.TryGetProperty(groups, out var g) && g.ValueKind == JsonValueKind.Object)
            {
                var method = g.TryGetProperty("Sort Methods Used", out var m) && m.ValueKind == JsonValueKind.Array
                    ? string.Join(", ", m.EnumerateArray().Select(x => x.GetString()))
                    : null;
                if (g.TryGetProperty("Sort Space Disk", out var disk) && disk.ValueKind == JsonValueKind.Object)
                {
                    return new SortInfo(method, Long(disk, "Peak Sort Space Used") ?? 0, "Disk");
                }

                if (g.TryGetProperty("Sort Space Memory", out var mem) && mem.ValueKind == JsonValueKind.Object)
                {
                    return new SortInfo(method, Long(mem, "Peak Sort Space Used") ?? 0, "Memory");
                }
            }
        }

        return null;
    }

    private static IReadOnlyList<SortInfo> WorkerSorts(JsonElement e)
    {
        if (!e.TryGetProperty("Workers", out var workers) || workers.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var list = new List<SortInfo>();
        foreach (var w in workers.EnumerateArray())
        {
            if (Sort(w, (int?)Long(w, "Worker Number")) is { } s)
            {
                list.Add(s);
            }
        }

        return list;
    }

    private static HashInfo? Hash(JsonElement e)
    {
        if (Long(e, "Hash Batches") is { } batches)
        {
            return new HashInfo(Long(e, "Hash Buckets"), Long(e, "Original Hash Buckets"), batches, Long(e, "Original Hash Batches"), Long(e, "Peak Memory Usage"), null);
        }

        if (Long(e, "HashAgg Batches") is { } aggBatches)
        {
            return new HashInfo(null, null, aggBatches, null, Long(e, "Peak Memory Usage"), Long(e, "Disk Usage"));
        }

        return null;
    }

    private static PlanBuffers Buffers(JsonElement e) => new(
        Long(e, "Shared Hit Blocks") ?? 0, Long(e, "Shared Read Blocks") ?? 0, Long(e, "Shared Dirtied Blocks") ?? 0, Long(e, "Shared Written Blocks") ?? 0,
        Long(e, "Local Hit Blocks") ?? 0, Long(e, "Local Read Blocks") ?? 0, Long(e, "Local Dirtied Blocks") ?? 0, Long(e, "Local Written Blocks") ?? 0,
        Long(e, "Temp Read Blocks") ?? 0, Long(e, "Temp Written Blocks") ?? 0);

    /// <summary>In JSON, EXPLAIN (WAL) writes the three fields on every node, zeros included; without the option, none.</summary>
    private static PlanWal? Wal(JsonElement e) =>
        Long(e, "WAL Bytes") is { } bytes ? new PlanWal(Long(e, "WAL Records") ?? 0, Long(e, "WAL FPI") ?? 0, bytes) : null;

    private static IReadOnlyList<KeyValuePair<string, string>> Conditions(JsonElement e)
    {
        var list = new List<KeyValuePair<string, string>>();
        foreach (var name in ConditionNames)
        {
            if (!e.TryGetProperty(name, out var v))
            {
                continue;
            }

            var text = v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Array => string.Join(", ", v.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : x.GetRawText())),
                _ => v.GetRawText(),
            };
            if (!string.IsNullOrEmpty(text))
            {
                list.Add(new(name, text));
            }
        }

        return list;
    }

    /// <summary>PostgreSQL 15 writes "Generation": 1.2; 17 writes "Generation": {"Deform": …, "Total": …}.</summary>
    private static JitSummary? Jit(JsonElement top)
    {
        if (!top.TryGetProperty("JIT", out var jit) || jit.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var timing = jit.TryGetProperty("Timing", out var t) && t.ValueKind == JsonValueKind.Object ? t : default;
        double? Phase(string name) =>
            timing.ValueKind != JsonValueKind.Object || !timing.TryGetProperty(name, out var p) ? null
            : p.ValueKind == JsonValueKind.Object ? Num(p, "Total")
            : p.ValueKind == JsonValueKind.Number ? p.GetDouble() : null;

        return new JitSummary((int)(Long(jit, "Functions") ?? 0), Phase("Total") ?? 0, Phase("Generation"), Phase("Inlining"), Phase("Optimization"), Phase("Emission"));
    }

    private static IReadOnlyDictionary<string, string> Settings(JsonElement top)
    {
        var d = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (top.TryGetProperty("Settings", out var s) && s.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in s.EnumerateObject())
            {
                d[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() ?? "" : p.Value.GetRawText();
            }
        }

        return d;
    }

    private static IReadOnlyList<TriggerTime> Triggers(JsonElement top)
    {
        if (!top.TryGetProperty("Triggers", out var ts) || ts.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        return ts.EnumerateArray()
            .Select(t => new TriggerTime(Str(t, "Trigger Name") ?? Str(t, "Constraint Name") ?? "?", Str(t, "Relation"), Num(t, "Time") ?? 0, Long(t, "Calls") ?? 0))
            .ToList();
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool Bool(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static double? Num(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static long? Long(JsonElement e, string name) =>
        Num(e, name) is { } d ? (long)Math.Round(d) : null;
}
