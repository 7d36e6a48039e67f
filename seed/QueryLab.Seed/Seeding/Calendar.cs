namespace QueryLab.Seed.Seeding;

/// <summary>
/// When shipments are created: two years of days ending at the reference time, volume growing over time
/// (doubling across the window), lighter weekends, and a business-hours profile within the day (UTC).
/// </summary>
internal sealed class Calendar
{
    public const int Days = 730;

    /// <summary>Daily volume grows by this factor from the first day of the window to the last.</summary>
    public const double GrowthOverWindow = 2.0;

    /// <summary>Relative volume by DayOfWeek (Sunday first).</summary>
    public static readonly double[] WeekdayFactors = [0.35, 1.20, 1.15, 1.10, 1.10, 1.05, 0.55];

    /// <summary>Relative volume by UTC hour of day.</summary>
    public static readonly double[] HourFactors =
    [
        0.20, 0.20, 0.20, 0.20, 0.20, 0.20, 0.50, 0.90, 1.60, 1.60, 1.60, 1.60,
        1.30, 1.60, 1.60, 1.60, 1.60, 1.20, 0.90, 0.70, 0.50, 0.40, 0.30, 0.30,
    ];

    private const long MicrosPerHour = 3_600_000_000L;

    private readonly DiscreteSampler _days;
    private readonly DiscreteSampler _hours;

    public Calendar(DateTime referenceTime)
    {
        ReferenceTime = referenceTime;
        Start = referenceTime.AddDays(-Days);
        var weights = new double[Days];
        var growth = DetMath.Log(GrowthOverWindow);
        for (var d = 0; d < Days; d++)
        {
            var day = Start.AddDays(d);
            weights[d] = DetMath.Exp(growth * d / (Days - 1)) * WeekdayFactors[(int)day.DayOfWeek];
        }

        _days = new DiscreteSampler(weights);
        _hours = new DiscreteSampler(HourFactors);
    }

    public DateTime ReferenceTime { get; }

    /// <summary>Midnight UTC of the window's first day.</summary>
    public DateTime Start { get; }

    /// <summary>A creation time (ticks, microsecond resolution) on a day in [firstDay, lastDay] (0 = oldest, Days-1 = the last).</summary>
    public long Sample(Prng rng, int firstDay, int lastDay)
    {
        var day = _days.SampleRange(rng, firstDay, lastDay);
        var hour = _hours.Sample(rng);
        var micros = (((long)day * 24) + hour) * MicrosPerHour + rng.NextLong(MicrosPerHour);
        return Start.Ticks + (micros * 10);
    }
}
