using System.Globalization;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using QueryLab.Queries.Catalog;
using QueryLab.Queries.Model;

namespace QueryLab.Queries.Scenarios;

/// <summary>
/// One carrier's scorecard: its shipments created in the window by status, and the median and mean delivery
/// time (delivered_at − created_at of its delivered shipments) in hours rounded to 0.01, null when none was delivered.
/// </summary>
public sealed record CarrierScorecardRow(
    int CarrierId,
    string CarrierCode,
    long Shipments,
    long Pending,
    long InTransit,
    long OutForDelivery,
    long Delivered,
    long Exception,
    long Returned,
    long Cancelled,
    decimal? MedianDeliveryHours,
    decimal? MeanDeliveryHours);

/// <summary>A window of shipment creation times, [Start, End).</summary>
public sealed record ScorecardWindow(DateTime Start, DateTime End)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"created in [{Start:yyyy-MM-dd}, {End:yyyy-MM-dd})");
}

/// <summary>
/// carrier-scorecard: per carrier, shipments of the last 30 days by status with median and mean delivery time.
/// </summary>
/// <remarks>
/// Exactness: a delivery time is taken in whole microseconds (timestamps are microseconds, so this is exact, a
/// bigint). The median of integers is an integer or a half (exact in float8, so percentile_cont's interpolation
/// loses nothing), the mean is a numeric avg (exact, and independent of row order — a float8 avg would change
/// with the plan's order of rows, parallel ones included). Both are divided by 3.6e9 and rounded to 0.01 half away
/// from zero. The mean is computed in SQL by the same numeric operations in every variant (avg, division, round). The
/// median's last step differs (percentile_cont / 3.6e9 in SQL; (lo + hi) / 7.2e9 in ef-linq's SQL; decimal and
/// MidpointRounding.AwayFromZero in C# for ef-linq-client-median), but a median's quotient that is not a tie is at
/// least 1.4e-10 from one, far beyond numeric's 16 significant digits, so all round alike.
/// Plans: ef-linq's correlated subqueries run twice per carrier (a scan of the carrier's window each), and their
/// estimated cost passes jit_above_cost, so with jit = on PostgreSQL compiles the query first (≈1 s on small).
/// </remarks>
public sealed class CarrierScorecard : ReadScenario<ScorecardWindow, CarrierScorecardRow>
{
    private const int WindowDays = 30;
    private const int WindowEnds = 14;
    private const decimal MicrosecondsPerHour = 3_600_000_000m;

    /// <summary>delivered_at − created_at in microseconds; NULL for shipments not delivered (aggregates skip them).</summary>
    private const string DeliveryUs = "(extract(epoch FROM s.delivered_at - s.created_at) * 1000000)::bigint";

    private const string Select =
        "SELECT s.carrier_id AS \"CarrierId\", c.code AS \"CarrierCode\", count(*) AS \"Shipments\", "
        + "count(*) FILTER (WHERE s.status = 'pending') AS \"Pending\", "
        + "count(*) FILTER (WHERE s.status = 'in_transit') AS \"InTransit\", "
        + "count(*) FILTER (WHERE s.status = 'out_for_delivery') AS \"OutForDelivery\", "
        + "count(*) FILTER (WHERE s.status = 'delivered') AS \"Delivered\", "
        + "count(*) FILTER (WHERE s.status = 'exception') AS \"Exception\", "
        + "count(*) FILTER (WHERE s.status = 'returned') AS \"Returned\", "
        + "count(*) FILTER (WHERE s.status = 'cancelled') AS \"Cancelled\", "
        + "round((percentile_cont(0.5) WITHIN GROUP (ORDER BY " + DeliveryUs + "))::numeric / 3600000000, 2) AS \"MedianDeliveryHours\", "
        + "round(avg(" + DeliveryUs + ") / 3600000000, 2) AS \"MeanDeliveryHours\" "
        + "FROM querylab.shipments s JOIN querylab.carriers c ON c.id = s.carrier_id ";

    private const string Tail = " GROUP BY s.carrier_id, c.code ORDER BY s.carrier_id";
    private const string Sql = Select + "WHERE s.created_at >= $1 AND s.created_at < $2" + Tail;
    private const string DapperSql = Select + "WHERE s.created_at >= @Start AND s.created_at < @End" + Tail;
    private const string EfSql = Select + "WHERE s.created_at >= {0} AND s.created_at < {1}" + Tail;

    public override string Name => "carrier-scorecard";

    public override string Description =>
        "Per carrier, the shipments created in the last 30 days by status and the median and mean delivery time in hours: "
        + "an operations dashboard's scorecard. The median is an ordered-set aggregate (percentile_cont) that LINQ has no "
        + "operator for, so it shows what each library makes of a query beyond GROUP BY basics.";

    public override string Parameters =>
        $"{WindowEnds} windows of {WindowDays} days of creation time ending at the reference time and at each of the "
        + $"{WindowEnds - 1} midnights before it, used in rotation.";

    protected override Task<IReadOnlyList<ScorecardWindow>> PickParametersAsync(CatalogContext lab, CancellationToken ct)
    {
        var lastEnd = lab.ReferenceTime.Date;
        IReadOnlyList<ScorecardWindow> windows = Enumerable.Range(0, WindowEnds)
            .Select(k => DateTime.SpecifyKind(lastEnd.AddDays(-k), DateTimeKind.Utc))
            .Select(end => new ScorecardWindow(end.AddDays(-WindowDays), end))
            .ToList();
        return Task.FromResult(windows);
    }

    protected override string Describe(ScorecardWindow parameter) => parameter.ToString();

    protected override IEnumerable<ReadVariant<ScorecardWindow, CarrierScorecardRow>> DefineVariants()
    {
        yield return new("ef-linq", Library.EfCore,
            "one LINQ query: GroupBy with conditional LongCounts (COUNT(*) FILTER) and Average; EF Core has no percentile_cont, "
            + "so the median is two correlated subqueries per carrier (ORDER BY delivery time OFFSET (n-1)/2 and n/2 LIMIT 1) averaged in SQL",
            async (lab, w, ct) =>
            {
                await using var db = await lab.EfFactory.CreateDbContextAsync(ct);
                var (window, deliveredUs) = Windowed(db, w);
                return await Grouped(window)
                    .Select(x => new
                    {
                        Card = x,
                        Lo = deliveredUs.Where(d => d.CarrierId == x.CarrierId).OrderBy(d => d.Us).Select(d => (long?)d.Us)
                            .Skip((int)((x.Timed - 1) / 2)).FirstOrDefault(),
                        Hi = deliveredUs.Where(d => d.CarrierId == x.CarrierId).OrderBy(d => d.Us).Select(d => (long?)d.Us)
                            .Skip((int)(x.Timed / 2)).FirstOrDefault(),
                    })
                    .Select(x => new CarrierScorecardRow(
                        x.Card.CarrierId, x.Card.CarrierCode, x.Card.Shipments, x.Card.Pending, x.Card.InTransit, x.Card.OutForDelivery,
                        x.Card.Delivered, x.Card.Exception, x.Card.Returned, x.Card.Cancelled,
                        // .Value only types the expression: in SQL a NULL (no delivered shipment) propagates to a NULL median.
                        (decimal?)Math.Round((decimal)(x.Lo!.Value + x.Hi!.Value) / (2 * MicrosecondsPerHour), 2),
                        x.Card.MeanDeliveryHours))
                    .ToListAsync(ct);
            }) { Form = VariantForm.Alternative };
        yield return new("ef-linq-client-median", Library.EfCore,
            "two LINQ queries: GroupBy for the counts and the mean, then every delivered shipment's delivery time (ordered by carrier, time) "
            + "from which the median is picked in C# — what a LINQ-only codebase often does",
            async (lab, w, ct) =>
            {
                await using var db = await lab.EfFactory.CreateDbContextAsync(ct);
                var (window, deliveredUs) = Windowed(db, w);
                var cards = await Grouped(window).ToListAsync(ct);
                var times = await deliveredUs.OrderBy(d => d.CarrierId).ThenBy(d => d.Us).ToListAsync(ct);
                var byCarrier = times.GroupBy(d => d.CarrierId).ToDictionary(g => g.Key, g => g.Select(d => d.Us).ToList());
                return cards.Select(c => new CarrierScorecardRow(
                        c.CarrierId, c.CarrierCode, c.Shipments, c.Pending, c.InTransit, c.OutForDelivery,
                        c.Delivered, c.Exception, c.Returned, c.Cancelled,
                        byCarrier.TryGetValue(c.CarrierId, out var sorted) ? MedianHours(sorted) : null,
                        c.MeanDeliveryHours))
                    .ToList();
            }) { Form = VariantForm.Naive };
        yield return new("ef-sqlquery", Library.EfCore, "Database.SqlQueryRaw<T> with the hand-written SQL (percentile_cont), EF Core only materialises", async (lab, w, ct) =>
        {
            await using var db = await lab.EfFactory.CreateDbContextAsync(ct);
            return await db.Database.SqlQueryRaw<CarrierScorecardRow>(EfSql, w.Start, w.End).ToListAsync(ct);
        }); // EF Core's best form here: LINQ has no percentile_cont, and SqlQueryRaw is EF Core's own way to write it
        yield return new("dapper", Library.Dapper, "hand-written GROUP BY with COUNT(*) FILTER, percentile_cont and avg", async (lab, w, ct) =>
        {
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            var rows = await conn.QueryAsync<CarrierScorecardRow>(new CommandDefinition(DapperSql, new { w.Start, w.End }, cancellationToken: ct));
            return rows.AsList();
        });
        yield return new("npgsql", Library.Npgsql, "hand-written GROUP BY with COUNT(*) FILTER, percentile_cont and avg, not prepared", async (lab, w, ct) =>
        {
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            await using var cmd = new NpgsqlCommand(Sql, conn);
            cmd.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = w.Start });
            cmd.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = w.End });
            await using var r = await cmd.ExecuteReaderAsync(ct);
            var rows = new List<CarrierScorecardRow>();
            while (await r.ReadAsync(ct))
            {
                rows.Add(new CarrierScorecardRow(
                    r.GetInt32(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), r.GetInt64(5), r.GetInt64(6),
                    r.GetInt64(7), r.GetInt64(8), r.GetInt64(9),
                    r.IsDBNull(10) ? null : r.GetDecimal(10),
                    r.IsDBNull(11) ? null : r.GetDecimal(11)));
            }

            return rows;
        }, IsBaseline: true);
    }

    /// <summary>The window's shipments, and the delivery time in microseconds of those delivered.</summary>
    private static (IQueryable<Shipment> Window, IQueryable<DeliveryTime> DeliveredUs) Windowed(LabDbContext db, ScorecardWindow w)
    {
        var start = w.Start;
        var end = w.End;
        var window = db.Shipments.AsNoTracking().Where(s => s.CreatedAt >= start && s.CreatedAt < end);
        // TotalSeconds is date_part('epoch', interval), a float8 within an ulp of the exact seconds, so rounding
        // seconds × 10^6 gives the exact microseconds (the raw SQL's extract(epoch …) is exact numeric: same values).
        var delivered = window.Where(s => s.DeliveredAt != null)
            .Select(s => new DeliveryTime { CarrierId = s.CarrierId, Us = (long)Math.Round((s.DeliveredAt!.Value - s.CreatedAt).TotalSeconds * 1_000_000) });
        return (window, delivered);
    }

    /// <summary>Per carrier (ordered by id): the counts, the mean delivery time, and how many delivery times there are.</summary>
    private static IQueryable<Card> Grouped(IQueryable<Shipment> window) =>
        window
            .GroupBy(s => new { s.CarrierId, s.Carrier!.Code })
            .OrderBy(g => g.Key.CarrierId)
            .Select(g => new Card
            {
                CarrierId = g.Key.CarrierId,
                CarrierCode = g.Key.Code,
                Shipments = g.LongCount(),
                Pending = g.LongCount(s => s.Status == ShipmentStatus.Pending),
                InTransit = g.LongCount(s => s.Status == ShipmentStatus.InTransit),
                OutForDelivery = g.LongCount(s => s.Status == ShipmentStatus.OutForDelivery),
                Delivered = g.LongCount(s => s.Status == ShipmentStatus.Delivered),
                Exception = g.LongCount(s => s.Status == ShipmentStatus.Exception),
                Returned = g.LongCount(s => s.Status == ShipmentStatus.Returned),
                Cancelled = g.LongCount(s => s.Status == ShipmentStatus.Cancelled),
                Timed = g.LongCount(s => s.DeliveredAt != null),
                // avg over numeric (exact, order-independent), then round(numeric, 2) in SQL; .Value only types it (NULL propagates).
                MeanDeliveryHours = (decimal?)Math.Round(
                    g.Average(s => (decimal?)(long)Math.Round((s.DeliveredAt!.Value - s.CreatedAt).TotalSeconds * 1_000_000))!.Value / MicrosecondsPerHour, 2),
            });

    /// <summary>percentile_cont(0.5) of sorted integers: the middle one, or the mean of the two middle ones; then hours to 0.01, half away from zero like round(numeric).</summary>
    private static decimal MedianHours(List<long> sorted)
    {
        var n = sorted.Count;
        var twiceMedian = (decimal)sorted[(n - 1) / 2] + sorted[n / 2];
        return Math.Round(twiceMedian / (2 * MicrosecondsPerHour), 2, MidpointRounding.AwayFromZero);
    }

    /// <summary>A delivered shipment's carrier and delivery time (a member-init type: later LINQ operators can use its members).</summary>
    private sealed class DeliveryTime
    {
        public int CarrierId { get; init; }

        public long Us { get; init; }
    }

    /// <summary>What EF Core's GROUP BY projects into (a member-init type, so later operators can refer to its members).</summary>
    private sealed class Card
    {
        public int CarrierId { get; init; }

        public required string CarrierCode { get; init; }

        public long Shipments { get; init; }

        public long Pending { get; init; }

        public long InTransit { get; init; }

        public long OutForDelivery { get; init; }

        public long Delivered { get; init; }

        public long Exception { get; init; }

        public long Returned { get; init; }

        public long Cancelled { get; init; }

        /// <summary>Shipments with a delivery time (delivered_at not null): the n of the median.</summary>
        public long Timed { get; init; }

        public decimal? MeanDeliveryHours { get; init; }
    }
}
