using QueryLab.Queries.Catalog;
using static QueryLab.Tests.Compare.CompareRuns;

namespace QueryLab.Tests;

/// <summary>Each variant says what it stands for in its library, and the summary's "best EF Core × raw" reads only best forms.</summary>
[Trait("Category", "Serverless")]
public sealed class VariantFormTests
{
    [Fact]
    public void Every_baseline_is_a_best_form_and_every_scenario_teaches_with_more_than_best_forms_or_says_why()
    {
        foreach (var s in ScenarioCatalog.All)
        {
            Assert.Equal(VariantForm.Best, s.Baseline.Form);
            Assert.Contains(s.Variants, v => v.Library == Library.Npgsql && v.Form == VariantForm.Best);
        }

        // The scenarios whose point is a naive form carry it, labelled.
        var naive = ScenarioCatalog.All.SelectMany(s => s.Variants.Where(v => v.Form == VariantForm.Naive).Select(v => $"{s.Name}/{v.Name}")).ToList();
        Assert.Contains("in-transit-with-carrier-and-latest-event/ef-n-plus-1", naive);
        Assert.Contains("in-transit-with-carrier-and-latest-event/ef-include-filtered", naive);
        Assert.Contains("pending-deep-page/npgsql-offset", naive);
        Assert.Contains("lookup-by-tracking-number/ef-tracked", naive);
        var inTransit = ScenarioCatalog.All.Single(s => s.Name == "in-transit-with-carrier-and-latest-event");
        Assert.Equal(VariantForm.Best, inTransit.Variants.Single(v => v.Name == "ef-projection").Form); // EF Core's one-round-trip answer
    }

    [Fact]
    public void The_best_of_a_library_is_its_fastest_best_form_never_a_faster_naive_one()
    {
        // ef-tracked made the fastest EF Core variant of the lookup, but labelled naive: the summary still reads ef-compiled.
        var r = With(Run(), "lookup-by-tracking-number", "ef-tracked", v => Scaled(v, 0.1) with { Form = "naive" });
        var lookup = Ratios(r.Scenarios.Single(s => s.Name == "lookup-by-tracking-number"));

        Assert.Equal("ef-compiled", lookup.BestVariant("EF Core")!.Name);
        Assert.Equal("ef-tracked", lookup.Fastest()!.Name);
        var unlabelled = Ratios(Run().Scenarios.Single(s => s.Name == "lookup-by-tracking-number")); // a run before the labels: every variant counts
        Assert.Equal("ef-compiled", unlabelled.BestVariant("EF Core")!.Name);
        var noBest = Ratios(With(Run(), "pending-page", "dapper", v => v with { Form = "alternative" }).Scenarios.Single(s => s.Name == "pending-page"));
        Assert.Null(noBest.BestVariant("Dapper"));
        Assert.NotNull(Ratios(Run().Scenarios.Single(s => s.Name == "pending-page")).BestVariant("Dapper"));
    }

    /// <summary>× raw as bench records it: each variant's mean over the baseline's.</summary>
    private static Bench.Results.ScenarioResult Ratios(Bench.Results.ScenarioResult s)
    {
        var baseline = s.Variants.Single(v => v.IsBaseline).Timing!.MeanNs;
        return s with { Variants = s.Variants.Select(v => v with { RatioToBaseline = v.Timing!.MeanNs / baseline }).ToList() };
    }
}
