using System.Globalization;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using QueryLab.Queries.Catalog;
using QueryLab.Queries.Model;

namespace QueryLab.Queries.Scenarios;

/// <summary>A page of in-transit shipments that starts at (and includes) the shipment (<see cref="StartCreatedAt"/>, <see cref="StartId"/>).</summary>
public sealed record InTransitPage(int Page, int PageSize, DateTime StartCreatedAt, Guid StartId);

/// <summary>in-transit-with-carrier-and-latest-event: the classic N+1, and the one-round-trip ways out of it.</summary>
public sealed class InTransitWithCarrierAndLatestEvent : ReadScenario<InTransitPage, InTransitRow>
{
    public const int PageSize = 200;

    /// <summary>How many pages (from the newest) the operations rotate over.</summary>
    public const int RotatedPages = 10;

    // The page: in-transit shipments from the start cursor on, newest first. 'in_transit' is part of the
    // question (a literal, as EF Core writes a C# constant); the cursor and the page size are parameters.
    private const string PageFrom = " FROM querylab.shipments s WHERE s.status = 'in_transit' AND (s.created_at, s.id) <= ";
    private const string PageOrder = " ORDER BY s.created_at DESC, s.id DESC LIMIT ";
    private const string Page = "SELECT s.id, s.tracking_number, s.created_at, s.carrier_id" + PageFrom + "($1, $2)" + PageOrder + "$3";
    private const string DapperPage = "SELECT s.id, s.tracking_number, s.created_at, s.carrier_id" + PageFrom + "(@StartCreatedAt, @StartId)" + PageOrder + "@PageSize";

    private const string Columns = "p.id, p.tracking_number, p.created_at, c.code, c.name, e.occurred_at, e.status, e.location";
    private const string DapperColumns =
        "p.id AS \"ShipmentId\", p.tracking_number AS \"TrackingNumber\", p.created_at AS \"CreatedAt\", "
        + "c.code AS \"CarrierCode\", c.name AS \"CarrierName\", e.occurred_at AS \"OccurredAt\", e.status AS \"Status\", e.location AS \"Location\"";

    private const string LateralJoin =
        " JOIN querylab.carriers c ON c.id = p.carrier_id"
        + " LEFT JOIN LATERAL (SELECT te.occurred_at, te.status, te.location FROM querylab.tracking_events te"
        + " WHERE te.shipment_id = p.id ORDER BY te.occurred_at DESC, te.id DESC LIMIT 1) e ON true"
        + " ORDER BY p.created_at DESC, p.id DESC";

    private const string LateralSql = "SELECT " + Columns + " FROM (" + Page + ") p" + LateralJoin;

    // EF Core's SqlQueryRaw maps columns to InTransitRow's properties by name; {0}… are its parameters.
    private const string EfColumns =
        "p.id AS \"ShipmentId\", p.tracking_number AS \"TrackingNumber\", p.created_at AS \"CreatedAt\", "
        + "c.code AS \"CarrierCode\", c.name AS \"CarrierName\", e.occurred_at AS \"LatestEventAt\", e.status AS \"LatestEventStatus\", e.location AS \"LatestEventLocation\"";

    private const string EfLateralSql =
        "SELECT " + EfColumns + " FROM (SELECT s.id, s.tracking_number, s.created_at, s.carrier_id" + PageFrom + "({0}, {1})" + PageOrder + "{2}) p" + LateralJoin;
    private const string DapperLateralSql = "SELECT " + DapperColumns + " FROM (" + DapperPage + ") p" + LateralJoin;

    private const string DistinctOnSql =
        "WITH page AS (" + Page + ")"
        + " SELECT " + Columns + " FROM page p JOIN querylab.carriers c ON c.id = p.carrier_id"
        + " LEFT JOIN (SELECT DISTINCT ON (te.shipment_id) te.shipment_id, te.occurred_at, te.status, te.location"
        + " FROM querylab.tracking_events te WHERE te.shipment_id IN (SELECT id FROM page)"
        + " ORDER BY te.shipment_id, te.occurred_at DESC, te.id DESC) e ON e.shipment_id = p.id"
        + " ORDER BY p.created_at DESC, p.id DESC";

    // Dapper N+1: the page with its carrier (one statement), then one statement per shipment.
    private const string DapperPageWithCarrier =
        "SELECT s.id AS \"ShipmentId\", s.tracking_number AS \"TrackingNumber\", s.created_at AS \"CreatedAt\", c.code AS \"CarrierCode\", c.name AS \"CarrierName\""
        + " FROM querylab.shipments s JOIN querylab.carriers c ON c.id = s.carrier_id"
        + " WHERE s.status = 'in_transit' AND (s.created_at, s.id) <= (@StartCreatedAt, @StartId)"
        + PageOrder + "@PageSize";

    private const string DapperLatestEvent =
        "SELECT occurred_at AS \"OccurredAt\", status AS \"Status\", location AS \"Location\" FROM querylab.tracking_events"
        + " WHERE shipment_id = @ShipmentId ORDER BY occurred_at DESC, id DESC LIMIT 1";

    public override string Name => "in-transit-with-carrier-and-latest-event";

    public override string Description =>
        $"A page of {PageSize} in-transit shipments (newest first), each with its carrier and its latest tracking event: the tracking board. "
        + "The classic N+1 (1 + 200 round trips) against one or two: EF Core's projection (correlated subqueries), its filtered Include (ROW_NUMBER over every event) and split query, its SqlQueryRaw, hand-written LATERAL and DISTINCT ON.";

    public override string Parameters =>
        $"The first {RotatedPages} pages of {PageSize} in-transit shipments (fewer where the data has fewer full pages; tiny: 1 partial page), "
        + "in rotation. Each page starts at (and includes) its first shipment's (created_at, id), read from the data in the scenario's order.";

    protected override async Task<IReadOnlyList<InTransitPage>> PickParametersAsync(CatalogContext lab, CancellationToken ct)
    {
        await using var cmd = lab.HarnessDataSource.CreateCommand(
            "SELECT n, created_at, id FROM (SELECT row_number() OVER (ORDER BY created_at DESC, id DESC) AS n, created_at, id, count(*) OVER () AS total "
            + "FROM querylab.shipments WHERE status = 'in_transit') t "
            + "WHERE (n - 1) % $1 = 0 AND (n = 1 OR n + $1 - 1 <= total) ORDER BY n LIMIT $2");
        cmd.Parameters.Add(new NpgsqlParameter<long> { TypedValue = PageSize });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = RotatedPages });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var pages = new List<InTransitPage>();
        while (await r.ReadAsync(ct))
        {
            pages.Add(new InTransitPage((int)((r.GetInt64(0) - 1) / PageSize) + 1, PageSize, r.GetDateTime(1), r.GetGuid(2)));
        }

        return pages;
    }

    protected override string Describe(InTransitPage p) =>
        string.Create(CultureInfo.InvariantCulture, $"page {p.Page} (from {p.StartCreatedAt:O}, {p.StartId})");

    protected override IEnumerable<ReadVariant<InTransitPage, InTransitRow>> DefineVariants()
    {
        yield return new("ef-n-plus-1", Library.EfCore, "N+1 loop: the page with Include(Carrier) (a join), then one query per shipment for its latest event: 1 + N round trips, EF opening and closing the pooled connection around each (its default)", async (lab, p, ct) =>
        {
            await using var db = await lab.EfFactory.CreateDbContextAsync(ct);
            var page = await PageQuery(db, p).Include(s => s.Carrier).ToListAsync(ct);
            var rows = new List<InTransitRow>(page.Count);
            foreach (var s in page)
            {
                var id = s.Id;
                var latest = await db.TrackingEvents.AsNoTracking()
                    .Where(e => e.ShipmentId == id)
                    .OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id)
                    .FirstOrDefaultAsync(ct);
                rows.Add(InTransitRow.From(s, s.Carrier!, latest));
            }

            return rows;
        }) { Form = VariantForm.Naive };
        yield return new("dapper-n-plus-1", Library.Dapper, "N+1 loop: the page joined to carriers, then one query per shipment for its latest event: 1 + N round trips on one open connection", async (lab, p, ct) =>
        {
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            var page = await conn.QueryAsync<PageRow>(new CommandDefinition(DapperPageWithCarrier, new { p.StartCreatedAt, p.StartId, p.PageSize }, cancellationToken: ct));
            var rows = new List<InTransitRow>(p.PageSize);
            foreach (var s in page)
            {
                var e = await conn.QueryFirstOrDefaultAsync<EventPart>(new CommandDefinition(DapperLatestEvent, new { s.ShipmentId }, cancellationToken: ct));
                rows.Add(new InTransitRow(s.ShipmentId, s.TrackingNumber, s.CreatedAt, s.CarrierCode, s.CarrierName, e?.OccurredAt, e?.Status, e?.Location));
            }

            return rows;
        }) { Form = VariantForm.Naive };
        yield return new("ef-include-filtered", Library.EfCore, "Include(Carrier) + filtered Include(Events.OrderByDescending.Take(1)), AsNoTracking: one round trip, the latest event by ROW_NUMBER() over all tracking events", async (lab, p, ct) =>
        {
            await using var db = await lab.EfFactory.CreateDbContextAsync(ct);
            var page = await IncludeLatest(PageQuery(db, p)).ToListAsync(ct);
            return page.ConvertAll(s => InTransitRow.From(s, s.Carrier!, s.Events.FirstOrDefault()));
        }) { Form = VariantForm.Naive };
        yield return new("ef-split-query", Library.EfCore, "the same filtered Include with AsSplitQuery: 2 round trips (the page, then its events joined to the page again)", async (lab, p, ct) =>
        {
            await using var db = await lab.EfFactory.CreateDbContextAsync(ct);
            var page = await IncludeLatest(PageQuery(db, p)).AsSplitQuery().ToListAsync(ct);
            return page.ConvertAll(s => InTransitRow.From(s, s.Carrier!, s.Events.FirstOrDefault()));
        }) { Form = VariantForm.Alternative };
        // EF Core's idiomatic form. A FirstOrDefault() of the event as one object (new { e.OccurredAt, e.Status, … }) is
        // not written as OUTER APPLY / LATERAL: EF Core lifts it into a join on ROW_NUMBER() over every tracking event,
        // like the filtered Include (about 70x the time on small). One scalar subquery per column is, each an index probe.
        yield return new("ef-projection", Library.EfCore, "AsNoTracking LINQ projection, the latest event's three columns each a correlated OrderByDescending…Select(column).FirstOrDefault() (a scalar subquery … LIMIT 1 per column, each an index probe): one round trip, EF Core's idiomatic form of this query", async (lab, p, ct) =>
        {
            await using var db = await lab.EfFactory.CreateDbContextAsync(ct);
            var rows = await PageQuery(db, p)
                .Select(s => new
                {
                    s.Id,
                    s.TrackingNumber,
                    s.CreatedAt,
                    CarrierCode = s.Carrier!.Code,
                    CarrierName = s.Carrier.Name,
                    At = s.Events.OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id).Select(e => (DateTime?)e.OccurredAt).FirstOrDefault(),
                    Status = s.Events.OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id).Select(e => e.Status).FirstOrDefault(),
                    Location = s.Events.OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id).Select(e => e.Location).FirstOrDefault(),
                })
                .ToListAsync(ct);
            return rows.ConvertAll(r => new InTransitRow(r.Id, r.TrackingNumber, r.CreatedAt, r.CarrierCode, r.CarrierName, r.At, r.Status, r.Location));
        });
        yield return new("ef-sqlquery-lateral", Library.EfCore, "Database.SqlQueryRaw<InTransitRow> with the hand-written LEFT JOIN LATERAL: EF Core only materialises", async (lab, p, ct) =>
        {
            await using var db = await lab.EfFactory.CreateDbContextAsync(ct);
            return await db.Database.SqlQueryRaw<InTransitRow>(EfLateralSql, p.StartCreatedAt, p.StartId, p.PageSize).ToListAsync(ct);
        }) { Form = VariantForm.Alternative };
        yield return new("dapper-lateral", Library.Dapper, "multi-mapping (shipment, carrier, event) over LEFT JOIN LATERAL", async (lab, p, ct) =>
        {
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            var rows = await conn.QueryAsync<ShipmentPart, CarrierPart, EventPart?, InTransitRow>(
                new CommandDefinition(DapperLateralSql, new { p.StartCreatedAt, p.StartId, p.PageSize }, cancellationToken: ct),
                (s, c, e) => new InTransitRow(s.ShipmentId, s.TrackingNumber, s.CreatedAt, c.CarrierCode, c.CarrierName, e?.OccurredAt, e?.Status, e?.Location),
                splitOn: "CarrierCode,OccurredAt");
            return rows.AsList();
        });
        yield return new("npgsql-lateral", Library.Npgsql, "prepared command, page subquery + LEFT JOIN LATERAL (… LIMIT 1)", async (lab, p, ct) =>
        {
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            await using var cmd = new NpgsqlCommand(LateralSql, conn);
            return await ReadPageAsync(cmd, p, ct);
        }, IsBaseline: true);
        yield return new("npgsql-distinct-on", Library.Npgsql, "prepared command, page CTE + DISTINCT ON (shipment_id) over its events", async (lab, p, ct) =>
        {
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            await using var cmd = new NpgsqlCommand(DistinctOnSql, conn);
            return await ReadPageAsync(cmd, p, ct);
        }) { Form = VariantForm.Alternative };
    }

    /// <summary>The page in LINQ: no tracking, the inclusive keyset start as a row-value comparison, newest first.</summary>
    private static IQueryable<Shipment> PageQuery(LabDbContext db, InTransitPage p)
    {
        var (startCreatedAt, startId, size) = (p.StartCreatedAt, p.StartId, p.PageSize);
        return db.Shipments.AsNoTracking()
            .Where(s => s.Status == ShipmentStatus.InTransit
                && EF.Functions.LessThanOrEqual(ValueTuple.Create(s.CreatedAt, s.Id), ValueTuple.Create(startCreatedAt, startId)))
            .OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id)
            .Take(size);
    }

    private static IQueryable<Shipment> IncludeLatest(IQueryable<Shipment> page) =>
        page.Include(s => s.Carrier)
            .Include(s => s.Events.OrderByDescending(e => e.OccurredAt).ThenByDescending(e => e.Id).Take(1));

    private static async Task<IReadOnlyList<InTransitRow>> ReadPageAsync(NpgsqlCommand cmd, InTransitPage p, CancellationToken ct)
    {
        cmd.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = p.StartCreatedAt });
        cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = p.StartId });
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = p.PageSize });
        await cmd.PrepareAsync(ct);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<InTransitRow>(p.PageSize);
        while (await r.ReadAsync(ct))
        {
            rows.Add(InTransitRow.Read(r));
        }

        return rows;
    }

    private sealed record PageRow(Guid ShipmentId, string TrackingNumber, DateTime CreatedAt, string CarrierCode, string CarrierName);

    private sealed record ShipmentPart(Guid ShipmentId, string TrackingNumber, DateTime CreatedAt);

    private sealed record CarrierPart(string CarrierCode, string CarrierName);

    private sealed record EventPart(DateTime OccurredAt, string Status, string Location);
}
