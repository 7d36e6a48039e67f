namespace QueryLab.Bench.Upgrade;

// upgrade.json: what `querylab upgrade` found, machine-readable (README, "querylab upgrade"), in results.json's
// conventions (camelCase, nanoseconds). Bump CurrentSchemaVersion when a field changes meaning or is removed.

/// <summary>The upgrade lab's report: one catalog on identical data across PostgreSQL majors.</summary>
public sealed record UpgradeReport
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    public required string RunId { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }

    public required string Command { get; init; }

    public required string Scale { get; init; }

    public required int Seed { get; init; }

    /// <summary>The profile that set how long the majors were interleaved.</summary>
    public required string Profile { get; init; }

    /// <summary>/proc/loadavg's 1-minute load when the run started and when it ended: how busy the machine was while it measured.</summary>
    public required IReadOnlyList<double> LoadAverage { get; init; }

    public required IReadOnlyList<MajorRecord> Majors { get; init; }

    /// <summary>Per seeded table, its row count and checksum on each major, and whether they agree.</summary>
    public required IReadOnlyList<TableAgreement> Tables { get; init; }

    /// <summary>Each newer major against the oldest.</summary>
    public required IReadOnlyList<MajorPair> Pairs { get; init; }
}

/// <summary>One major's server, where its binaries came from, and its run folder (verification, counters, plans, findings).</summary>
/// <param name="Build">The server's <c>version()</c>: the platform and compiler it was built with.</param>
public sealed record MajorRecord(int Major, string Version, string BinDir, string Source, string ClusterDir, string Run, bool VerificationPassed, string Build);

public sealed record TableAgreement(string Table, IReadOnlyDictionary<string, string> Checksums, IReadOnlyDictionary<string, long> Rows, bool Agree);

/// <summary>A newer major against an older one: time, plans, findings, defaults, and what to read first.</summary>
public sealed record MajorPair
{
    public required int Older { get; init; }

    public required int Newer { get; init; }

    /// <summary>compare.md/compare.json of the pair (the full comparison of counters, plans and time), relative to the run folder.</summary>
    public required string Comparison { get; init; }

    public required IReadOnlyList<string> LookFirst { get; init; }

    public required IReadOnlyList<VariantAcross> Variants { get; init; }

    public required IReadOnlyList<StatementAcross> Statements { get; init; }

    public required IReadOnlyList<FindingAcross> Findings { get; init; }

    public required IReadOnlyList<SettingDifference> Defaults { get; init; }

    /// <summary>The lab's own settings that did not take the same value on both (empty when the clusters run alike).</summary>
    public required IReadOnlyList<string> LabSettingDifferences { get; init; }

    /// <summary>Counter changes (round trips, rows, buffers, rows processed, temp blocks, WAL) that compare called a regression or an improvement.</summary>
    public required IReadOnlyList<string> CounterChanges { get; init; }
}

/// <summary>
/// One variant's time on both majors, from the interleaved slices (the two servers' workers alternating): both medians, and
/// newer ÷ older as the Hodges–Lehmann estimate of the per-pair ratios with its exact signed-rank interval.
/// </summary>
public sealed record VariantAcross(
    string Scenario,
    string Variant,
    bool IsBaseline,
    double? OlderMedianNs,
    double? NewerMedianNs,
    double? Ratio,
    double? Lower,
    double? Upper,
    int Pairs,
    double Confidence,
    string Verdict,
    string Why);

/// <summary>One distinct statement of a variant (by normalised SQL) and its plan shape on each major.</summary>
public sealed record StatementAcross(
    string Scenario,
    string Variant,
    string Sql,
    string? OlderShape,
    string? NewerShape,
    string? OlderHash,
    string? NewerHash,
    bool Changed,
    IReadOnlyList<string> Changes);

/// <summary>A finding one major's plans or round trips raise and the other's do not.</summary>
/// <param name="Change">"appears" (on the newer major only) or "disappears" (on the older only).</param>
/// <param name="FromTimings">
/// Raised from the shares of one EXPLAIN ANALYZE's timings (hot-node, planning-share, jit-share): it comes and goes from run
/// to run on the same server, so it is listed apart and not among what to read first.
/// </param>
public sealed record FindingAcross(string Scenario, string Variant, string Code, string Where, string Change, string Message, bool FromTimings);
