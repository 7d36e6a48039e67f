namespace QueryLab.Seed.Seeding;

/// <summary>
/// The events of one shipment, planned from its status: which events, where, and when. Times only move forward and
/// never reach the reference time. Reused per chunk (not thread-safe).
/// </summary>
internal sealed class Timeline
{
    public const int MaxEvents = 11;

    /// <summary>P(number of sorting-facility hops = 0, 1, 2, 3).</summary>
    public static readonly double[] HopWeights = [0.30, 0.45, 0.20, 0.05];

    private const long TicksPerHour = TimeSpan.TicksPerHour;
    private const long TicksPerMicro = 10;

    private readonly Calendar _calendar;
    private readonly DiscreteSampler _hops = new(HopWeights);
    private readonly long _end;
    private readonly long[] _gaps = new long[MaxEvents];

    public Timeline(Calendar calendar)
    {
        _calendar = calendar;
        _end = calendar.ReferenceTime.Ticks;
    }

    public int Count { get; private set; }

    public EventStatus[] Statuses { get; } = new EventStatus[MaxEvents];

    public Place[] Places { get; } = new Place[MaxEvents];

    /// <summary>Event times (ticks, UTC, microsecond resolution); [0] is the shipment's created_at.</summary>
    public long[] Times { get; } = new long[MaxEvents];

    public long CreatedAt => Times[0];

    public long LastAt => Times[Count - 1];

    /// <summary>The time of the delivered event, or 0.</summary>
    public long DeliveredAt => Statuses[Count - 1] == EventStatus.Delivered ? Times[Count - 1] : 0;

    public void Plan(ShipmentStatus status, Prng rng)
    {
        Count = 0;
        Add(EventStatus.LabelCreated, 0, Place.Origin);
        switch (status)
        {
            case ShipmentStatus.Pending:
                PlaceFrom(_calendar.Sample(rng, Calendar.Days - 14, Calendar.Days - 1));
                return;
            case ShipmentStatus.Cancelled:
                Add(EventStatus.Cancelled, Hours(rng.Uniform(1, 72)), Place.Origin);
                PlaceFinal(rng);
                return;
        }

        Add(EventStatus.PickedUp, Hours(Math.Clamp(rng.NextLogNormal(2.302585092994046, 0.8), 0.5, 96)), Place.Origin);
        Add(EventStatus.InTransit, Hours(rng.Uniform(1, 8)), Place.Previous);
        var hops = _hops.Sample(rng);
        for (var h = 0; h < hops; h++)
        {
            if (h > 0)
            {
                Add(EventStatus.InTransit, Hours(rng.Uniform(2, 10)), Place.Previous);
            }

            Add(EventStatus.ArrivedAtFacility, Hours(rng.Uniform(8, 36)), h < (hops + 1) / 2 ? Place.OriginHub : Place.DestinationHub);
        }

        switch (status)
        {
            case ShipmentStatus.InTransit:
                if (hops > 0 && rng.Chance(0.5))
                {
                    Add(EventStatus.InTransit, Hours(rng.Uniform(2, 10)), Place.Previous);
                }

                PlaceInTransit(rng);
                return;
            case ShipmentStatus.OutForDelivery:
                Add(EventStatus.OutForDelivery, Hours(rng.Uniform(6, 20)), Place.Destination);
                PlaceBackFrom(_end - Hours(rng.Uniform(0.5, 10)));
                return;
            case ShipmentStatus.Delivered:
                Add(EventStatus.OutForDelivery, Hours(rng.Uniform(6, 20)), Place.Destination);
                Add(EventStatus.Delivered, Hours(rng.Uniform(1, 10)), Place.Destination);
                break;
            case ShipmentStatus.Exception:
                Add(EventStatus.Exception, Hours(rng.Uniform(6, 48)), Place.Previous);
                break;
            case ShipmentStatus.Returned:
                Add(EventStatus.OutForDelivery, Hours(rng.Uniform(6, 20)), Place.Destination);
                Add(EventStatus.Exception, Hours(rng.Uniform(1, 10)), Place.Destination);
                Add(EventStatus.ReturnedToSender, Hours(rng.Uniform(48, 168)), Place.Origin);
                break;
        }

        PlaceFinal(rng);
    }

    private void Add(EventStatus status, long gap, Place place)
    {
        Statuses[Count] = status;
        Places[Count] = place;
        _gaps[Count] = gap;
        Count++;
    }

    /// <summary>Finished shipments are created at least 3 days before the end.</summary>
    private void PlaceFinal(Prng rng) => PlaceFrom(_calendar.Sample(rng, 0, Calendar.Days - 4));

    /// <summary>In transit: created in the last 10 days but not on the last one; events at or after <c>end - 1 min</c> are cut,
    /// keeping at least label, pick-up and the first in-transit scan (compressed into the time available if need be).</summary>
    private void PlaceInTransit(Prng rng)
    {
        var created = _calendar.Sample(rng, Calendar.Days - 10, Calendar.Days - 2);
        var limit = _end - TimeSpan.TicksPerMinute;
        if (created + _gaps[1] + _gaps[2] >= limit)
        {
            Count = 3;
            Compress(limit - created);
        }

        Times[0] = created;
        Accumulate();
        var kept = 3;
        while (kept < Count && Times[kept] < limit)
        {
            kept++;
        }

        Count = kept;
    }

    /// <summary>Out for delivery: the last event is anchored a few hours before the end; created_at follows from the gaps.</summary>
    private void PlaceBackFrom(long lastEventAt)
    {
        Times[0] = lastEventAt - TotalGaps();
        Accumulate();
    }

    /// <summary>created_at is at most 15 minutes before the end; events that would reach <c>end - 1 min</c> are compressed.</summary>
    private void PlaceFrom(long created)
    {
        Times[0] = Math.Min(created, _end - (15 * TimeSpan.TicksPerMinute));
        var available = _end - TimeSpan.TicksPerMinute - Times[0];
        if (TotalGaps() > available)
        {
            Compress(available);
        }

        Accumulate();
    }

    /// <summary>Scales every gap by the same factor so they fit in <paramref name="available"/> ticks (each stays at least one second:
    /// with at most 11 events and at least 14 minutes available the result still ends before the reference time).</summary>
    private void Compress(long available)
    {
        var factor = (double)available / TotalGaps();
        for (var i = 1; i < Count; i++)
        {
            _gaps[i] = Math.Max(TimeSpan.TicksPerSecond, (long)(_gaps[i] * factor) / TicksPerMicro * TicksPerMicro);
        }
    }

    private long TotalGaps()
    {
        var total = 0L;
        for (var i = 1; i < Count; i++)
        {
            total += _gaps[i];
        }

        return total;
    }

    private void Accumulate()
    {
        for (var i = 1; i < Count; i++)
        {
            Times[i] = Times[i - 1] + _gaps[i];
        }
    }

    private static long Hours(double hours) => (long)(hours * 3_600_000_000.0) * TicksPerMicro;
}
