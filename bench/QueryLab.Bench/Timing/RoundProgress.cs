using System.Diagnostics;
using BenchmarkDotNet.EventProcessors;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace QueryLab.Bench.Timing;

/// <summary>
/// Progress of a timing run from BenchmarkDotNet's own events (not its log text): the case being timed is passed on as
/// it starts (what an interrupt names), and a line is printed as each round ends. BenchmarkDotNet's verbose log is kept
/// out of the terminal; its errors are passed on.
/// </summary>
internal sealed class RoundProgress(TextWriter o, int cases, int rounds, Action<string>? onCase, CancellationToken ct) : EventProcessor
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private int _round;
    private int _done;

    public ILogger Logger { get; } = new ErrorsOnly(o, ct);

    public void StartRound(int round)
    {
        _round = round;
        _done = 0;
    }

    public override void OnStartRunBenchmark(BenchmarkCase benchmarkCase)
    {
        if (!ct.IsCancellationRequested)
        {
            onCase?.Invoke((string)benchmarkCase.Parameters["Case"]);
        }
    }

    public override void OnEndRunBenchmark(BenchmarkCase benchmarkCase, BenchmarkReport report)
    {
        _done++;
        if (_done == cases && !ct.IsCancellationRequested)
        {
            var left = rounds - _round - 1;
            var eta = left == 0 ? "" : $", about {_watch.Elapsed.TotalSeconds / (_round + 1) * left:0} s to go";
            o.WriteLine($"  [round {_round + 1}/{rounds}] timed {cases} variant(s) ({_watch.Elapsed.TotalSeconds:0} s so far{eta})");
        }
    }

    /// <summary>Passes on BenchmarkDotNet's errors alone.</summary>
    private sealed class ErrorsOnly(TextWriter o, CancellationToken ct) : ILogger
    {
        public string Id => "querylab-errors";

        public int Priority => 0;

        public void Write(LogKind logKind, string text)
        {
        }

        public void WriteLine()
        {
        }

        public void WriteLine(LogKind logKind, string text)
        {
            // (once interrupted, the cases that fail are not news; "is located in temp" is BenchmarkDotNet's shadow-copy
            // check for xUnit: querylab ab builds the base in a temporary worktree on purpose, and in-process timing is unaffected)
            if (logKind == LogKind.Error && !ct.IsCancellationRequested && !text.Contains("is located in temp", StringComparison.Ordinal))
            {
                o.WriteLine("  BenchmarkDotNet: " + text.Trim());
            }
        }

        public void Flush() => o.Flush();
    }
}
