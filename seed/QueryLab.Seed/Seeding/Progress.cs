using System.Diagnostics;
using System.Globalization;

namespace QueryLab.Seed.Seeding;

/// <summary>One table's load progress, updated by its COPY and read by the reporter.</summary>
internal sealed class TableProgress(string table, long expected, bool expectedIsExact)
{
    private long _done;
    private long _started;
    private long _finished;

    public string Table { get; } = table;

    public long Expected { get; } = expected;

    public bool ExpectedIsExact { get; } = expectedIsExact;

    public long Done => Interlocked.Read(ref _done);

    public bool IsFinished => Interlocked.Read(ref _finished) != 0;

    public void Start() => Interlocked.CompareExchange(ref _started, Stopwatch.GetTimestamp(), 0);

    public void Add(long rows) => Interlocked.Add(ref _done, rows);

    public void Finish() => Interlocked.Exchange(ref _finished, Stopwatch.GetTimestamp());

    public TimeSpan Elapsed
    {
        get
        {
            var started = Interlocked.Read(ref _started);
            if (started == 0)
            {
                return TimeSpan.Zero;
            }

            var finished = Interlocked.Read(ref _finished);
            return finished != 0 ? Stopwatch.GetElapsedTime(started, finished) : Stopwatch.GetElapsedTime(started);
        }
    }

    /// <summary><c>shipments   48,000/100,000  48%  231k rows/s</c>, with a bar after the name when <paramref name="bar"/>.</summary>
    public string Line(int nameWidth, bool bar = false)
    {
        var done = Done;
        var finished = IsFinished;
        var total = finished ? done : Math.Max(Expected, done);
        var percent = total == 0 ? 100 : (int)Math.Min(100, done * 100 / total);
        var seconds = Elapsed.TotalSeconds;
        var rate = seconds > 0 ? done / seconds : 0;
        var approx = finished || ExpectedIsExact ? "" : "≈";
        var counts = string.Create(CultureInfo.InvariantCulture, $"{done:N0}/{approx}{total:N0}");
        var drawn = bar ? " [" + new string('#', percent / 5).PadRight(20, '.') + "]" : "";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{Table.PadRight(nameWidth)}{drawn}{counts,26} {percent,4}%  {Rate(rate),5} rows/s{(finished ? "  done" : "")}");
    }

    internal static string Rate(double perSecond) => perSecond switch
    {
        >= 10_000_000 => string.Create(CultureInfo.InvariantCulture, $"{perSecond / 1_000_000:0}M"),
        >= 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{perSecond / 1_000_000:0.0}M"),
        >= 1_000 => string.Create(CultureInfo.InvariantCulture, $"{perSecond / 1_000:0}k"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{perSecond:0}"),
    };
}

/// <summary>The progress of every table of one load.</summary>
internal sealed class LoadProgress(IReadOnlyList<TableProgress> tables)
{
    public IReadOnlyList<TableProgress> Tables { get; } = tables;

    public TableProgress this[string table] => Tables.First(t => t.Table == table);
}

/// <summary>
/// Prints progress: on a terminal the per-table lines are redrawn in place (carriage return, cursor up) several times a
/// second; anywhere else (a log, CI) a line per table every few seconds, and a final one when each table is done.
/// </summary>
internal sealed class ProgressReporter(TextWriter console, LoadProgress progress, bool isTerminal)
{
    private static readonly TimeSpan TerminalInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(5);

    private readonly int _width = progress.Tables.Max(t => t.Table.Length) + 2;
    private readonly HashSet<string> _reportedDone = [];
    private bool _drawn;

    public async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(isTerminal ? TerminalInterval : LogInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                Report(final: false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped: the caller prints the final state.
        }
    }

    public void Report(bool final)
    {
        lock (_reportedDone)
        {
            if (isTerminal)
            {
                if (_drawn)
                {
                    console.Write(string.Create(CultureInfo.InvariantCulture, $"\u001b[{progress.Tables.Count}A"));
                }

                foreach (var t in progress.Tables)
                {
                    console.Write("\r\u001b[2K  " + t.Line(_width, bar: true) + "\n");
                }

                _drawn = true;
            }
            else
            {
                foreach (var t in progress.Tables)
                {
                    var finished = t.IsFinished;
                    if ((finished && _reportedDone.Add(t.Table)) || (!finished && !final && t.Done > 0))
                    {
                        console.WriteLine("  " + t.Line(_width));
                    }
                }
            }

            console.Flush();
        }
    }
}
