using System.Text.Json;
using QueryLab.Bench.Results;
using QueryLab.Seed;

namespace QueryLab.Bench.Rehearsal;

/// <summary>rehearsal.json: what one <c>migrate --rehearse</c> did and measured (times in milliseconds, from the start of the measured traffic).</summary>
public sealed record RehearsalResults
{
    public int SchemaVersion { get; init; } = 1;

    public required string RunId { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public required DateTimeOffset FinishedAt { get; init; }

    public required string Command { get; init; }

    public GitInfo? Git { get; init; }

    public required MachineInfo Machine { get; init; }

    /// <summary>/proc/loadavg when the rehearsal started and ended (the 1, 5 and 15-minute load averages), where there is one.</summary>
    public string? LoadAverage { get; init; }

    public required ServerInfo Server { get; init; }

    public required DatasetInfo Dataset { get; init; }

    public required RehearsalSettings Settings { get; init; }

    public required IReadOnlyList<FileRehearsal> Files { get; init; }

    public required IReadOnlyList<StatementRehearsal> Statements { get; init; }

    /// <summary>Each scenario's latency before, during and after the migration.</summary>
    public required IReadOnlyList<PhaseLatency> Phases { get; init; }

    public required IReadOnlyList<TimelinePoint> Timeline { get; init; }

    /// <summary>The traffic's failed requests by phase, scenario, kind and SqlState, with the first message.</summary>
    public IReadOnlyList<FailureSummary> Failures { get; init; } = [];

    /// <summary>The lab's tables as the seed's manifest describes them, recomputed after the copy was dropped: empty when unchanged.</summary>
    public required IReadOnlyList<string> LabChanges { get; init; }

    public required int SamplerTicks { get; init; }

    public required string Verdict { get; init; }
}

/// <summary>The rehearsal's options and what they came to.</summary>
public sealed record RehearsalSettings(
    string Migrations,
    IReadOnlyList<string> Scenarios,
    IReadOnlyList<string> NotRun,
    int Clients,
    double MaxBlockMs,
    double SteadyMs,
    double AfterMs,
    double SampleIntervalMs,
    double CopyMs,
    string Copy);

/// <summary>One pending file: whether it ran in a transaction, how it ended, and the verdict.</summary>
public sealed record FileRehearsal(string File, bool InTransaction, string Outcome, string Verdict, double? DurationMs, double LongestWaitMs);

/// <summary>One lint finding of a statement, beside what was measured for it.</summary>
public sealed record LintNote(string Rule, string Severity, string Message, string Measured);

/// <summary>
/// One statement, as it ran on the copy: its duration, the table locks it took (strongest per table), the tables it rewrote
/// (relfilenode changed), the WAL written meanwhile (the traffic's included), and what the traffic suffered: requests that
/// waited for the migration while it held this statement's locks, the longest such wait, requests that failed, and each
/// scenario's latency while it held them; and how long the migration itself waited for a lock (<see cref="MigrationWaitMs"/>).
/// </summary>
public sealed record StatementRehearsal(
    int Index,
    string File,
    int Line,
    string Sql,
    bool InTransaction,
    string Outcome,
    double StartMs,
    double? DurationMs,
    double HoldMs,
    IReadOnlyList<string> Locks,
    IReadOnlyList<string> Rewritten,
    long? WalBytes,
    string? Error,
    int WaitingRequests,
    double LongestWaitMs,
    IReadOnlyList<string> WaitedOn,
    long FailedRequests,
    IReadOnlyList<PhaseLatency> Latency,
    IReadOnlyList<LintNote> Lint,
    bool Blocked,
    double MigrationWaitMs);

/// <summary>A scenario's requests in one phase (before, during, after, or while a statement held its locks).</summary>
public sealed record PhaseLatency(string Scenario, string Phase, long Requests, long Failed, double? P50Ms, double? P99Ms, double? MaxMs);

/// <summary>Failed requests of one scenario in one phase, of one kind and SqlState (0A000 "cached plan must not change result type" after a column type change, say).</summary>
public sealed record FailureSummary(string Phase, string Scenario, string Kind, string? SqlState, long Count, string Example);

/// <summary>One slice of the timeline: requests that started in it, how many failed, their p99 and max.</summary>
public sealed record TimelinePoint(double StartMs, long Requests, long Failed, double? P99Ms, double? MaxMs);

public static class RehearsalJson
{
    public static string Serialize(RehearsalResults r) => JsonSerializer.Serialize(r, ResultsJson.Options);

    public static RehearsalResults Read(string path)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, "rehearsal.json") : path;
        try
        {
            return JsonSerializer.Deserialize<RehearsalResults>(File.ReadAllText(file), ResultsJson.Options)
                ?? throw LabException.BadInput($"{file} is empty");
        }
        catch (JsonException ex)
        {
            throw LabException.BadInput($"{file} is not valid JSON (truncated or corrupt: {ex.Message})", ex);
        }
    }
}
