using System.Text.RegularExpressions;
using QueryLab.Bench.Compare;
using QueryLab.Bench.Findings;
using QueryLab.Bench.Load;
using QueryLab.Bench.Rehearsal;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;
using QueryLab.Tests.Compare;

namespace QueryLab.Tests.Charts;

/// <summary>Every kind of document QueryLab writes a chart into, rendered from realistic results built in memory.</summary>
internal static partial class ChartSamples
{
    /// <summary>report.md and its scenarios/*.md of a run whose ratios are those of the issue (576 µs against 931 µs: 1.62×), and three more scenarios.</summary>
    public static string Report()
    {
        var run = CompareRuns.Run();
        run = run with
        {
            Scenarios = run.Scenarios.Select(s =>
            {
                var baseline = s.Variants.Single(v => v.IsBaseline).Timing!.MeanNs;
                return s with { Variants = s.Variants.Select(v => v with { RatioToBaseline = v.Timing!.MeanNs / baseline }).ToList() };
            }).ToList(),
        };
        // report.md and every scenario file beside it: a chart in either is checked and rendered.
        return MarkdownReport.Render(run) + string.Concat(run.Scenarios.Select(s => ScenarioFile.Render(run, s, null)));
    }

    /// <summary>compare.md of a candidate whose variants are 0.8× to 1.5× the baseline's.</summary>
    public static string Compare()
    {
        var baseline = CompareRuns.Run(seed: 1);
        var candidate = CompareRuns.Run(seed: 2, runId: "20260102-120000-small-ci");
        candidate = CompareRuns.With(candidate, "lookup-by-tracking-number", "dapper", v => CompareRuns.Scaled(v, 1.5));
        candidate = CompareRuns.With(candidate, "pending-page", "ef-no-tracking", v => CompareRuns.Scaled(v, 0.8));
        return CompareMarkdown.Render(RunComparer.Compare(baseline, "baselines/main", candidate, "reports/latest", CompareSettings.Default));
    }

    /// <summary>load.md of a sweep of two variants over 1 and 8 clients, on the catalog's longest scenario name.</summary>
    public static string Load()
    {
        LoadStep Step(string variant, int clients, double opsPerSecond, double p99Ns) => new()
        {
            Variant = variant,
            Library = "Npgsql",
            Technique = variant,
            Clients = clients,
            Sent = (long)(opsPerSecond * 10),
            Completed = (long)(opsPerSecond * 10),
            Failed = 0,
            ElapsedMs = 10_000,
            Throughput = opsPerSecond,
            Latency = new LatencyRecord(p99Ns / 10, p99Ns / 4, p99Ns / 5, p99Ns / 2, p99Ns, p99Ns * 2, p99Ns * 3),
            Failures = [],
            LeakedBackends = 0,
        };

        var run = CompareRuns.Run();
        return LoadMarkdown.Render(new LoadResults
        {
            RunId = "20260101-130000-small-load",
            StartedAt = run.StartedAt,
            FinishedAt = run.FinishedAt,
            Command = "querylab load --scenario in-transit-with-carrier-and-latest-event --clients 1,8",
            Git = run.Git,
            Machine = run.Machine,
            Server = run.Server,
            Dataset = run.Dataset,
            Settings = new LoadSettings(
                "in-transit-with-carrier-and-latest-event", false, ["npgsql-lateral", "ef-n-plus-1"], [1, 8], 10_000, 1_000, 100, 15, "querylab-load-1",
                new ConnectionLimits(100, 3, -1, -1, "querylab") { FreeAtStart = 90 }, "nearest rank"),
            Steps =
            [
                Step("npgsql-lateral", 1, 812.4, 2_400_000),
                Step("npgsql-lateral", 8, 2_950.1, 6_100_000),
                Step("ef-n-plus-1", 1, 96.3, 18_000_000),
                Step("ef-n-plus-1", 8, 310.8, 52_000_000),
            ],
            NotRun = [],
            Findings = [new LoadFinding(Severity.Info, FindingCodes.PoolAboveServerLimit, null, null, "up to 8 connections", FindingCodes.Of(FindingCodes.PoolAboveServerLimit).Fix)],
            LeakedBackendsAtEnd = 0,
        });
    }

    /// <summary>rehearsal.md of an index build that made the writes wait 3.1 s, its statement marked on the timeline.</summary>
    public static string Rehearsal()
    {
        var run = CompareRuns.Run();
        var held = new PhaseLatency("mark-delivered", "while held", 12, 0, 2.1, 3_100, 3_120);
        return RehearsalMarkdown.Render(new RehearsalResults
        {
            RunId = "20260101-130000-small-rehearse",
            StartedAt = run.StartedAt,
            FinishedAt = run.FinishedAt ?? run.StartedAt,
            Command = "querylab migrate --rehearse --migrations /tmp/m",
            Git = run.Git,
            Machine = run.Machine,
            LoadAverage = "1.00 1.00 1.00 at the start, 1.50 1.10 1.00 at the end",
            Server = run.Server,
            Dataset = run.Dataset,
            Settings = new RehearsalSettings("/tmp/m", ["lookup-by-tracking-number", "mark-delivered"], [], 8, 1_000, 5_000, 5_000, 10, 1_400, RehearsalCopy.Name),
            Files = [new FileRehearsal("0004_index.sql", true, "applied", "blocks the traffic", 3_150, 3_100)],
            Statements =
            [
                new StatementRehearsal(0, "0004_index.sql", 2, "CREATE INDEX shipments_origin_idx ON querylab.shipments (origin)", true, "applied", 5_000, 3_100, 3_150,
                    ["SHARE on shipments"], [], 5_000_000, null, 1_204, 3_100, ["shipments"], 0, [held],
                    [new LintNote("require-concurrent-index-creation", "warning", "CREATE INDEX …", "measured: requests on shipments waited up to 3.1 s")], true, 0),
            ],
            Phases = [new PhaseLatency("mark-delivered", "before", 500, 0, 2.0, 4.0, 9.0), new PhaseLatency("mark-delivered", "during", 12, 0, 2.1, 3_100, 3_120)],
            Timeline = Enumerable.Range(0, 52).Select(i => new TimelinePoint(i * 250, 100, 0, i is >= 20 and < 33 ? 3_100 : 4, i is >= 20 and < 33 ? 3_120 : 9)).ToList(),
            LabChanges = [],
            SamplerTicks = 1_300,
            Verdict = "blocks the traffic",
        });
    }


    /// <summary>scaling.md of three scales and two variants, one flat and one growing (line charts, drawn only by the render test).</summary>
    public static string Scaling()
    {
        Bench.Scaling.ScalingPoint P(string scale, long n, double ns) => new(scale, n, ns, 16, 50, 50, null);
        Bench.Scaling.ScalingVariant V(string name, double a, double b, double c) => new()
        {
            Name = name,
            Library = "Npgsql",
            Points = [P("tiny", 1_000, a), P("small", 100_000, b), P("medium", 1_000_000, c)],
            Time = new(0.5, 0.4, 0.6),
        };
        var r = new Bench.Scaling.ScalingResults
        {
            RunId = "20261201-160000-scaling-ci",
            StartedAt = DateTimeOffset.UnixEpoch,
            FinishedAt = DateTimeOffset.UnixEpoch.AddMinutes(20),
            Command = "querylab scaling",
            Profile = "ci",
            BudgetMs = 100,
            StatementLimitMs = 30_000,
            Scales = [new("tiny", 1_000, "querylab_scale_tiny", 9 << 20, "a"), new("small", 100_000, "querylab_scale_small", 134 << 20, "b"), new("medium", 1_000_000, "querylab_scale_medium", 1300 << 20, "c")],
            Scenarios = [new("pending-deep-page", [V("npgsql-keyset", 300_000, 310_000, 320_000), V("npgsql-offset", 300_000, 8_000_000, 25_000_000)])],
        };
        return Bench.Scaling.ScalingMarkdown.Render(r);
    }

    public static IEnumerable<(string Kind, string Markdown)> All() => [("report", Report()), ("compare", Compare()), ("load", Load()), ("rehearsal", Rehearsal())];

    /// <summary>The text of every ```mermaid block.</summary>
    public static IReadOnlyList<string> Charts(string markdown) => MermaidBlock().Matches(markdown).Select(m => m.Groups[1].Value).ToList();

    [GeneratedRegex("```mermaid\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex MermaidBlock();
}
