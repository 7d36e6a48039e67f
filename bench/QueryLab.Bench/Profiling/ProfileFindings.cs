using QueryLab.Bench.Findings;
using QueryLab.Bench.Plans;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Profiling;

/// <summary>
/// The findings of the profiling pass as results.json keeps them: the round-trip ones (n-plus-one,
/// repeated-statement), the prepared plan that differs (generic-plan-differs), and each plan's own.
/// Codes, severities and fixes come from <see cref="FindingCodes"/>; FINDINGS.md says when each is raised.
/// </summary>
public static class ProfileFindings
{
    public static FindingRecord Repeated(RepeatedStatement r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return r.IsNPlusOne
            ? new FindingRecord(
                Severity.Critical,
                FindingCodes.NPlusOne,
                "round trips",
                $"one statement ran {r.Count} times in {r.RoundTrips} round trips in one operation (an N+1: a query per row of an earlier result)",
                FindingCodes.Of(FindingCodes.NPlusOne).Fix)
            : new FindingRecord(
                Severity.Warning,
                FindingCodes.RepeatedStatement,
                "round trips",
                $"one statement ran {r.Count} times in {r.RoundTrips} round trip(s) in one operation",
                r.RoundTrips == 1
                    ? "the batch saves the round trips, but one set-based statement (= ANY, unnest, COPY) lets the server do the work once"
                    : FindingCodes.Of(FindingCodes.RepeatedStatement).Fix);
    }

    public static FindingRecord GenericPlanDiffers(int statement, IReadOnlyList<string> changes) =>
        new(
            Severity.Warning,
            FindingCodes.GenericPlanDiffers,
            $"statement {statement}",
            "once prepared (Npgsql auto-prepares repeated commands), PostgreSQL would switch to a generic plan of another shape: " + string.Join("; ", changes),
            FindingCodes.Of(FindingCodes.GenericPlanDiffers).Fix);

    /// <summary>A variant stopped by the statement limit: where it stopped (the last statement captured), and what to read.</summary>
    public static FindingRecord DidNotFinish(string didNotFinish, string? stoppedAt, int statements) =>
        new(
            Severity.Critical,
            FindingCodes.DidNotFinish,
            stoppedAt ?? "operation",
            $"{didNotFinish}; "
            + (stoppedAt is null
                ? $"{statements} statement(s) captured, none stopped this time (the operation is near the limit)"
                : $"{stoppedAt} is the one stopped; its plan is EXPLAIN's estimate (without ANALYZE: nothing was executed)"),
            FindingCodes.Of(FindingCodes.DidNotFinish).Fix);

    public static FindingRecord Plan(int statement, PlanFinding f)
    {
        ArgumentNullException.ThrowIfNull(f);
        return new FindingRecord(f.Severity, f.Code, $"statement {statement}, node {f.NodePath}", f.Message, f.Fix);
    }
}
