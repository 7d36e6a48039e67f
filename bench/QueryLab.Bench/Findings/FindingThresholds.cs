namespace QueryLab.Bench.Findings;

/// <summary>
/// Where each finding starts. The defaults are the ones FINDINGS.md justifies; a caller can tighten or
/// loosen one with <c>with</c> (e.g. <c>FindingThresholds.Default with { SeqScanMinRows = 1_000 }</c>).
/// The round-trip findings (repeated-statement, n-plus-one) start here too.
/// Shares are fractions (0.1 = 10 %), times are ms, rows are totals over all loops unless named per loop.
/// </summary>
public sealed record FindingThresholds
{
    public static FindingThresholds Default { get; } = new();

    /// <summary>row-estimate: Info from this factor (actual vs planned rows per loop, either way).</summary>
    public double EstimateInfoFactor { get; init; } = 10;

    public double EstimateWarningFactor { get; init; } = 100;

    public double EstimateCriticalFactor { get; init; } = 1000;

    /// <summary>row-estimate: ignored when both actual and planned rows per loop are below this.</summary>
    public double EstimateMinRows { get; init; } = 10;

    /// <summary>seq-scan-large-table: rows read (returned + removed by the filter) from this many.</summary>
    public double SeqScanMinRows { get; init; } = 10_000;

    /// <summary>seq-scan-large-table: only when the scan keeps less than this share of what it read.</summary>
    public double SeqScanMaxKeptShare { get; init; } = 0.10;

    /// <summary>rows-removed-by-filter: only on nodes that read at least this many rows.</summary>
    public double FilterMinRowsRead { get; init; } = 1_000;

    /// <summary>rows-removed-by-filter: Info above this share removed.</summary>
    public double FilterInfoShare { get; init; } = 0.50;

    /// <summary>rows-removed-by-filter: Warning above this share removed.</summary>
    public double FilterWarningShare { get; init; } = 0.90;

    /// <summary>heap-fetches: Warning (not Info) when this share of the returned rows needed a heap fetch.</summary>
    public double HeapFetchWarningShare { get; init; } = 0.10;

    /// <summary>jit-share: JIT time above this share of execution time…</summary>
    public double JitMinShare { get; init; } = 0.10;

    /// <summary>jit-share: …and above this many ms.</summary>
    public double JitMinMs { get; init; } = 10;

    /// <summary>planning-share: Warning (not Info) when planning also took at least this many ms.</summary>
    public double PlanningWarningMs { get; init; } = 1;

    /// <summary>cache-misses: hit rate below this…</summary>
    public double CacheMinHitRate { get; init; } = 0.90;

    /// <summary>cache-misses: …with at least this many shared blocks read (100 blocks = 800 KiB).</summary>
    public long CacheMinReadBlocks { get; init; } = 100;

    /// <summary>hot-node: a node whose exclusive time is above this share of execution time.</summary>
    public double HotNodeShare { get; init; } = 0.50;

    /// <summary>seq-scan-large-table and rows-removed-by-filter become Critical when their node is also hot.</summary>
    public double CriticalWhenHotShare { get; init; } = 0.50;

    /// <summary>repeated-statement: one statement (by normalised SQL) sent this many times in one operation.</summary>
    public int RepeatedMinCount { get; init; } = 2;

    /// <summary>n-plus-one: a repeated statement sent in at least this many round trips (repeats in one batch share one).</summary>
    public int NPlusOneMinRoundTrips { get; init; } = 5;
}
