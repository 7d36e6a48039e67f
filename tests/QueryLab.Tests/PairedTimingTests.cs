using QueryLab.Bench.Timing;

namespace QueryLab.Tests;

/// <summary>The statistics behind paired × raw and the duet's verdicts: no server needed.</summary>
public sealed class PairedTimingTests
{
    [Fact]
    public void The_signed_rank_critical_values_are_the_published_ones()
    {
        // Two-sided 5% (tail 0.025): n = 6 → 0, n = 8 → 3, n = 10 → 8, n = 16 → 29 (standard Wilcoxon tables).
        Assert.Equal(0, PairedRatio.CriticalW(6, 0.025));
        Assert.Equal(3, PairedRatio.CriticalW(8, 0.025));
        Assert.Equal(8, PairedRatio.CriticalW(10, 0.025));
        Assert.Equal(29, PairedRatio.CriticalW(16, 0.025));
        // Five pairs cannot give a two-sided 5% interval: even W = 0 has probability 1/32 > 0.025.
        Assert.Null(PairedRatio.CriticalW(5, 0.025));
    }

    [Fact]
    public void A_constant_ratio_is_estimated_exactly_with_an_interval_around_it()
    {
        var ratios = Enumerable.Range(0, 16).Select(i => 1.5 * (1 + ((i % 4) - 1.5) * 0.01)).ToList();

        var e = PairedRatio.OfRatios(ratios)!;

        Assert.InRange(e.Ratio, 1.49, 1.51);
        Assert.True(e.Lower < e.Ratio && e.Ratio < e.Upper, $"{e.Lower} {e.Ratio} {e.Upper}");
        Assert.InRange(e.Lower!.Value, 1.48, 1.5);
        Assert.InRange(e.Upper!.Value, 1.5, 1.52);
        Assert.Equal(16, e.Pairs);
    }

    [Fact]
    public void One_wild_pair_moves_the_estimate_little()
    {
        var ratios = Enumerable.Repeat(2.0, 15).Append(40.0).ToList();

        Assert.InRange(PairedRatio.OfRatios(ratios)!.Ratio, 1.99, 2.2);
    }

    [Theory]
    [InlineData(1.12, 1.08, 1.16, DuetVerdict.Slower)]
    [InlineData(1.12, 0.98, 1.30, DuetVerdict.Unknown)] // as large as the threshold, not significant
    [InlineData(1.03, 1.01, 1.05, DuetVerdict.Unchanged)] // significant, but within ±5%
    [InlineData(0.90, 0.86, 0.93, DuetVerdict.Faster)]
    [InlineData(1.00, 0.90, 1.10, DuetVerdict.Unknown)] // too wide to say it is unchanged
    public void The_duet_verdict_needs_the_threshold_and_the_interval(double ratio, double lower, double upper, DuetVerdict expected)
    {
        var settings = new DuetSettings(8, TimeSpan.FromMilliseconds(40), 0.05, 0.99);

        Assert.Equal(expected, Duet.Judge(new PairedRatio.Estimate(ratio, lower, upper, 8, 0.99), settings));
    }

    [Theory]
    [InlineData(100_000, 256)] // 100 µs: 256 operations fit 40 ms (512 would not)
    [InlineData(50_000_000, 1)] // slower than a slice: one operation
    [InlineData(0, 1)]
    public void A_slice_holds_a_power_of_two_of_operations(double estimateNs, int expected)
    {
        Assert.Equal(expected, Duet.SliceOperations(estimateNs, TimeSpan.FromMilliseconds(40)));
    }

    [Theory]
    [InlineData(256, null, 32)] // an eighth of the slice wakes the side's threads and caches
    [InlineData(4, 8e6, 1)] // at least one operation
    [InlineData(1, null, 1)] // a case's first slice: its length is not known yet
    [InlineData(1, 20e6, 1)] // a 20 ms operation still gets its wake-up
    [InlineData(1, 650e6, 0)] // a 650 ms EF Core query wakes itself: a whole operation untimed would double the slice
    public void A_slice_is_woken_by_an_eighth_of_it_untimed_but_a_long_operation_is_not_run_twice(int count, double? lastNs, int expected)
    {
        Assert.Equal(expected, LocalSliceRunner.WakeUpOperations(count, lastNs));
    }

    [Fact]
    public async Task A_duet_of_a_side_against_a_slower_copy_of_itself_is_called_slower_and_confirmed()
    {
        var fast = new FakeSide(1_000);
        var slow = new FakeSide(1_150);
        var settings = new DuetSettings(8, TimeSpan.FromMilliseconds(40), 0.05, 0.99);

        var r = await Duet.CompareAsync(new DuetSide(fast, "s/v", 16), new DuetSide(slow, "s/v", 16), settings, CancellationToken.None);

        Assert.Equal(DuetVerdict.Slower, r.Verdict);
        Assert.NotNull(r.Remeasured); // measured a second time before the verdict
        Assert.InRange(r.Ratio.Ratio, 1.14, 1.16);
        Assert.Contains("confirmed on re-measure", r.Why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_undecided_duet_goes_on_in_steps_of_its_pairs_until_it_decides_or_reaches_its_most()
    {
        // ±12% of noise on a 10% change: 8 pairs do not decide, more do; the counts say how many slices each side ran.
        var a = new NoisySide(1_000, seed: 1);
        var b = new NoisySide(1_100, seed: 2);
        var once = await Duet.CompareAsync(new DuetSide(new NoisySide(1_000, 1), "s/v", 16), new DuetSide(new NoisySide(1_100, 2), "s/v", 16), new DuetSettings(8, TimeSpan.FromMilliseconds(40), 0.05, 0.99), CancellationToken.None);
        var sequential = await Duet.CompareAsync(new DuetSide(a, "s/v", 16), new DuetSide(b, "s/v", 16), new DuetSettings(8, TimeSpan.FromMilliseconds(40), 0.05, 0.99, MaxPairs: 64), CancellationToken.None);

        Assert.Equal(DuetVerdict.Unknown, once.Verdict);
        Assert.Equal(8, once.Ratio.Pairs);
        Assert.Equal(DuetVerdict.Slower, sequential.Verdict);
        Assert.True(sequential.Ratio.Pairs is > 8 and <= 64, $"{sequential.Ratio.Pairs} pairs");
        Assert.Equal(0, sequential.Ratio.Pairs % 8); // whole steps
        Assert.InRange(sequential.Ratio.Ratio, 1.04, 1.16);
    }

    [Fact]
    public async Task An_a_a_duet_of_a_case_whose_parameters_cost_more_along_the_rotation_is_unchanged()
    {
        // Each stretch of the parameter rotation costs 30% more than the one before (an N+1 over carriers with ever more
        // shipments in transit). Both sides are the same case: whatever the stretches, the duet must call it unchanged.
        // Had B's slice been divided by the A slices of its own stretch and the next one, every ratio would be √(1/1.3),
        // −12%: a false alarm that the parameters raised, not the build.
        var side = new StretchSide(1_000, 16);
        var r = await Duet.CompareAsync(new DuetSide(side, "s/v", 16), new DuetSide(side, "s/v", 16), new DuetSettings(8, TimeSpan.FromMilliseconds(40), 0.05, 0.99), CancellationToken.None);

        Assert.Equal(DuetVerdict.Unchanged, r.Verdict);
        Assert.InRange(r.Ratio.Ratio, 0.999, 1.001);
    }

    [Fact]
    public void Steal_is_read_from_the_kernels_cpu_line_and_taken_over_a_window()
    {
        // user nice system idle iowait irq softirq steal guest guest_nice: total of the first eight, steal the eighth.
        var a = CpuTimes.Parse("cpu  100 0 50 800 10 0 5 35 0 0")!.Value;
        Assert.Equal(new CpuTimes(1000, 35), a);
        var b = CpuTimes.Parse("cpu  160 0 70 900 10 0 5 95 20 0")!.Value;
        Assert.Equal(25.0, (b - a).StealPercent); // 60 of the 240 ticks between them
        Assert.Null(CpuTimes.Parse("cpu0 1 2 3 4 5 6 7 8"));
        Assert.Null(CpuTimes.Parse("cpu  1 2 3 4")); // a kernel that does not count steal
        Assert.Null(default(CpuTimes).StealPercent);
        Assert.StartsWith("⚠ the host took 25%", HostSteal.Line(25, [10, 40]), StringComparison.Ordinal);
        Assert.Contains("(steal, /proc/stat; per variant 10%–40%)", HostSteal.Line(25, [10, 40]), StringComparison.Ordinal);
        Assert.Equal("the host took 2.5% of this machine's CPU time during the duets (steal, /proc/stat)", HostSteal.Line(2.5, during: "during the duets"));
        if (File.Exists("/proc/stat"))
        {
            Assert.NotNull(CpuTimes.Read()); // this machine's own line parses
        }
    }

    [Theory]
    [InlineData(14, 8)] // daily-volume's 14 windows, ci's 8 iterations a round
    [InlineData(14, 9)] // and the 9 baseline slices around them
    [InlineData(512, 8)]
    [InlineData(201, 3)]
    [InlineData(5, 16)]
    public void A_rounds_iterations_start_spread_over_the_whole_rotation(int values, int slots)
    {
        foreach (var round in new[] { 0, 1, 2 })
        {
            var starts = Enumerable.Range(0, slots).Select(k => Rotation.Start(k, slots, round, values)).ToList();
            Assert.All(starts, s => Assert.InRange(s, 0, values - 1));
            Assert.Equal(starts.Order(), starts); // in order along the rotation
            // Evenly apart: no two starts further than a share of the rotation (rounded up) from each other, and the last
            // as far from the end of the rotation: the costly stretch of the values is not measured more than the cheap.
            var gaps = starts.Zip(starts.Skip(1).Append(starts[0] + values), (a, b) => b - a).ToList();
            Assert.All(gaps, g => Assert.InRange(g, values / slots, (values + slots - 1) / slots));
        }

        // Each later round starts between the earlier ones.
        Assert.Equal([0, 0.5, 0.25, 0.75, 0.125], Enumerable.Range(0, 5).Select(Rotation.Phase));
    }

    /// <summary>A side whose slice costs 1.3× more with each stretch of <paramref name="perSlice"/> operations of the rotation it runs.</summary>
    private sealed class StretchSide(double ns, int perSlice) : ISliceRunner
    {
        public Task<double> SliceAsync(string key, int start, int count, CancellationToken ct) =>
            Task.FromResult(ns * Math.Pow(1.3, start / perSlice % 8));
    }

    /// <summary>A side whose slices wobble by up to ±12%, pseudo-randomly (a fixed seed: the test is deterministic).</summary>
    private sealed class NoisySide(double ns, int seed) : ISliceRunner
    {
        private readonly Random _random = new(seed);

        public Task<double> SliceAsync(string key, int start, int count, CancellationToken ct) =>
            Task.FromResult(ns * (1 + ((_random.NextDouble() - 0.5) * 0.24)));
    }

    /// <summary>A side whose operation takes a fixed time, with a deterministic wobble of ±1%, and that drifts.</summary>
    private sealed class FakeSide(double ns) : ISliceRunner
    {
        private int _calls;

        public Task<double> SliceAsync(string key, int start, int count, CancellationToken ct)
        {
            var drift = 1 + (0.002 * _calls); // the machine slowing down: pairs cancel it
            var wobble = 1 + (((_calls++ * 7) % 5) - 2) * 0.005;
            return Task.FromResult(ns * drift * wobble);
        }
    }
}
