namespace QueryLab.Bench.Compare;

/// <summary>
/// What a caller that has judged the two datasets itself tells the comparison. <c>querylab ab</c> seeds base and head into
/// two databases, each with its own build, and checks their manifests and schemas table by table: their datasets may then
/// differ where the head changed a table or the generator, and are not refused for it. The caller's findings about them
/// become the comparison's warnings, and the variants that read data that differs are compared on counters and plans only.
/// </summary>
/// <param name="DatasetNotes">What differs between the two datasets and why, one line each.</param>
/// <param name="TimeNotCompared">The variants whose time is not compared, and why.</param>
public sealed record CompareScope(IReadOnlyList<string> DatasetNotes, IReadOnlyDictionary<VariantRef, string> TimeNotCompared)
{
    /// <summary>Time measured by interleaving the two builds' workers (scenario/variant → duet); null: judged from the runs' measurements.</summary>
    public IReadOnlyDictionary<string, Timing.DuetResult>? Duets { get; init; }

    /// <summary>The upgrade lab: baseline and candidate ran on two PostgreSQL majors on purpose (not refused for it).</summary>
    public bool AcrossMajors { get; init; }
}
