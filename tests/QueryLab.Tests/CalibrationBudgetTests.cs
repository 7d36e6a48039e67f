using QueryLab.Bench.Calibration;
using QueryLab.Bench.Timing;

namespace QueryLab.Tests;

/// <summary>calibrate --budget: each variant's duets are planned to fit its share of the time left.</summary>
[Trait("Category", "Serverless")]
public sealed class CalibrationBudgetTests
{
    private static readonly CalibrationSettings Settings =
        new(3, CalibrationSession.Pairs, CalibrationSession.SliceMs, 0.05, 0.99, [0.05, 0.10, 0.20], "server", null) { MaxPairs = CalibrationSession.MaxPairs, MinPairs = CalibrationSession.MinPairs };

    private static readonly DuetSettings Usual = new(CalibrationSession.Pairs, TimeSpan.FromMilliseconds(CalibrationSession.SliceMs), 0.05, 0.99, CalibrationSession.MaxPairs);

    [Theory]
    // A 150 µs lookup in 30 ms slices, 12 duets, 40 s: room for every pair it may want (48 × 12 × 60 ms = 34.6 s).
    [InlineData(40, 30e6, 16, 48)]
    // 20 s: 27 pairs a duet fit — 16 at first, up to 27.
    [InlineData(20, 30e6, 16, 27)]
    // The same in 5 s: 5 s ÷ (12 × 60 ms) = 6 pairs a duet, raised to the 8 the 99% interval needs.
    [InlineData(5, 30e6, 8, 8)]
    // A 200 ms operation (one a slice) in 10 s: 10 s ÷ (12 × 400 ms) = 2, still 8.
    [InlineData(10, 200e6, 8, 8)]
    // 12 s for the lookup: 16 pairs at first, and 16 at most (12 s ÷ 720 ms).
    [InlineData(12, 30e6, 16, 16)]
    // 15 s: 20 pairs fit — 16 at first, 20 at most.
    [InlineData(15, 30e6, 16, 20)]
    public void A_variant_gets_the_pairs_its_share_holds_between_8_and_the_usual(double shareSeconds, double sliceNs, int first, int most)
    {
        var d = CalibrationRunner.Planned(Settings, Usual, TimeSpan.FromSeconds(shareSeconds), 12, sliceNs);

        Assert.Equal((first, most), (d.Pairs, d.MostPairs));
        Assert.Equal(Usual.SliceTime, d.SliceTime);
    }
}
