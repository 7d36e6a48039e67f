using System.Text.Json.Serialization;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Calibration;

/// <summary>calibrate.json: what this runner can detect, per variant (schemaVersion 1).</summary>
public sealed record CalibrationResults
{
    public int SchemaVersion { get; init; } = 1;

    public required string RunId { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public required string Command { get; init; }

    public required MachineInfo Machine { get; init; }

    public required ServerInfo Server { get; init; }

    public required DatasetInfo Dataset { get; init; }

    public required CalibrationSettings Settings { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public HarnessFloor? Floor { get; init; }

    public required IReadOnlyList<VariantCalibration> Variants { get; init; }

    /// <summary>The share of the machine's CPU time (%) the host gave to other guests during the duets (steal); null where not counted.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public double? StealPercent { get; init; }
}

/// <param name="Trials">A/A duets (and × raw duets) per variant.</param>
/// <param name="Pairs">B slices per duet.</param>
/// <param name="SliceMs">Planned length of a slice.</param>
/// <param name="Threshold">The smallest change a duet calls slower (ab's --threshold-time).</param>
/// <param name="Confidence">The interval's level (1 − ab's --alpha).</param>
/// <param name="Slowdowns">The injected slowdowns, as fractions of each variant's median.</param>
/// <param name="Injection">Where the slowdown is injected: "server" (a busy wait inside the server, on each of the variant's statements) or "client".</param>
public sealed record CalibrationSettings(int Trials, int Pairs, double SliceMs, double Threshold, double Confidence, IReadOnlyList<double> Slowdowns, string Injection, string? InjectionNote)
{
    /// <summary>While a duet has not decided, it goes on, <see cref="Pairs"/> more at a time, up to this many (as ab's).</summary>
    public int MaxPairs { get; init; } = Pairs;

    /// <summary>The fewest pairs a duet gets when the budget is short.</summary>
    public int MinPairs { get; init; } = Pairs;

    /// <summary>The time the whole run was given (null: an older run, no budget).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public double? BudgetSeconds { get; init; }
}

/// <summary>The pairs a variant's duets were planned with: <paramref name="First"/> at first, up to <paramref name="Most"/> while undecided.</summary>
public sealed record PairBudget(int First, int Most);

/// <summary>A duet's ratio, its interval and verdict.</summary>
public sealed record TrialRatio(double Ratio, double? Lower, double? Upper, string Verdict);

/// <summary>One injected slowdown of one variant: the delay added, where, the change the duet measured, and whether it was caught.</summary>
public sealed record InjectionResult(double Slowdown, double DelayNs, string Where, double MeasuredRatio, double? Lower, double? Upper, string Verdict, bool Caught);

/// <summary>One variant's calibration.</summary>
public sealed record VariantCalibration
{
    public required string Scenario { get; init; }

    public required string Variant { get; init; }

    public required bool IsBaseline { get; init; }

    /// <summary>The variant's median per operation over the A/A trials, and the smallest and largest trial median.</summary>
    public required double MedianNs { get; init; }

    public required double MedianMinNs { get; init; }

    public required double MedianMaxNs { get; init; }

    /// <summary>A/A duets: the variant against itself. Any verdict other than unchanged/unknown is a false alarm.</summary>
    public required IReadOnlyList<TrialRatio> AaTrials { get; init; }

    public required int FalseAlarms { get; init; }

    /// <summary>× raw of each trial (the variant against its baseline, paired); empty for the baseline.</summary>
    public required IReadOnlyList<TrialRatio> RawTrials { get; init; }

    public required IReadOnlyList<InjectionResult> Injections { get; init; }

    /// <summary>The pairs this variant's duets started with and could grow to, when the budget gave it fewer than the settings' (null: the settings').</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public PairBudget? Pairs { get; init; }

    /// <summary>The smallest injected slowdown caught (null: none was).</summary>
    public double? SmallestCaught { get; init; }

    /// <summary>The host's steal (%) during this variant's duets; null where not counted.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public double? StealPercent { get; init; }

    /// <summary>The wall time this variant's calibration took (null: an older run).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? Seconds { get; init; }

    /// <summary>Of <see cref="Seconds"/>, the time spent building and warming the injection's data sources (null: an older run).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? SetupSeconds { get; init; }

    /// <summary>Largest ÷ smallest trial value: of the median, and of × raw.</summary>
    public double MedianSpread => MedianMinNs > 0 ? MedianMaxNs / MedianMinNs : double.NaN;

    public double? RawSpread => RawTrials.Count == 0 ? null : RawTrials.Max(t => t.Ratio) / RawTrials.Min(t => t.Ratio);
}
