using QueryLab.Bench.Compare;
using QueryLab.Bench.Results;
using static QueryLab.Tests.Compare.CompareRuns;

namespace QueryLab.Tests.Compare;

/// <summary>The comparison itself, pure: counters, plans, time, improvements, unknowns, added and removed variants.</summary>
[Trait("Category", "Serverless")]
public class RunComparerTests
{
    /// <summary>The comparison, pure: baseline against candidate with the default thresholds unless told.</summary>
    internal static CompareReport Compare(RunResults baseline, RunResults candidate, CompareSettings? settings = null) =>
        RunComparer.Compare(baseline, "baseline", candidate, "candidate", settings ?? CompareSettings.Default);

    [Fact]
    public void Improvements_are_reported_and_do_not_fail()
    {
        var c = With(Run(seed: 2), "in-transit-with-carrier-and-latest-event", "ef-n-plus-one", v => Scaled(WithProfile(v, p => p with { RoundTrips = 2, Statements = 2 }), 0.6));
        c = With(c, "lookup-by-tracking-number", "ef-tracked", v => v with { Timing = v.Timing! with { AllocatedBytesPerOp = 4_000 } });
        var r = Compare(Run(seed: 1), c);

        Assert.Equal(0, r.ExitCode);
        Assert.Empty(r.Regressions);
        Assert.Equal(
            ["ef-n-plus-one round trips −39", "ef-n-plus-one statements −39", "ef-n-plus-one median time"],
            r.Improvements.Select(i => $"{i.Variant} {i.Metric}" + (i.Kind == ChangeKind.Time ? "" : $" {i.ChangeText}")).ToList());
        Assert.InRange(r.Improvements.Single(i => i.Kind == ChangeKind.Time).RelativeChange!.Value, -0.45, -0.35);
    }

    [Fact]
    public void A_variant_that_no_longer_finishes_within_the_statement_limit_is_a_time_regression_and_one_that_now_does_an_improvement()
    {
        VariantResultRecord Stopped(VariantResultRecord v) => v with { Timing = null, DidNotFinish = true, NotRun = "did not finish within 30 s at this scale" };
        var c = With(Run(seed: 2), "pending-page", "dapper", Stopped);

        var worse = Compare(Run(seed: 1), c);
        var regression = Assert.Single(worse.Regressions, x => x.Kind == ChangeKind.Time);
        Assert.Equal(("pending-page", "dapper", "did not finish"), (regression.Scenario, regression.Variant, regression.CandidateText));
        Assert.Equal(1, worse.ExitCode);

        var better = Compare(c, Run(seed: 1));
        var improvement = Assert.Single(better.Improvements, x => x.Kind == ChangeKind.Time && x.Variant == "dapper");
        Assert.Equal("did not finish", improvement.BaselineText);
        Assert.Equal(0, better.ExitCode);
    }

    [Theory]
    [InlineData(1.30, Outcome.Unknown)]
    [InlineData(1.15, Outcome.Unchanged)]
    [InlineData(0.70, Outcome.Unknown)]
    public void Allocations_not_counted_by_an_allocation_pass_are_shown_but_not_gated(double factor, Outcome expected)
    {
        var c = With(Run(), "pending-page", "dapper", v => v with { Timing = v.Timing! with { AllocatedBytesPerOp = (long)(31_000 * factor) } });
        var change = Compare(Run(), c).All.Single(x => x.Variant == "dapper" && x.Scenario == "pending-page" && x.Metric == "allocated bytes");

        Assert.Equal(expected, change.Outcome);
    }

    /// <summary>Both runs counted by an allocation pass over the same 96 operations, five passes each.</summary>
    private static VariantResultRecord Counted(VariantResultRecord v, long bytes, double passSpread = 0.004, int operations = 96) => v with
    {
        Timing = v.Timing! with
        {
            AllocatedBytesPerOp = bytes,
            Allocation = new AllocationRecord(bytes, bytes, (long)(bytes * (1 + passSpread)), operations, 5),
        },
    };

    [Theory]
    [InlineData(1.30, Outcome.Regression)]
    [InlineData(1.15, Outcome.Unchanged)]
    [InlineData(0.70, Outcome.Improvement)]
    public void Allocations_counted_over_the_same_operations_are_gated_like_buffers(double factor, Outcome expected)
    {
        var b = With(Run(), "pending-page", "dapper", v => Counted(v, 31_000));
        var c = With(Run(), "pending-page", "dapper", v => Counted(v, (long)(31_000 * factor)));
        var r = Compare(b, c);
        var change = r.All.Single(x => x.Variant == "dapper" && x.Scenario == "pending-page" && x.Metric == "allocated bytes");

        Assert.Equal(expected, change.Outcome);
        Assert.Equal(expected == Outcome.Regression ? 1 : 0, r.ExitCode);
    }

    [Theory]
    [InlineData(0.15, 96, "one run's allocation passes differed by +15.0% among themselves")]
    [InlineData(0.004, 48, "the allocation passes ran 96 and 48 operations")]
    public void Allocations_whose_passes_disagree_or_counted_other_work_are_shown_not_gated(double candidateSpread, int candidateOperations, string reason)
    {
        var b = With(Run(), "pending-page", "dapper", v => Counted(v, 31_000));
        var c = With(Run(), "pending-page", "dapper", v => Counted(v, 40_300, candidateSpread, candidateOperations));
        var r = Compare(b, c);
        var change = r.All.Single(x => x.Variant == "dapper" && x.Scenario == "pending-page" && x.Metric == "allocated bytes");

        Assert.Equal(Outcome.Unknown, change.Outcome);
        Assert.StartsWith(reason, change.Note, StringComparison.Ordinal);
        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public void Allocations_of_a_single_cold_operation_are_not_decided()
    {
        // The smoke profile: one measurement per variant, whose allocations include one-time warm-up.
        var b = Run(n: 1);
        var c = With(Run(n: 1), "pending-page", "dapper", v => v with { Timing = v.Timing! with { AllocatedBytesPerOp = (long)(v.Timing.AllocatedBytesPerOp!.Value * 1.3) } });
        var r = Compare(b, c);
        var change = r.All.Single(x => x.Variant == "dapper" && x.Scenario == "pending-page" && x.Metric == "allocated bytes");

        Assert.Equal(Outcome.Unknown, change.Outcome);
        Assert.Contains("shown, not gated", change.Note, StringComparison.Ordinal);
        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public void Buffers_up_by_more_than_the_threshold_are_a_regression_of_that_statement()
    {
        var c = With(Run(), "pending-page", "npgsql-prepared", v => WithPlans(v, p => p with { SharedHit = 60, SharedRead = 15 }));
        var r = Compare(Run(), c);

        var b = Assert.Single(r.Regressions);
        Assert.Equal(("shared buffers", PendingSql, "57 blocks", "75 blocks", "+31.6%"), (b.Metric, b.Statement, b.BaselineText, b.CandidateText, b.ChangeText));
        Assert.Equal(Outcome.Unchanged, Compare(Run(), c, CompareSettings.Default with { CounterThreshold = 0.5 }).All
            .Single(x => x.Metric == "shared buffers" && x.Variant == "npgsql-prepared" && x.Scenario == "pending-page").Outcome);
    }

    [Fact]
    public void A_changed_row_count_is_a_regression_even_when_faster()
    {
        var c = With(Run(seed: 2), "pending-page", "dapper", v => Scaled(WithProfile(v, p => p with { Rows = 20 }), 0.5));
        var r = Compare(Run(seed: 1), c);

        Assert.Equal(1, r.ExitCode);
        Assert.Equal("rows", Assert.Single(r.Regressions).Metric);
        Assert.Equal("median time", Assert.Single(r.Improvements).Metric);
    }

    [Fact]
    public void A_changed_generic_plan_is_a_plan_regression()
    {
        RunResults Generic(RunResults run, string shape) => With(run, "lookup-by-tracking-number", "npgsql-prepared", v => WithProfile(v, p => p with
        {
            DistinctStatements = p.DistinctStatements.Select(s => s with { GenericPlan = Plan(shape, 4) }).ToList(),
        }));

        var r = Compare(Generic(Run(), LookupShape), Generic(Run(), "Limit\n  Seq Scan on shipments\n"));

        var g = Assert.Single(r.Regressions);
        Assert.Equal(("plan", "generic plan shape"), (CompareMarkdown.Kind(g.Kind), g.Metric));
        Assert.Equal(["scan changed: Index Scan using shipments_tracking_number_key on shipments → Seq Scan on shipments (under Limit)"], g.Plan!.Changes);
    }

    [Fact]
    public void Rewritten_SQL_is_not_decided_but_its_buffers_are_compared_over_all_statements()
    {
        var c = With(Run(), "in-transit-with-carrier-and-latest-event", "ef-include", v => WithProfile(v, p => p with
        {
            DistinctStatements = [p.DistinctStatements[0] with { Sql = LateralSql.Replace("LIMIT $2", "LIMIT $2 OFFSET 0", StringComparison.Ordinal), Plan = Plan(LateralShape, 400) }],
        }));
        var r = Compare(Run(), c);

        Assert.Equal(["new statement: the baseline did not send it, so its plan and buffers have no baseline", "statement gone: the candidate no longer sends it"],
            r.Unknown.Where(u => u.Kind == ChangeKind.Plan).Select(u => u.ChangeText).ToList());
        Assert.Equal("shared buffers (all statements)", Assert.Single(r.Regressions).Metric);
    }

    [Fact]
    public void With_too_few_measurements_time_is_unknown_never_a_failure()
    {
        var r = Compare(Run(seed: 1, n: 4), With(Run(seed: 2, n: 4), "pending-page", "dapper", v => Scaled(v, 2.0)));

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(11, r.Unknown.Count(u => u.Kind == ChangeKind.Time));
        Assert.Contains("with 4 and 4 measurements the smallest possible p is 0.029 > α = 0.01", r.Unknown[0].Note);

        // 5 per side can reach α = 0.01 (2 / C(10, 5) = 0.0079), but after Benjamini–Hochberg over 11 variants
        // only when every variant moved: a lone change needs p ≤ α / 11, out of reach of 5 + 5.
        var five = Compare(Run(seed: 1, n: 5), ScaledAll(Run(seed: 2, n: 5), 2.0));
        Assert.Equal(11, five.Regressions.Count(c => c.Kind == ChangeKind.Time));
        var lone = Compare(Run(seed: 1, n: 5), With(Run(seed: 2, n: 5), "pending-page", "dapper", v => Scaled(v, 2.0)));
        Assert.Equal(0, lone.ExitCode);
        var u = Assert.Single(lone.Unknown);
        Assert.Equal(("pending-page", "dapper"), (u.Scenario, u.Variant));
        Assert.Contains("as large as the 10% threshold but not significant", u.Note);
        Assert.Matches(@"\| pending-page \| dapper \| median time \| \d+ µs \| \d\.\d+ ms \| \+\d+(\.\d)?% \(99% CI [^|]+\) \| Mann–Whitney p = ", CompareMarkdown.Render(lone));
    }

    private static RunResults ScaledAll(RunResults r, double factor) => r with
    {
        Scenarios = r.Scenarios.Select(s => s with { Variants = s.Variants.Select(v => Scaled(v, factor)).ToList() }).ToList(),
    };

    [Fact]
    public void Reruns_of_unchanged_code_do_not_fail()
    {
        // 40 reruns × 11 variants of the same distributions, 5% noise with slow outliers: no false alarm.
        var reports = Enumerable.Range(0, 40).Select(i => Compare(Run(seed: 100 + i, cv: 0.05), Run(seed: 200 + i, cv: 0.05))).ToList();

        Assert.All(reports, r => Assert.Equal(0, r.ExitCode));
        Assert.All(reports, r => Assert.Empty(r.Improvements));
    }

    [Fact]
    public void A_variant_that_was_not_timed_is_unknown()
    {
        var c = With(Run(), "pending-page", "dapper", v => v with { Timing = null, NotRun = "its scenario failed verification" });
        var u = Assert.Single(Compare(Run(), c).Unknown);

        Assert.Equal("not timed in the candidate (its scenario failed verification)", u.Note);
    }

    [Fact]
    public void Runs_without_a_profiling_pass_are_compared_on_allocations_and_time_with_a_warning()
    {
        var c = Run() with { Scenarios = Run().Scenarios.Select(s => s with { Variants = s.Variants.Select(v => v with { Profile = null }).ToList() }).ToList() };
        var r = Compare(Run(), c);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("11 of 11 variants have no profiling pass in one run or both: their round trips, statements, rows, plans and buffers were not compared, only allocations and time", Assert.Single(r.Warnings));
        Assert.Equal(["allocated bytes", "median time"], r.All.Select(x => x.Metric).Distinct().Order().ToList());
    }

    [Fact]
    public void Runs_planned_from_other_statistics_are_compared_with_a_warning_naming_the_tables()
    {
        IReadOnlyDictionary<string, string> Stats(string shipments) => new Dictionary<string, string> { ["carriers"] = "c1", ["shipments"] = shipments };
        var b = Run() with { Dataset = Run().Dataset with { PlannerStatistics = Stats("s1") } };
        var same = Run() with { Dataset = Run().Dataset with { PlannerStatistics = Stats("s1") } };
        var other = Run() with { Dataset = Run().Dataset with { PlannerStatistics = Stats("s2") } };

        Assert.DoesNotContain(Compare(b, same).Warnings, w => w.Contains("planner statistics", StringComparison.Ordinal));
        Assert.DoesNotContain(Compare(b, Run()).Warnings, w => w.Contains("planner statistics", StringComparison.Ordinal)); // an older run has none
        var warning = Assert.Single(Compare(b, other).Warnings, w => w.Contains("planner statistics", StringComparison.Ordinal));
        Assert.StartsWith("the planner statistics differ (shipments): the two runs were made on separate seedings or after another ANALYZE", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Variants_in_one_run_only_are_added_or_removed_not_regressions()
    {
        var b = With(Run(), "pending-page", "dapper", v => v with { Name = "dapper-offset" });
        var r = Compare(b, Run());

        Assert.Equal(0, r.ExitCode);
        Assert.Equal([new VariantRef("pending-page", "dapper")], r.Added);
        Assert.Equal([new VariantRef("pending-page", "dapper-offset")], r.Removed);
        Assert.Contains("- added: pending-page / dapper", CompareMarkdown.Render(r));
    }

    [Fact]
    public void The_report_puts_regressions_first_the_chart_after_and_the_unchanged_folded_away()
    {
        var c = With(Run(seed: 2), "pending-page", "dapper", v => Scaled(v, 1.5));
        var md = CompareMarkdown.Render(Compare(Run(seed: 1), c));

        var order = new[] { "**Verdict: regression**", "## Regressions (1)", "## Improvements (0)", "```mermaid\nxychart-beta horizontal", "<details>", "## How this was decided" }
            .Select(s => md.IndexOf(s, StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(-1, order);
        Assert.Equal(order.Order(), order);
        Assert.Matches(@"x-axis \[""ef-no-tracking: base"", ""ef-no-tracking: cand \d\.\d\d×"", ""dapper: base"", ""dapper: cand 1\.[45]\d×"", ""npgsql-prepared: base"", ""npgsql-prepared: cand \d\.\d\d×""\]", md);
        Assert.Contains("Benjamini–Hochberg", md);
    }
}
