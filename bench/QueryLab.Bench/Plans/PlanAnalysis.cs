namespace QueryLab.Bench.Plans;

/// <summary>A node among the slowest of its plan, by exclusive time.</summary>
public sealed record HotNode(PlanNode Node, double ExclusiveTime, double Share);

/// <summary>
/// One statement's executed plan, read and judged: the node tree with computed times, the statement's
/// totals, its shape (for comparing plans across runs) and its findings, most severe first.
/// </summary>
public sealed record PlanAnalysis
{
    public required PlanNode Root { get; init; }

    /// <summary>Whether the plan was executed (EXPLAIN ANALYZE: actual times and rows); false for the planner's estimate alone.</summary>
    public bool Analyzed => Root.ActualTotalTime is not null || Root.ActualRows is not null;

    /// <summary>ms; 0 when the plan does not report it.</summary>
    public double PlanningTime { get; init; }

    /// <summary>ms, as PostgreSQL reports it: the executor from start to end, triggers included.</summary>
    public double ExecutionTime { get; init; }

    public JitSummary? Jit { get; init; }

    /// <summary>The statement's blocks while executing: the root node's counts, which include every node's.</summary>
    public PlanBuffers Buffers { get; init; } = PlanBuffers.None;

    /// <summary>The executor's work: rows processed over all nodes, temp blocks, WAL (see <see cref="ExecutorWork"/>).</summary>
    public required ExecutorWork Work { get; init; }

    /// <summary>Blocks the planner touched (catalog and statistics lookups), PostgreSQL 13+.</summary>
    public PlanBuffers PlanningBuffers { get; init; } = PlanBuffers.None;

    /// <summary>Shared hit / (hit + read) while executing; null when no shared block was touched.</summary>
    public double? CacheHitRate => Buffers.HitRate;

    /// <summary>The slowest nodes by exclusive time (up to three, slowest first).</summary>
    public IReadOnlyList<HotNode> TopNodes { get; init; } = [];

    /// <summary>First 16 hex digits of SHA-256 over <see cref="ShapeText"/>: equal for the same plan whatever the numbers.</summary>
    public required string ShapeHash { get; init; }

    /// <summary>One line per node, indented two spaces per level: node type, join, index, relation, subplan — no numbers.</summary>
    public required string ShapeText { get; init; }

    public IReadOnlyList<PlanFinding> Findings { get; init; } = [];

    /// <summary>Planner settings that differ from the built-in defaults (EXPLAIN's SETTINGS option).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<TriggerTime> Triggers { get; init; } = [];

    /// <summary>Every node, parent before children.</summary>
    public IEnumerable<PlanNode> Nodes => Root.DescendantsAndSelf();

    /// <summary>The node at a dotted path ("1.2"), or null.</summary>
    public PlanNode? Node(string path) => Nodes.FirstOrDefault(n => n.Path == path);
}
