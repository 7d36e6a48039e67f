using QueryLab.Bench.Results;

namespace QueryLab.Bench.Compare;

/// <summary>One variant as the baseline and the candidate ran it (matched by scenario and variant name).</summary>
public sealed record VariantPair(string Scenario, VariantResultRecord Baseline, VariantResultRecord Candidate)
{
    /// <summary>A change of this variant with the names filled in.</summary>
    public MetricChange Change(ChangeKind kind, string metric, Outcome outcome, string baselineText, string candidateText, string changeText) => new()
    {
        Scenario = Scenario,
        Variant = Candidate.Name,
        Kind = kind,
        Metric = metric,
        Outcome = outcome,
        BaselineText = baselineText,
        CandidateText = candidateText,
        ChangeText = changeText,
    };
}
