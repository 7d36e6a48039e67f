using System.Globalization;
using Npgsql;
using QueryLab.Bench.Plans;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;
using QueryLab.Queries.Catalog;

namespace QueryLab.Bench.Profiling;

/// <summary>
/// The profiling pass, separate from timing: runs one operation of each variant with capture on (after a
/// warm-up operation), then replays each distinct statement under EXPLAIN ANALYZE for its custom and
/// generic plans, analyses them, and flags repeated statements (N+1).
/// </summary>
public sealed class Profiler(NpgsqlDataSource explainSource, string? plansDir, TextWriter? log = null, TimeSpan? statementLimit = null)
{
    private readonly ExplainRunner _explain = new(explainSource, statementLimit);

    /// <summary>
    /// The profile of a variant that did not finish within the statement limit: one operation with capture on, run on a
    /// catalog whose limit is short (<paramref name="prepared"/>'s), stopped where a statement exceeds it; each statement
    /// sent up to then is explained without ANALYZE (the planner's estimate), and the did-not-finish finding says so.
    /// </summary>
    public async Task<ProfileRecord> EstimateAsync(IPreparedScenario prepared, IVariant variant, string didNotFinish, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        ArgumentNullException.ThrowIfNull(variant);
        IReadOnlyList<CapturedStatement> statements;
        var stopped = false;
        using (var scope = WireCapture.Begin())
        {
            try
            {
                await prepared.RunAsync(variant, 0, collect: false, ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && Seed.Server.StatementLimit.IsExceeded(ex))
            {
                stopped = true;
            }

            statements = scope.Statements;
        }

        var distinct = new List<StatementRecord>();
        var findings = new List<FindingRecord>();
        var index = 0;
        foreach (var group in statements.GroupBy(Placeholders.Key, StringComparer.Ordinal))
        {
            index++;
            distinct.Add((await DescribeAsync(prepared, variant, index, group, estimate: true, ct)).Record);
        }

        var last = statements.Count == 0 ? null : $"statement {distinct.Count}";
        findings.Add(ProfileFindings.DidNotFinish(didNotFinish, stopped ? last : null, statements.Count));
        log?.WriteLine($"  estimated {prepared.Scenario.Name}/{variant.Name}: {didNotFinish}; {statements.Count} statement(s) captured{(stopped ? " up to the one stopped" : "")}, explained without ANALYZE");
        return new ProfileRecord(statements.Select(s => s.RoundTrip).DefaultIfEmpty(0).Max(), statements.Count, 0, [], distinct, findings);
    }

    public async Task<ProfileRecord> ProfileAsync(IPreparedScenario prepared, IVariant variant, CancellationToken ct)
    {
        await prepared.RunAsync(variant, 0, collect: false, ct); // warm-up: caches, pools, EF's query cache
        VariantResult result;
        IReadOnlyList<CapturedStatement> statements;
        using (var scope = WireCapture.Begin())
        {
            result = await prepared.RunAsync(variant, 0, collect: false, ct);
            statements = scope.Statements;
        }

        var roundTrips = statements.Select(s => s.RoundTrip).DefaultIfEmpty(0).Max();
        var repeated = RepeatedStatements.Find(statements);
        var findings = repeated.Select(ProfileFindings.Repeated).ToList();

        var distinct = new List<StatementRecord>();
        var index = 0;
        foreach (var group in statements.GroupBy(Placeholders.Key, StringComparer.Ordinal))
        {
            index++;
            var (record, custom, changes) = await DescribeAsync(prepared, variant, index, group, estimate: false, ct);
            findings.AddRange((custom?.Findings ?? []).Select(f => ProfileFindings.Plan(index, f)));
            if (changes.Count > 0)
            {
                findings.Add(ProfileFindings.GenericPlanDiffers(index, changes));
            }

            distinct.Add(record);
        }

        log?.WriteLine($"  profiled {prepared.Scenario.Name}/{variant.Name}: {statements.Count} statement(s) in {roundTrips} round trip(s), {distinct.Count} distinct, {findings.Count} finding(s)");
        return new ProfileRecord(roundTrips, statements.Count, result.RowsAffected, repeated.Select(r => new RepeatedStatementRecord(r.Sql, r.Count, r.RoundTrips, r.IsNPlusOne)).ToList(), distinct, findings);
    }

    /// <summary>
    /// One distinct statement: explained (EXPLAIN ANALYZE, or with <paramref name="estimate"/> the planner's estimate alone),
    /// its plan files saved, its plans summarised, and what its generic plan changes.
    /// </summary>
    private async Task<(StatementRecord Record, PlanAnalysis? Custom, IReadOnlyList<string> Changes)> DescribeAsync(
        IPreparedScenario prepared, IVariant variant, int index, IGrouping<string, CapturedStatement> group, bool estimate, CancellationToken ct)
    {
        var first = group.First();
        var explained = estimate ? await _explain.EstimateAsync(first, ct) : await _explain.ExplainAsync(first, ct);
        var suffix = estimate ? "-estimate" : "";
        var planFile = await SaveAsync(prepared.Scenario.Name, variant.Name, index, suffix, explained.CustomPlanJson, ct);
        var genericFile = await SaveAsync(prepared.Scenario.Name, variant.Name, index, "-generic" + suffix, explained.GenericPlanJson, ct);
        var custom = Analyse(explained.CustomPlanJson);
        var generic = Analyse(explained.GenericPlanJson);
        IReadOnlyList<string> changes = custom is not null && generic is not null && custom.ShapeHash != generic.ShapeHash ? PlanShape.Diff(custom, generic) : [];
        var record = new StatementRecord(
            Placeholders.Normalise(first.Sql),
            first.Parameters.Select(p => p.Display).ToList(),
            group.Count(),
            planFile,
            genericFile,
            custom is null ? null : Summary(custom),
            generic is null ? null : Summary(generic),
            custom is null || generic is null ? null : custom.ShapeHash != generic.ShapeHash,
            changes,
            explained.Note);
        return (record, custom, changes);
    }

    private static PlanAnalysis? Analyse(string? json) => json is null ? null : PlanAnalyzer.Analyze(json);

    private static PlanSummary Summary(PlanAnalysis a) => new(
        a.ShapeHash,
        a.ShapeText,
        a.PlanningTime,
        a.ExecutionTime,
        a.Buffers.SharedHit,
        a.Buffers.SharedRead,
        a.Work.TempBlocks,
        a.CacheHitRate,
        a.TopNodes.Select(h => $"{NodeLabel.Display(h.Node)}: {Units.Ms(h.ExclusiveTime)} ({Units.Percent(h.Share)})").ToList(),
        PlanText.Render(a, 110),
        a.Work.RowsProcessed,
        a.Work.Parallel,
        a.Work.Writes,
        a.Work.Wal?.Records,
        a.Work.Wal?.FullPageImages,
        a.Work.Wal?.Bytes,
        !a.Analyzed);

    private async Task<string?> SaveAsync(string scenario, string variant, int index, string suffix, string? json, CancellationToken ct)
    {
        if (json is null || plansDir is null)
        {
            return null;
        }

        var relative = Path.Combine("plans", scenario, $"{variant}-{index.ToString(CultureInfo.InvariantCulture)}{suffix}.json");
        var path = Path.Combine(plansDir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, json, ct);
        return relative.Replace('\\', '/');
    }
}
