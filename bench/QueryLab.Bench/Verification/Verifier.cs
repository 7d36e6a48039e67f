using QueryLab.Queries.Catalog;

namespace QueryLab.Bench.Verification;

/// <summary>Where a variant's answer first differs from the baseline's.</summary>
public sealed record Mismatch(string Scenario, string Variant, string Baseline, string Parameters, string What, IReadOnlyList<string> BaselineRows, IReadOnlyList<string> VariantRows);

/// <summary>
/// The verdict on one scenario: the variants that agree, those that do not, those that cannot run here, and those that did
/// not finish within the statement limit (a result at this scale, neither a mismatch nor a fault).
/// </summary>
public sealed record ScenarioVerification(string Scenario, int Operations, IReadOnlyList<string> Agreed, IReadOnlyList<Mismatch> Mismatches, IReadOnlyDictionary<string, string> NotRun)
{
    /// <summary>No variant disagrees with the baseline (one that did not finish disagrees with nothing).</summary>
    public bool Passed => Mismatches.Count == 0;

    /// <summary>Variant → "did not finish within 30 s at this scale (…)": stopped by the statement limit, so not timed.</summary>
    public IReadOnlyDictionary<string, string> DidNotFinish { get; init; } = new Dictionary<string, string>();

    /// <summary>The baseline itself did not finish within the limit: no answer to check the others against, so nothing is timed.</summary>
    public string? BaselineDidNotFinish { get; init; }

    /// <summary>Whether the scenario's variants that agree can be timed: nothing disagrees, and the baseline gave its answer.</summary>
    public bool Timeable => Passed && BaselineDidNotFinish is null;
}

/// <summary>
/// Runs every variant of a scenario with the same parameter values and compares its normalised answer
/// with the baseline's (rows in order, and rows affected for writes). A variant that is fast because
/// it is wrong is reported as wrong, and nothing about that scenario is timed.
/// </summary>
public static class Verifier
{
    /// <summary>How many parameter values each variant is checked with.</summary>
    public const int Samples = 3;

    /// <param name="prepared">The scenario, prepared on a catalog whose connections carry the statement limit.</param>
    /// <param name="ct">An interrupt: a statement it cancels is the interrupt's, never "did not finish".</param>
    /// <param name="variants">The variants to check (default: all of the scenario's).</param>
    /// <param name="statementLimit">The limit the catalog's connections run under (<see cref="Seed.Server.StatementLimit"/>), for the words of "did not finish".</param>
    public static async Task<ScenarioVerification> VerifyAsync(IPreparedScenario prepared, CancellationToken ct, IReadOnlyList<IVariant>? variants = null, TimeSpan? statementLimit = null)
    {
        var scenario = prepared.Scenario;
        var baseline = scenario.Baseline;
        var mismatches = new List<Mismatch>();
        var agreed = new List<string>();
        var notRun = new Dictionary<string, string>();
        var didNotFinish = new Dictionary<string, string>(StringComparer.Ordinal);
        var limit = statementLimit ?? Seed.Server.StatementLimit.Default;
        var samples = Math.Min(Samples, prepared.ParameterCount);
        var expected = new List<VariantResult>();
        for (var i = 0; i < samples; i++)
        {
            try
            {
                expected.Add(await prepared.RunAsync(baseline, i, collect: true, ct));
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && Seed.Server.StatementLimit.IsExceeded(ex))
            {
                var why = DidNotFinishText(limit, prepared.DescribeParameters(i));
                didNotFinish[baseline.Name] = why;
                return new ScenarioVerification(scenario.Name, i, [], [], notRun) { DidNotFinish = didNotFinish, BaselineDidNotFinish = why };
            }
        }

        foreach (var v in variants ?? scenario.Variants)
        {
            if (prepared.NotRunReason(v) is { } reason)
            {
                notRun[v.Name] = reason;
                continue;
            }

            Mismatch? first = null;
            for (var i = 0; i < samples && first is null; i++)
            {
                VariantResult actual;
                try
                {
                    actual = await prepared.RunAsync(v, i, collect: true, ct);
                }
                catch (Exception ex) when (!ct.IsCancellationRequested && Seed.Server.StatementLimit.IsExceeded(ex))
                {
                    // Too slow for this scale: a result (reported with its estimated plan), not a wrong answer. One
                    // parameter value is enough to know; the others would each cost the whole limit again.
                    didNotFinish[v.Name] = DidNotFinishText(limit, prepared.DescribeParameters(i));
                    break;
                }
                catch (Exception ex) when (ex is not OperationCanceledException && !ct.IsCancellationRequested && !Seed.Server.ServerFaults.IsServerFault(ex))
                {
                    // A variant that throws failed verification; a server that went away is no variant's fault (exit 3),
                    // and one that fails because the run is being interrupted is not a mismatch either.
                    first = new Mismatch(scenario.Name, v.Name, baseline.Name, prepared.DescribeParameters(i), $"failed: {ex.GetType().Name}: {ex.Message}", [], []);
                    break;
                }

                first = Compare(scenario.Name, v.Name, baseline.Name, prepared.DescribeParameters(i), expected[i], actual);
            }

            if (didNotFinish.ContainsKey(v.Name))
            {
                continue;
            }

            if (first is null)
            {
                agreed.Add(v.Name);
            }
            else
            {
                mismatches.Add(first);
            }
        }

        return new ScenarioVerification(scenario.Name, samples, agreed, mismatches, notRun) { DidNotFinish = didNotFinish };
    }

    /// <summary>What a variant stopped by the statement limit is reported as.</summary>
    public static string DidNotFinishText(TimeSpan limit, string parameters) =>
        $"did not finish within {Seed.Server.StatementLimit.Display(limit)} at this scale (the server stopped a statement at the limit, --statement-limit, for {parameters})";

    public static Mismatch? Compare(string scenario, string variant, string baseline, string parameters, VariantResult expected, VariantResult actual)
    {
        if (expected.RowsAffected != actual.RowsAffected)
        {
            return new Mismatch(scenario, variant, baseline, parameters, $"{actual.RowsAffected} rows affected/returned, the baseline {expected.RowsAffected}", [], []);
        }

        // Rows are compared with the records' own value equality (timestamps to the tick, decimals by value);
        // their text is only for showing a difference.
        var e = expected.Rows;
        var a = actual.Rows;
        for (var i = 0; i < Math.Max(e.Count, a.Count); i++)
        {
            if (i >= e.Count || i >= a.Count || !Equals(e[i], a[i]))
            {
                return new Mismatch(
                    scenario, variant, baseline, parameters,
                    $"row {i + 1} of {Math.Max(e.Count, a.Count)} differs ({a.Count} rows, the baseline {e.Count})",
                    e.Skip(i).Take(3).Select(Render).ToList(),
                    a.Skip(i).Take(3).Select(Render).ToList());
            }
        }

        return null;
    }

    private static string Render(object row) => row.ToString() ?? "";

    public static void Print(ScenarioVerification v, TextWriter o)
    {
        if (v.BaselineDidNotFinish is { } why)
        {
            o.WriteLine($"verify {v.Scenario}: NOT VERIFIED — the baseline {why}; nothing of this scenario is timed at this scale");
            return;
        }

        var status = v.Passed ? "ok" : "MISMATCH";
        o.WriteLine($"verify {v.Scenario}: {status} — {v.Agreed.Count} variant(s) agree with the baseline over {v.Operations} parameter value(s)"
            + (v.NotRun.Count > 0 ? $", {v.NotRun.Count} not run" : "")
            + (v.DidNotFinish.Count > 0 ? $", {v.DidNotFinish.Count} did not finish" : ""));
        foreach (var (name, reason) in v.NotRun)
        {
            o.WriteLine($"  not run: {name}: {reason}");
        }

        foreach (var (name, reason) in v.DidNotFinish)
        {
            o.WriteLine($"  too slow: {name} {reason}");
        }

        foreach (var m in v.Mismatches)
        {
            o.WriteLine($"  {m.Variant} disagrees with {m.Baseline} for {m.Parameters}: {m.What}");
            for (var i = 0; i < Math.Max(m.BaselineRows.Count, m.VariantRows.Count); i++)
            {
                o.WriteLine($"    baseline: {(i < m.BaselineRows.Count ? m.BaselineRows[i] : "(no row)")}");
                o.WriteLine($"    {m.Variant}: {(i < m.VariantRows.Count ? m.VariantRows[i] : "(no row)")}");
            }
        }
    }
}
