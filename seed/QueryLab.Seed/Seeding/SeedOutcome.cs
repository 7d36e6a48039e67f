namespace QueryLab.Seed.Seeding;

/// <summary>What a seed did.</summary>
/// <param name="WasNoOp">The database already held this scale and seed; nothing was loaded.</param>
/// <param name="Manifest">The manifest as it stands after the seed.</param>
/// <param name="Elapsed">Wall time of the whole call.</param>
/// <param name="Tables">Per table: rows, load time, size (empty for a no-op).</param>
public sealed record SeedOutcome(bool WasNoOp, SeedManifest Manifest, TimeSpan Elapsed, IReadOnlyList<TableLoadStats> Tables)
{
    /// <summary>The seed's phases in order (load, indexes, vacuum…) and how long each took (empty for a no-op).</summary>
    public IReadOnlyList<SeedPhase> Phases { get; init; } = [];

    public long TotalRows => Tables.Sum(t => t.Rows);

    public long TotalBytes => Tables.Sum(t => t.Bytes);

    /// <summary>The time the comparable work took: everything but the checksums, which only the manifest needs.</summary>
    public TimeSpan LoadAndBuildElapsed =>
        Phases.Where(p => p.Name != SeedPhase.Checksums).Aggregate(TimeSpan.Zero, (sum, p) => sum + p.Elapsed);
}

/// <summary>One table's load.</summary>
/// <param name="Table">Table name without schema.</param>
/// <param name="Rows">Rows loaded.</param>
/// <param name="LoadElapsed">From the start of its COPY to its commit.</param>
/// <param name="Bytes">pg_total_relation_size after indexes were built.</param>
public sealed record TableLoadStats(string Table, long Rows, TimeSpan LoadElapsed, long Bytes)
{
    public double RowsPerSecond => LoadElapsed > TimeSpan.Zero ? Rows / LoadElapsed.TotalSeconds : 0;
}

/// <summary>A step of the seed and its wall time.</summary>
public sealed record SeedPhase(string Name, TimeSpan Elapsed)
{
    public const string Load = "load";
    public const string Indexes = "indexes and keys";
    public const string Vacuum = "vacuum (analyze)";
    public const string Refresh = "refresh materialized view";
    public const string Sequences = "identity sequences";
    public const string Checksums = "checksums";
}
