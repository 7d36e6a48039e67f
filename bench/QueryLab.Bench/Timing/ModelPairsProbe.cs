using System.Diagnostics;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Timing;

/// <summary>
/// The round-trip model checked where the machine's drift cancels: a variant's operations in short slices, alternately
/// with every relay's delay held (0 ms, the relay's own hop kept) and at the round-trip time, a few operations apart.
/// A sweep's passes at 0 ms and at 1 ms run minutes apart, and on this project's 2-vCPU machine the same variant moved
/// by −17% to +30% between two such passes of one build: that drift, not the round trips, decided the model's verdict.
/// In pairs, what the round-trip time added per operation is measured beside the time at 0 ms of the same minute.
/// </summary>
public static class ModelPairsProbe
{
    /// <summary>About this long a slice at the round-trip time: long enough to hold several operations, short enough to pair.</summary>
    private static readonly TimeSpan Slice = TimeSpan.FromMilliseconds(40);

    private const int MaxOperationsPerSlice = 256;

    /// <param name="hold">Holds (true) or restores (false) the delays of every relay the lab's connections go through.</param>
    public static async Task<ModelPairs> MeasureAsync(CasePlan c, double estimateNs, int startOperation, Action<bool> hold, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(hold);
        var perSlice = (int)Math.Clamp(Slice.TotalNanoseconds / Math.Max(1, estimateNs), 1, MaxOperationsPerSlice);
        var pairs = estimateNs > 500e6 ? 4 : 6;
        var zero = new List<double>();
        var added = new List<double>();
        var op = startOperation;
        try
        {
            for (var p = 0; p < pairs; p++)
            {
                // ABBA: 0 ms first in even pairs, the round-trip time first in odd ones, so a steady drift cancels too.
                var zeroFirst = p % 2 == 0;
                var first = await SliceAsync(c, hold, zeroFirst, perSlice, op, ct).ConfigureAwait(false);
                op += perSlice;
                var second = await SliceAsync(c, hold, !zeroFirst, perSlice, op, ct).ConfigureAwait(false);
                op += perSlice;
                var (atZero, atRtt) = zeroFirst ? (first, second) : (second, first);
                zero.Add(atZero);
                added.Add(atRtt - atZero);
            }
        }
        finally
        {
            hold(false);
        }

        return new ModelPairs(PairedRatio.RoundMedian(zero), PairedRatio.RoundMedian(added), pairs, perSlice);
    }

    private static async Task<double> SliceAsync(CasePlan c, Action<bool> hold, bool held, int count, int start, CancellationToken ct)
    {
        // Nothing carries over from the other setting: operations run one after another, so no byte is in flight at the
        // switch, and a pooled connection's handshake is long behind it (an unpooled one opens its own each operation).
        hold(held);
        var t0 = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            await c.Prepared.RunAsync(c.Variant, start + i, collect: false, ct).ConfigureAwait(false);
        }

        return Stopwatch.GetElapsedTime(t0).TotalNanoseconds / count;
    }
}
