using System.Text.Json;
using QueryLab.Bench.Findings;
using QueryLab.Bench.Results;
using QueryLab.Seed;

namespace QueryLab.Bench.Load;

// load.json: everything load.md shows, in one versioned schema (README, "querylab load").
// Times are nanoseconds; bump SchemaVersion when a field changes meaning or is removed.

public sealed record LoadResults : RunHeader
{
    public const int CurrentSchemaVersion = 1;

    public int SchemaVersion { get; init; } = CurrentSchemaVersion;


    public required LoadSettings Settings { get; init; }

    /// <summary>One per (variant, clients), in the order they ran.</summary>
    public required IReadOnlyList<LoadStep> Steps { get; init; }

    /// <summary>Selected variants that cannot run here, with the reason.</summary>
    public required IReadOnlyList<NotRunVariant> NotRun { get; init; }

    public required IReadOnlyList<LoadFinding> Findings { get; init; }

    /// <summary>Backends of this run's application name left on the server once everything was closed (0 is right).</summary>
    public required int LeakedBackendsAtEnd { get; init; }

    /// <summary>The round-trip time (ms) QueryLab's latency relay added to every connection (<c>load --latency</c>); null: straight to the server.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public double? LatencyMs { get; init; }
}

/// <summary>How the run was set up, and the server's connection limits it ran against.</summary>
public sealed record LoadSettings(
    string Scenario,
    bool Writes,
    IReadOnlyList<string> Variants,
    IReadOnlyList<int> Clients,
    double DurationMs,
    double WarmupMs,
    int MaxPoolSize,
    int PoolTimeoutSeconds,
    string ApplicationName,
    ConnectionLimits Limits,
    string Percentiles);

/// <summary>
/// max_connections and the slots kept from ordinary roles; a role's and the database's CONNECTION LIMIT (-1: none; superusers
/// are held to none of them); and how many more connections the role could open when the run started.
/// </summary>
public sealed record ConnectionLimits(int MaxConnections, int ReservedConnections, int RoleLimit, int DatabaseLimit, string Role)
{
    /// <summary>Connections this role could still open on this database when the run started.</summary>
    public int FreeAtStart { get; init; }
}

public sealed record NotRunVariant(string Variant, string Reason);

/// <summary>One variant at one client count: every request sent in the measured window is completed or failed.</summary>
public sealed record LoadStep
{
    public required string Variant { get; init; }

    public required string Library { get; init; }

    public required string Technique { get; init; }

    public required int Clients { get; init; }

    /// <summary>Requests started after the warm-up and before the end of the duration.</summary>
    public required long Sent { get; init; }

    public required long Completed { get; init; }

    public required long Failed { get; init; }

    /// <summary>From the end of the warm-up until the last request sent had finished.</summary>
    public required double ElapsedMs { get; init; }

    /// <summary>Completed requests per second of <see cref="ElapsedMs"/>.</summary>
    public required double Throughput { get; init; }

    /// <summary>Over the completed requests; null when none completed.</summary>
    public LatencyRecord? Latency { get; init; }

    public required IReadOnlyList<FailureCount> Failures { get; init; }

    /// <summary>Backends of this run left on the server after the step's pool was closed (0 is right).</summary>
    public required int LeakedBackends { get; init; }

    public bool Interrupted { get; init; }
}

/// <summary>Latency of completed requests (ns): exact, from every request's recorded time; percentiles by nearest rank.</summary>
public sealed record LatencyRecord(double MinNs, double MeanNs, double P50Ns, double P90Ns, double P99Ns, double P999Ns, double MaxNs);

public sealed record FailureCount(FailureKind Kind, string? SqlState, long Count, string Example);

/// <summary>
/// Something the run found about capacity or correctness: pool exhaustion, a server connection limit, timeouts,
/// errors, connections left open. <see cref="Code"/> is one of <see cref="FindingCodes"/> (stable); <see cref="Message"/> has the numbers; <see cref="Fix"/> says what to do.
/// </summary>
public sealed record LoadFinding(Severity Severity, string Code, string? Variant, int? Clients, string Message, string Fix);

/// <summary>Reads and writes load.json with the options of results.json (camelCase, enums as strings).</summary>
public static class LoadJson
{
    public static string Serialize(LoadResults r) => JsonSerializer.Serialize(r, ResultsJson.Options);

    public static LoadResults Read(string path)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, "load.json") : path;
        if (!File.Exists(file))
        {
            throw LabException.BadInput($"{file} does not exist; give a load run folder or its load.json");
        }

        try
        {
            return JsonSerializer.Deserialize<LoadResults>(File.ReadAllText(file), ResultsJson.Options)
                ?? throw LabException.BadInput($"{file} is empty");
        }
        catch (JsonException ex)
        {
            throw LabException.BadInput($"{file} is not valid JSON (truncated or corrupt: {ex.Message})", ex);
        }
    }
}
