using System.CommandLine;
using QueryLab.Bench.Profiling;
using QueryLab.Bench.Reports;
using QueryLab.Queries.Catalog;
using QueryLab.Seed;

namespace QueryLab.Bench.Cli;

/// <summary>
/// <c>querylab explain --scenario X [--variant Y]</c>: one variant's SQL, plan tree and findings in the
/// terminal, for the engineer tuning a single query. Nothing is written to reports/.
/// </summary>
public static class ExplainCommand
{
    public static readonly Option<string?> Variant = new("--variant")
    {
        Description = "The variant to explain (default: the scenario's baseline).",
    };

    public static Command Create(CliContext ctx)
    {
        var cmd = new Command("explain", "Print one variant's statements, round trips, plans (custom and generic) and findings.");
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(Variant);
        cmd.Options.Add(BenchCommand.SingleLatency);
        cmd.SetAction(async (pr, ct) =>
        {
            var scenarios = ScenarioOptions.Select(pr);
            if (scenarios.Count != 1)
            {
                throw LabException.BadInput($"explain needs one scenario; '{pr.GetValue(ScenarioOptions.Scenario)}' matches {scenarios.Count}: {string.Join(", ", scenarios.Select(s => s.Name))}");
            }

            var scenario = scenarios[0];
            var name = pr.GetValue(Variant);
            var variant = name is null ? scenario.Baseline : scenario.Variants.FirstOrDefault(v => v.Name == name)
                ?? throw LabException.BadInput($"scenario {scenario.Name} has no variant '{name}'; its variants are: {string.Join(", ", scenario.Variants.Select(v => v.Name))}");

            var latency = Latency.LatencyOptions.Parse(pr.GetValue(BenchCommand.SingleLatency), sweepAllowed: false);
            var choice = ServerChoice.Resolve(pr.GetValue(CommonOptions.Connection), ctx);
            await using var lab = LabPipeline.At(await LabPipeline.OpenAsync(choice, ctx, seed: null, ct), latency, ctx);
            var capture = new Npgsql.NpgsqlDataSourceBuilder(lab.Catalog.ConnectionString); // through the relay with --latency
            WireCapture.Configure(capture);
            await using var captureSource = capture.Build();
            var catalog = new CatalogContext(captureSource, lab.Manifest.ReferenceTime, lab.Catalog.ConnectionString, WireCapture.Configure) { Poolers = lab.Catalog.Poolers };
            await using var prepared = await scenario.PrepareAsync(catalog, ct);
            if (prepared.NotRunReason(variant) is { } reason)
            {
                throw LabException.Environment($"{scenario.Name}/{variant.Name} cannot run here: {reason}");
            }

            var profile = await new Profiler(lab.DataSource, plansDir: null).ProfileAsync(prepared, variant, ct);
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
        });
        return cmd;
    }
}
