using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using QueryLab.Queries.Catalog;

namespace QueryLab.Bench.Timing;

/// <summary>The timing of one variant, as BenchmarkDotNet measured it (nanoseconds per operation).</summary>
public sealed record TimedVariant(
    string Scenario,
    string Variant,
    double MeanNs,
    double MedianNs,
    double P95Ns,
    double StdErrNs,
    long? AllocatedBytesPerOp,
    IReadOnlyList<double> MeasurementsNs,
    string? Error);

/// <summary>Runs BenchmarkDotNet over prepared cases and reads its results back into plain records.</summary>
public static class BenchRunner
{
    /// <summary>How long an interrupted run waits for BenchmarkDotNet to fail the remaining cases and return.</summary>
    private static readonly TimeSpan WindDown = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Times the cases. BenchmarkDotNet cannot be cancelled, so it runs on a thread of its own, and the cancellation
    /// reaches it through the operations: the one running is cancelled (its statement too, and its write rolls back),
    /// and every case after it fails at once. The run waits a few seconds for that, then gives up on BenchmarkDotNet.
    /// </summary>
    /// <param name="onCase">Told the scenario/variant BenchmarkDotNet starts timing.</param>
    public static async Task<IReadOnlyList<TimedVariant>> RunAsync(
        IReadOnlyList<(IPreparedScenario Prepared, IVariant Variant)> cases,
        BenchProfile profile,
        string artifactsDir,
        TextWriter progress,
        Action<string>? onCase,
        CancellationToken ct,
        IReadOnlyDictionary<string, double>? delaysNs = null,
        LabVacuum? vacuum = null)
    {
        ct.ThrowIfCancellationRequested();
        if (cases.Count == 0)
        {
            return [];
        }

        var done = new TaskCompletionSource<IReadOnlyList<TimedVariant>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(Run(cases, profile, artifactsDir, progress, onCase, ct, delaysNs, vacuum));
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "BenchmarkDotNet",
        };
        thread.Start();
        try
        {
            var timings = await done.Task.WaitAsync(ct);
            ct.ThrowIfCancellationRequested();
            return timings;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Let it finish failing the remaining cases, so nothing writes into the run folder once it is removed.
            await Task.WhenAny(done.Task, Task.Delay(WindDown, CancellationToken.None));
            throw;
        }
    }

    private static List<TimedVariant> Run(
        IReadOnlyList<(IPreparedScenario Prepared, IVariant Variant)> cases,
        BenchProfile profile,
        string artifactsDir,
        TextWriter progress,
        Action<string>? onCase,
        CancellationToken ct,
        IReadOnlyDictionary<string, double>? delaysNs,
        LabVacuum? vacuum)
    {
        BenchmarkCases.Set(cases, ct, delaysNs);
        BenchmarkCases.Vacuum = vacuum;
        try
        {
            var config = ManualConfig.CreateEmpty()
                .AddJob(profile.Job)
                .AddDiagnoser(MemoryDiagnoser.Default)
                .AddColumnProvider(DefaultColumnProviders.Instance)
                .AddExporter(JsonExporter.Full, MarkdownExporter.GitHub)
                .AddLogger(new ProgressLogger(progress, cases.Count, onCase, ct))
                .WithArtifactsPath(artifactsDir)
                .WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(80))
                // Tests run a Debug build; a release measurement comes from run.ps1, which builds Release.
                .WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.DisableLogFile);
            var summary = BenchmarkRunner.Run<CatalogBenchmark>(config);
            return Read(summary);
        }
        finally
        {
            BenchmarkCases.Clear();
        }
    }

    private static List<TimedVariant> Read(Summary summary)
    {
        var list = new List<TimedVariant>();
        foreach (var c in summary.BenchmarksCases)
        {
            var key = (string)c.Parameters["Case"];
            var slash = key.IndexOf('/', StringComparison.Ordinal);
            var (scenario, variant) = (key[..slash], key[(slash + 1)..]);
            var report = summary[c];
            var stats = report?.ResultStatistics;
            if (report is null || stats is null)
            {
                list.Add(new TimedVariant(scenario, variant, double.NaN, double.NaN, double.NaN, double.NaN, null, [], "BenchmarkDotNet produced no result (see the log in the run folder)"));
                continue;
            }

            var measurements = report.AllMeasurements
                .Where(m => m.IterationMode == IterationMode.Workload && m.IterationStage == IterationStage.Result)
                .Select(m => m.Nanoseconds / m.Operations)
                .ToList();
            var allocated = report.GcStats.GetBytesAllocatedPerOperation(c);
            list.Add(new TimedVariant(
                scenario,
                variant,
                stats.Mean,
                stats.Median,
                stats.Percentiles.P95,
                stats.StandardError,
                allocated,
                measurements,
                null));
        }

        return list;
    }

    /// <summary>Passes BenchmarkDotNet's progress lines on, and keeps its verbose log out of the terminal.</summary>
    private sealed class ProgressLogger(TextWriter o, int total, Action<string>? onCase, CancellationToken ct) : ILogger
    {
        private readonly System.Diagnostics.Stopwatch _watch = System.Diagnostics.Stopwatch.StartNew();
        private string _current = "";
        private int _done;

        public string Id => "querylab-progress";

        public int Priority => 0;

        public void Write(LogKind logKind, string text)
        {
        }

        public void WriteLine()
        {
        }

        public void WriteLine(LogKind logKind, string text)
        {
            if (ct.IsCancellationRequested)
            {
                // Interrupted: the cases that fail from now on are not news, and the case interrupted stays the one named.
                return;
            }

            if (text.StartsWith("// Benchmark: ", StringComparison.Ordinal))
            {
                var at = text.IndexOf("[Case=", StringComparison.Ordinal);
                _current = at >= 0 ? text[(at + 6)..].TrimEnd(']') : text;
                onCase?.Invoke(_current);
            }
            else if (text.StartsWith("// ** Remained", StringComparison.Ordinal))
            {
                // "// ** Remained 4 (80.0 %) benchmark(s) to run. …": BenchmarkDotNet's own estimate of the finish
                // is not shown, because in-process it does not account for the setup of each case.
                _done++;
                o.WriteLine($"  [{_done}/{total}] timed {_current} ({_watch.Elapsed.TotalSeconds:0} s so far)");
            }
            else if (logKind == LogKind.Error && !text.Contains("is located in temp", StringComparison.Ordinal))
            {
                // (that one is BenchmarkDotNet's shadow-copy check for xUnit; querylab ab builds the base in a temporary
                // worktree on purpose, and in-process timing is unaffected)
                o.WriteLine("  BenchmarkDotNet: " + text.Trim());
            }
        }

        public void Flush() => o.Flush();
    }
}
