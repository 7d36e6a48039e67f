namespace QueryLab.Bench.Findings;

/// <summary>What a finding is read from: one statement's plan, an operation's round trips, a load run, or the statement limit that stopped a variant.</summary>
public enum FindingSource
{
    Plan,
    RoundTrips,
    Load,
    StatementLimit,
    Scaling,
}

/// <summary>
/// One kind of finding: its stable code (tests, baselines and scripts compare it), what it is read from, the
/// severities it can be raised with, and the fix it names when the rule has nothing more specific to say.
/// FINDINGS.md has each one's thresholds (<see cref="FindingThresholds"/>) and sources.
/// </summary>
public sealed record FindingKind(string Code, FindingSource Source, IReadOnlyList<Severity> Severities, string Fix);

/// <summary>
/// Every finding QueryLab raises, in one list: the plan findings (Plans/), the round-trip ones (Profiling/) and the
/// load ones (Load/). The rules that raise them take their code, severity and thresholds from here; a code that is
/// not listed cannot be raised, and FINDINGS.md lists every one (a test checks both).
/// </summary>
public static class FindingCodes
{
    public const string RowEstimate = "row-estimate";
    public const string SeqScanLargeTable = "seq-scan-large-table";
    public const string RowsRemovedByFilter = "rows-removed-by-filter";
    public const string HeapFetches = "heap-fetches";
    public const string SortSpill = "sort-spill";
    public const string HashSpill = "hash-spill";
    public const string LossyBitmap = "lossy-bitmap";
    public const string WorkersNotLaunched = "workers-not-launched";
    public const string JitShare = "jit-share";
    public const string PlanningShare = "planning-share";
    public const string CacheMisses = "cache-misses";
    public const string HotNode = "hot-node";
    public const string GenericPlanDiffers = "generic-plan-differs";
    public const string NPlusOne = "n-plus-one";
    public const string RepeatedStatement = "repeated-statement";
    public const string DidNotFinish = "did-not-finish";
    public const string GrowsFasterThanResult = "grows-faster-than-result";
    public const string PoolExhausted = "pool-exhausted";
    public const string ServerConnectionLimit = "server-connection-limit";
    public const string Timeouts = "timeouts";
    public const string Errors = "errors";
    public const string LeakedConnections = "leaked-connections";
    public const string PoolAboveServerLimit = "pool-above-server-limit";
    public const string PoolLimitsThroughput = "pool-limits-throughput";

    private static readonly Severity[] Info = [Severity.Info];
    private static readonly Severity[] Warning = [Severity.Warning];
    private static readonly Severity[] Critical = [Severity.Critical];
    private static readonly Severity[] InfoWarning = [Severity.Info, Severity.Warning];
    private static readonly Severity[] WarningCritical = [Severity.Warning, Severity.Critical];
    private static readonly Severity[] Any = [Severity.Info, Severity.Warning, Severity.Critical];

    /// <summary>Every kind, in the order findings of equal severity and place are listed.</summary>
    public static IReadOnlyList<FindingKind> Kinds { get; } =
    [
        new(RowEstimate, FindingSource.Plan, Any, "ANALYZE the table; CREATE STATISTICS (dependencies, mcv) on correlated columns; raise the statistics target for skewed values"),
        new(SeqScanLargeTable, FindingSource.Plan, WarningCritical, "Add an index for the filter's columns (a partial index if it tests a constant) so only matching rows are read"),
        new(RowsRemovedByFilter, FindingSource.Plan, Any, "Filter earlier: push the condition into the part of the query that produces these rows"),
        new(HeapFetches, FindingSource.Plan, InfoWarning, "VACUUM the table (and tune autovacuum for it) so the visibility map lets the index answer alone"),
        new(SortSpill, FindingSource.Plan, Warning, "Raise work_mem for this query, or sort fewer rows (filter first, or an index that returns them in order)"),
        new(HashSpill, FindingSource.Plan, Warning, "Raise work_mem (or hash_mem_multiplier) for this query so the hash table fits in one batch, or hash fewer or narrower rows"),
        new(LossyBitmap, FindingSource.Plan, Warning, "Raise work_mem for this query so the bitmap keeps one bit per row instead of one per page"),
        new(WorkersNotLaunched, FindingSource.Plan, InfoWarning, "Raise max_parallel_workers (and max_worker_processes), or run fewer parallel queries at once: the plan was costed for workers it did not get"),
        new(JitShare, FindingSource.Plan, Warning, "Raise jit_above_cost (and jit_inline_above_cost, jit_optimize_above_cost) or SET jit = off for short queries: compiling costs more than it saves here"),
        new(PlanningShare, FindingSource.Plan, InfoWarning, "Prepare the statement so its plan is reused: Npgsql auto-prepare (Max Auto Prepare) or NpgsqlCommand.Prepare(), an EF Core compiled query"),
        new(CacheMisses, FindingSource.Plan, Info, "Expected on a cold cache: warm it (run the query once, or pg_prewarm) before timing; if it persists, the working set does not fit in shared_buffers"),
        new(HotNode, FindingSource.Plan, Info, "Start here: this node is where the time goes; see its other findings"),
        new(GenericPlanDiffers, FindingSource.Plan, Warning, "compare the plan with these values and the generic plan; if the generic one is worse, keep this statement unprepared or set plan_cache_mode = force_custom_plan for it"),
        new(NPlusOne, FindingSource.RoundTrips, Critical, "load the related rows in the same query (a join, LATERAL, Include) or in one set-based statement with = ANY(@ids)"),
        new(RepeatedStatement, FindingSource.RoundTrips, Warning, "check whether the repeats can be one statement"),
        new(DidNotFinish, FindingSource.StatementLimit, Critical, "read the estimated plan for what grows with the whole table (a scan, a sort or a window over every row) and make the statement's cost follow the rows it returns: a LATERAL join with LIMIT, keyset paging, an index; or raise --statement-limit to time it anyway"),
        new(GrowsFasterThanResult, FindingSource.Scaling, Warning, "make the cost follow the answer, not the table: keyset paging instead of OFFSET, one set-based statement instead of a loop, a maintained summary instead of a live aggregate, an index that reaches the answer's rows"),
        new(PoolExhausted, FindingSource.Load, Warning, "raise Maximum Pool Size (--pool-size) or lower --clients; a pool smaller than the clients makes them queue, and a queue longer than Timeout fails"),
        new(ServerConnectionLimit, FindingSource.Load, Warning, "the server cannot hold the connections asked for: lower --pool-size or --clients, put a pooler (PgBouncer) in front, or raise max_connections or the CONNECTION LIMIT"),
        new(Timeouts, FindingSource.Load, Warning, "at this concurrency the server (or a lock) is the bottleneck: lower --clients, or look at the statement with `querylab explain`; raise Command Timeout only if the wait is acceptable"),
        new(Errors, FindingSource.Load, Warning, "40P01/40001 are concurrent writes colliding (an application retries them); anything else: run `querylab verify` and `querylab explain` on the variant"),
        new(LeakedConnections, FindingSource.Load, Critical, "a variant opens a connection it never closes (or a pool outlives its data source): dispose every connection, command and data source it creates"),
        new(PoolAboveServerLimit, FindingSource.Load, Info, "expect server-connection-limit failures: lower --pool-size to what the server allows, or raise max_connections or the CONNECTION LIMIT"),
        new(PoolLimitsThroughput, FindingSource.Load, Warning, "size the pool by Little's law (connections = target throughput × time a request holds one), or hold each connection for fewer round trips (one statement instead of N, a batch), or move the pool nearer the server"),
    ];

    /// <summary>The codes of <see cref="Kinds"/>, in order.</summary>
    public static IReadOnlyList<string> All { get; } = Kinds.Select(k => k.Code).ToList();

    /// <summary>The kind of a code.</summary>
    /// <exception cref="ArgumentException">The code is not one QueryLab raises.</exception>
    public static FindingKind Of(string code) =>
        Kinds.FirstOrDefault(k => k.Code == code) ?? throw new ArgumentException($"'{code}' is not a finding code; they are: {string.Join(", ", All)}", nameof(code));

    /// <summary>Where <paramref name="code"/> stands in <see cref="Kinds"/> (the order of findings of equal severity).</summary>
    public static int Rank(string code)
    {
        for (var i = 0; i < Kinds.Count; i++)
        {
            if (Kinds[i].Code == code)
            {
                return i;
            }
        }

        return int.MaxValue;
    }
}
