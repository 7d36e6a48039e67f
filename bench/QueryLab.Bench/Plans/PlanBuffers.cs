namespace QueryLab.Bench.Plans;

/// <summary>
/// Block counts as EXPLAIN (BUFFERS) reports them (8 kB blocks). A node's counts include its children's
/// and are totals over all loops and all parallel workers, not per-loop averages.
/// </summary>
public sealed record PlanBuffers(
    long SharedHit,
    long SharedRead,
    long SharedDirtied,
    long SharedWritten,
    long LocalHit,
    long LocalRead,
    long LocalDirtied,
    long LocalWritten,
    long TempRead,
    long TempWritten)
{
    public static PlanBuffers None { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    /// <summary>Shared blocks touched: found in shared buffers plus read into them.</summary>
    public long SharedTouched => SharedHit + SharedRead;

    public long Temp => TempRead + TempWritten;

    /// <summary>hit / (hit + read) of shared blocks, or null when no shared block was touched.</summary>
    public double? HitRate => SharedTouched == 0 ? null : (double)SharedHit / SharedTouched;

    public PlanBuffers Plus(PlanBuffers o) => new(
        SharedHit + o.SharedHit, SharedRead + o.SharedRead, SharedDirtied + o.SharedDirtied, SharedWritten + o.SharedWritten,
        LocalHit + o.LocalHit, LocalRead + o.LocalRead, LocalDirtied + o.LocalDirtied, LocalWritten + o.LocalWritten,
        TempRead + o.TempRead, TempWritten + o.TempWritten);

    /// <summary>Each count × <paramref name="fraction"/>, rounded: a share of a subplan's blocks charged to one of its readers.</summary>
    public PlanBuffers Scale(double fraction)
    {
        long S(long a) => (long)Math.Round(a * fraction);
        return new(
            S(SharedHit), S(SharedRead), S(SharedDirtied), S(SharedWritten),
            S(LocalHit), S(LocalRead), S(LocalDirtied), S(LocalWritten),
            S(TempRead), S(TempWritten));
    }

    /// <summary>These counts less <paramref name="o"/>'s, each field floored at zero.</summary>
    public PlanBuffers Less(PlanBuffers o)
    {
        static long L(long a, long b) => Math.Max(0, a - b);
        return new(
            L(SharedHit, o.SharedHit), L(SharedRead, o.SharedRead), L(SharedDirtied, o.SharedDirtied), L(SharedWritten, o.SharedWritten),
            L(LocalHit, o.LocalHit), L(LocalRead, o.LocalRead), L(LocalDirtied, o.LocalDirtied), L(LocalWritten, o.LocalWritten),
            L(TempRead, o.TempRead), L(TempWritten, o.TempWritten));
    }
}
