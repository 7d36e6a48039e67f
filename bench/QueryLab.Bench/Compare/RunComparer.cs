using QueryLab.Bench.Exits;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Compare;

/// <summary>
/// Compares a candidate run with a baseline run: refuses runs that measured different things, matches
/// variants by scenario and variant name, judges the deterministic counters and plans first and time
/// second, and sorts every change into regressions, improvements, unknown and unchanged. Pure: two
/// results.json values in, one report out. With a <see cref="CompareScope"/> (<c>querylab ab</c>), the datasets were
/// judged by the caller: they are not refused for differing, and the time of the variants it names is not compared.
/// </summary>
public static class RunComparer
{
    public static CompareReport Compare(RunResults baseline, string baselinePath, RunResults candidate, string candidatePath, CompareSettings settings, CompareScope? scope = null)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(settings);
        var warnings = Comparability.Check(baseline, candidate, datasetJudged: scope is not null, acrossMajors: scope?.AcrossMajors == true);
        if (scope is not null)
        {
            warnings = [.. warnings, .. scope.DatasetNotes];
        }

        var pairs = new List<VariantPair>();
        var added = new List<VariantRef>();
        var removed = new List<VariantRef>();
        var before = baseline.Scenarios.DistinctBy(s => s.Name).ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var cs in candidate.Scenarios.DistinctBy(s => s.Name))
        {
            var bs = before.GetValueOrDefault(cs.Name);
            var bv = bs?.Variants.DistinctBy(v => v.Name).ToDictionary(v => v.Name, StringComparer.Ordinal) ?? [];
            foreach (var v in cs.Variants.DistinctBy(v => v.Name))
            {
                if (bv.TryGetValue(v.Name, out var b))
                {
                    pairs.Add(new VariantPair(cs.Name, b, v));
                }
                else
                {
                    added.Add(new VariantRef(cs.Name, v.Name));
                }
            }

            removed.AddRange(bv.Keys.Where(k => cs.Variants.All(v => v.Name != k)).Select(k => new VariantRef(cs.Name, k)));
        }

        var candidateNames = candidate.Scenarios.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        removed.AddRange(baseline.Scenarios.Where(s => !candidateNames.Contains(s.Name)).SelectMany(s => s.Variants.Select(v => new VariantRef(s.Name, v.Name))));

        var unprofiled = pairs.Count(p => p.Baseline.Profile is null || p.Candidate.Profile is null);
        if (unprofiled > 0)
        {
            warnings = [.. warnings, $"{unprofiled} of {pairs.Count} variants have no profiling pass in one run or both: their round trips, statements, rows, plans and buffers were not compared, only allocations and time"];
        }

        var lacking = pairs.Count(p => p.Baseline.Profile is { } b && p.Candidate.Profile is { } c && WorkComparer.Lacks(b, c));
        if (lacking > 0)
        {
            warnings = [.. warnings, $"{lacking} of {pairs.Count} variants have executor counters (rows processed, WAL bytes) in one run only (a run of an older QueryLab, or a server without EXPLAIN's WAL option): those counters were not compared"];
        }

        var changes = pairs.SelectMany(p => CounterComparer.Compare(p, settings)).ToList();
        var notTimed = scope?.TimeNotCompared ?? new Dictionary<VariantRef, string>();
        var timed = pairs.Where(p => !notTimed.ContainsKey(Ref(p))).ToList();
        // Time measured by interleaving the two builds (ab's workers) replaces the test over the two runs' iterations.
        changes.AddRange(scope?.Duets is { } duets ? DuetTimeChanges.Compare(timed, duets) : TimeComparer.Compare(timed, settings));
        changes.AddRange(pairs.Where(p => notTimed.ContainsKey(Ref(p))).Select(p => NotCompared(p, notTimed[Ref(p)])));
        var order = pairs.Select((p, i) => (p, i)).ToDictionary(x => (x.p.Scenario, x.p.Candidate.Name), x => x.i);
        var sorted = changes.OrderBy(c => order[(c.Scenario, c.Variant)]).ThenBy(c => c.Kind).ToList(); // stable: counters, plans, time

        var regressions = sorted.Where(c => c.Outcome == Outcome.Regression).ToList();
        return new CompareReport
        {
            Verdict = regressions.Count > 0 ? "regression" : "no regression",
            ExitCode = ExitCodes.Code(ExitCodes.If(regressions.Count > 0, Ending.Regression)),
            Baseline = Ref(baseline, baselinePath),
            Candidate = Ref(candidate, candidatePath),
            Method = scope?.Duets is null ? Method(settings) : DuetMethod(settings),
            Warnings = warnings,
            Regressions = regressions,
            Improvements = sorted.Where(c => c.Outcome == Outcome.Improvement).ToList(),
            Unknown = sorted.Where(c => c.Outcome == Outcome.Unknown).ToList(),
            Unchanged = sorted.Where(c => c.Outcome == Outcome.Unchanged).ToList(),
            Compared = pairs.Select(Ref).ToList(),
            Added = added,
            Removed = removed,
        };
    }

    private static VariantRef Ref(VariantPair p) => new(p.Scenario, p.Candidate.Name);

    /// <summary>A variant whose time the caller left out: not decided, with the reason.</summary>
    private static MetricChange NotCompared(VariantPair p, string why) =>
        p.Change(ChangeKind.Time, "median time", Outcome.Unknown, Median(p.Baseline), Median(p.Candidate), "not compared") with
        {
            Baseline = p.Baseline.Timing is { Error: null } b ? b.MedianNs : null,
            Candidate = p.Candidate.Timing is { Error: null } c ? c.MedianNs : null,
            Note = why,
        };

    private static string Median(VariantResultRecord v) => v.Timing is { Error: null } t ? Reports.Units.Time(t.MedianNs) : "–";

    private static RunRef Ref(RunResults r, string path) =>
        new(r.RunId, path, r.Git?.Commit, r.Git?.Branch, r.StartedAt, r.Profile.Name, r.Dataset.Scale, r.Dataset.Seed);

    private static CompareMethod DuetMethod(CompareSettings s) => new(
        s.TimeThreshold,
        s.CounterThreshold,
        s.Alpha,
        "duet: the base's and the head's workers alternate slices of each variant (base, head, base … base); each head slice over the geometric mean of the base slices around it",
        "none across variants: a flagged change is measured a second time with fresh slices and counts only when both measurements show it",
        "Hodges–Lehmann estimate of the per-pair ratios (the median of their Walsh averages), shown as a relative change",
        "exact Wilcoxon signed-rank interval of the pair ratios at 1 − α; deterministic, no resampling");

    private static CompareMethod Method(CompareSettings s) => new(
        s.TimeThreshold,
        s.CounterThreshold,
        s.Alpha,
        "two-sided Mann–Whitney U test on the measured iterations (Perfolizer 0.6.1 MannWhitneyTest; exact Löffler distribution up to 65 measurements in all, Edgeworth approximation above)",
        "Benjamini–Hochberg over every variant whose time was tested; a change is significant when its adjusted p-value (q) is at most α",
        "Hodges–Lehmann ratio: the median of every candidate ÷ baseline pair of measurements (Pragmastat RatioEstimator), shown as a relative change",
        "distribution-free (Moses) interval of the pairwise ratios at 1 − α, from the Mann–Whitney U quantile; deterministic, no resampling");
}
