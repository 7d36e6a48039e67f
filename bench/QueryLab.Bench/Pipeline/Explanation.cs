using QueryLab.Bench.Lab;
using QueryLab.Bench.Profiling;
using QueryLab.Bench.Results;
using QueryLab.Bench.Reports;
using QueryLab.Queries.Catalog;
using QueryLab.Seed;

namespace QueryLab.Bench.Pipeline;

/// <summary>
/// <c>querylab explain</c>: one variant through the profiler on a capturing data source, printed for the terminal — its
/// statements, round trips, plans (custom and generic) and findings. Nothing is written to reports/.
/// </summary>
public static class Explanation
{
    public static async Task<int> PrintAsync(IScenario scenario, IVariant variant, ServerChoice server, LabContext ctx, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(variant);
        ArgumentNullException.ThrowIfNull(ctx);
        await using var lab = await LabPipeline.OpenAsync(server, ctx, seed: null, ct);
        var capture = new Npgsql.NpgsqlDataSourceBuilder(lab.Catalog.ConnectionString); // through the relay with --latency
        WireCapture.Configure(capture);
        await using var captureSource = capture.Build();
        var catalog = new CatalogContext(captureSource, lab.Manifest.ReferenceTime, lab.Catalog.ConnectionString, WireCapture.Configure) { Poolers = lab.Catalog.Poolers, HarnessDataSource = lab.Catalog.HarnessDataSource };
        await using var prepared = await scenario.PrepareAsync(catalog, ct);
        if (prepared.NotRunReason(variant) is { } reason)
        {
            throw LabException.Environment($"{scenario.Name}/{variant.Name} cannot run here: {reason}");
        }

        var profiler = new Profiler(lab.DataSource, plansDir: null, statementLimit: lab.StatementLimit);
        ProfileRecord profile;
        try
        {
            profile = await profiler.ProfileAsync(prepared, variant, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && Seed.Server.StatementLimit.IsExceeded(ex))
        {
            // Too slow for this scale: what it sends, with the planner's estimates (the capture stops where it was stopped).
            profile = await profiler.EstimateAsync(prepared, variant, Verification.Verifier.DidNotFinishText(lab.StatementLimit, prepared.DescribeParameters(0)), ct);
        }

        var o = ctx.Out;
        o.WriteLine();
        o.WriteLine($"{scenario.Name} / {variant.Name} ({variant.Library.Display()}, {variant.Technique}) with {prepared.DescribeParameters(0)}");
        o.WriteLine($"{profile.Statements} statement(s) in {profile.RoundTrips} round trip(s), {profile.Rows} row(s)");
        foreach (var f in profile.Findings)
        {
            o.WriteLine($"  {f.Severity.ToString().ToUpperInvariant()} {f.Code} ({f.Where}): {f.Message}");
            o.WriteLine($"      fix: {f.Fix}");
        }

        foreach (var (st, i) in profile.DistinctStatements.Select((st, i) => (st, i + 1)))
        {
            o.WriteLine();
            o.WriteLine($"statement {i} (sent {st.Executions} time(s)):");
            o.WriteLine(SqlFormatter.Format(st.Sql));
            if (st.Parameters.Count > 0)
            {
                o.WriteLine("-- parameters: " + string.Join(", ", st.Parameters));
            }

            if (st.Note is not null)
            {
                o.WriteLine($"({st.Note})");
            }

            if (st.Plan is not null)
            {
                o.WriteLine();
                o.WriteLine(st.Plan.Tree.TrimEnd());
            }

            if (st.GenericPlanDiffers == true)
            {
                o.WriteLine();
                o.WriteLine("generic plan (once prepared) differs: " + string.Join("; ", st.GenericPlanChanges));
                o.WriteLine(st.GenericPlan!.Tree.TrimEnd());
            }
        }

        return 0;
    }
}
