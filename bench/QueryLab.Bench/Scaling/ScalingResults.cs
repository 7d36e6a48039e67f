using System.Text.Json;

namespace QueryLab.Bench.Scaling;

/// <summary>What <c>querylab scaling</c> measured: the catalog at several scales, and how each variant's cost grows.</summary>
public sealed record ScalingResults
{
    public int SchemaVersion { get; init; } = 1;

    public required string RunId { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }

    public required string Command { get; init; }

    public required string Profile { get; init; }

    /// <summary>The budget an operation's time is held against (<c>--budget</c>), ms.</summary>
    public required double BudgetMs { get; init; }

    public required long StatementLimitMs { get; init; }

    public required IReadOnlyList<ScaleRun> Scales { get; init; }

    public required IReadOnlyList<ScalingScenario> Scenarios { get; init; }

    public static string Serialize(ScalingResults r) => JsonSerializer.Serialize(r, Results.ResultsJson.Options);

    public static ScalingResults Read(string json) =>
        JsonSerializer.Deserialize<ScalingResults>(json, Results.ResultsJson.Options) ?? throw new JsonException("scaling.json is empty");
}

/// <summary>
/// One scale: its database, its size, the run folder of the catalog measured on it (relative to the scaling folder), and the
/// harness floor of that run (raw Npgsql's one-row lookup in a plain loop, which hardly depends on the scale): how fast the
/// machine was while that scale was measured.
/// </summary>
public sealed record ScaleRun(string Scale, long Shipments, string Database, long DatabaseBytes, string RunFolder, double? FloorNs = null);

public sealed record ScalingScenario(string Name, IReadOnlyList<ScalingVariant> Variants);

/// <summary>
/// One variant across the scales: its points, the growth exponent of its time (the slope of log time over log shipments,
/// with a 95% bootstrap interval), of its executor's rows processed (exact, from the plans), and of its answer's rows;
/// and what that means for the budget.
/// </summary>
public sealed record ScalingVariant
{
    public required string Name { get; init; }

    public required string Library { get; init; }

    public string? Form { get; init; }

    public bool IsBaseline { get; init; }

    public required IReadOnlyList<ScalingPoint> Points { get; init; }

    public Exponent? Time { get; init; }

    /// <summary>Slope of log(rows processed) over log(shipments): what the executor did, which does not depend on the machine's speed.</summary>
    public double? Work { get; init; }

    /// <summary>Slope of log(rows returned or affected) over log(shipments): how the answer itself grows.</summary>
    public double? Result { get; init; }

    /// <summary>The grows-faster-than-result finding's words, or null.</summary>
    public string? Finding { get; init; }

    /// <summary>Where the time crosses the budget: measured at a scale, or extrapolated; null when it stays within.</summary>
    public string? Budget { get; init; }

    /// <summary>The extrapolation checked: the largest scale predicted from the smaller ones, beside what was measured (three scales or more).</summary>
    public string? Check { get; init; }
}

/// <summary>A variant at one scale: its median time, how many measured iterations, the rows of its answer and of its plans, or why it has none.</summary>
public sealed record ScalingPoint(string Scale, long Shipments, double? MedianNs, int Measurements, long? Rows, long? RowsProcessed, string? NotRun);

/// <summary>An exponent and its 95% interval.</summary>
public sealed record Exponent(double Value, double Lower, double Upper);
