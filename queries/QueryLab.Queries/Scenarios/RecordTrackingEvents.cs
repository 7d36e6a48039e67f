using Dapper;
using Npgsql;
using NpgsqlTypes;
using QueryLab.Queries.Catalog;
using QueryLab.Queries.Model;

namespace QueryLab.Queries.Scenarios;

/// <summary>A tracking event without its id: what a scan feed delivers, and what the read-back compares (ids differ between variants).</summary>
public sealed record TrackingEventRow(Guid ShipmentId, DateTime OccurredAt, string Status, string Location);

/// <summary>One write operation's input: 5 new events for each of 100 shipments (one of several disjoint sets).</summary>
public sealed record EventBatch(int Set, int Sets, IReadOnlyList<TrackingEventRow> Events)
{
    public Guid[] ShipmentIds => Events.Select(e => e.ShipmentId).Distinct().ToArray();
}

/// <summary>record-tracking-events: a scan feed inserts 500 tracking events in one transaction.</summary>
public sealed class RecordTrackingEvents : WriteScenario<EventBatch, TrackingEventRow>
{
    public const int Shipments = 100;
    public const int EventsPerShipment = 5;
    private const int MaxSets = 32;

    // The five scans each shipment gets, in order, and whether they happen at its origin or its destination.
    private static readonly (string Status, bool AtOrigin)[] Scans =
    [
        ("in_transit", true),
        ("arrived_at_facility", true),
        ("in_transit", true),
        ("arrived_at_facility", false),
        ("out_for_delivery", false),
    ];

    private const string Columns = "shipment_id, occurred_at, status, location";
    private const string ValuesSql = "INSERT INTO querylab.tracking_events (" + Columns + ") VALUES ($1, $2, $3, $4)";
    private const string DapperSql = "INSERT INTO querylab.tracking_events (" + Columns + ") VALUES (@ShipmentId, @OccurredAt, @Status, @Location)";
    private const string UnnestSql = "INSERT INTO querylab.tracking_events (" + Columns + ") SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[])";
    private const string CopySql = "COPY querylab.tracking_events (" + Columns + ") FROM STDIN (FORMAT BINARY)";

    public override string Name => "record-tracking-events";

    public override string Description =>
        "Insert 500 tracking events (5 scans for each of 100 shipments) in one transaction, ids from the identity column: the ingest path of a scan feed. "
        + "It shows one statement per row (one round trip each, or batched) against one set-based INSERT … unnest and binary COPY.";

    public override string Parameters =>
        $"Disjoint sets of {Shipments} shipments that are pending, in transit or out for delivery (by uuid, the first {MaxSets} sets at most), used in rotation; "
        + $"each gets {EventsPerShipment} scans after the reference time (every 20 min, staggered by a second per shipment) at its origin, then its destination. Each operation is rolled back.";

    protected override async Task<IReadOnlyList<EventBatch>> PickParametersAsync(CatalogContext lab, CancellationToken ct)
    {
        await using var cmd = lab.HarnessDataSource.CreateCommand(
            "SELECT id, origin, destination FROM querylab.shipments WHERE status IN ('pending', 'in_transit', 'out_for_delivery') ORDER BY id LIMIT $1");
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Shipments * MaxSets });
        var shipments = new List<(Guid Id, string Origin, string Destination)>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                shipments.Add((r.GetGuid(0), r.GetString(1), r.GetString(2)));
            }
        }

        var sets = shipments.Count / Shipments; // a last, incomplete set is dropped: every operation inserts exactly 500 rows
        var batches = new List<EventBatch>();
        for (var set = 0; set < sets; set++)
        {
            var events = new List<TrackingEventRow>(Shipments * EventsPerShipment);
            for (var j = 0; j < Shipments; j++)
            {
                var s = shipments[(set * Shipments) + j];
                for (var k = 0; k < EventsPerShipment; k++)
                {
                    // Whole seconds after the reference time: later than every seeded event, exact in timestamptz.
                    var at = lab.ReferenceTime.AddMinutes(20 * (k + 1)).AddSeconds(j);
                    events.Add(new TrackingEventRow(s.Id, at, Scans[k].Status, Scans[k].AtOrigin ? s.Origin : s.Destination));
                }
            }

            batches.Add(new EventBatch(set + 1, sets, events));
        }

        return batches;
    }

    protected override string Describe(EventBatch p) => $"set {p.Set} of {p.Sets}: {p.Events.Count} events for {Shipments} shipments from {p.Events[0].ShipmentId}";

    protected override async Task<IReadOnlyList<TrackingEventRow>> ReadBackAsync(WriteScope scope, EventBatch p, CancellationToken ct)
    {
        // Seeded events are all before the reference time, so these are exactly the inserted rows.
        await using var cmd = new NpgsqlCommand(
            "SELECT " + Columns + " FROM querylab.tracking_events WHERE shipment_id = ANY($1) AND occurred_at > $2 ORDER BY " + Columns,
            scope.Connection,
            scope.Transaction);
        cmd.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = p.ShipmentIds });
        cmd.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = scope.Lab.ReferenceTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<TrackingEventRow>();
        while (await r.ReadAsync(ct))
        {
            rows.Add(new TrackingEventRow(r.GetGuid(0), r.GetDateTime(1), r.GetString(2), r.GetString(3)));
        }

        return rows;
    }

    protected override IEnumerable<WriteVariant<EventBatch>> DefineVariants()
    {
        yield return new("ef-add-range", Library.EfCore,
            "AddRange of 500 new entities, SaveChanges: batched INSERT … RETURNING id statements (ids from the identity column)",
            async (scope, p, ct) =>
            {
                await using var db = scope.CreateEfContext();
                db.TrackingEvents.AddRange(p.Events.Select(e => new TrackingEvent { ShipmentId = e.ShipmentId, OccurredAt = e.OccurredAt, Status = e.Status, Location = e.Location }));
                return await db.SaveChangesAsync(ct);
            });
        yield return new("dapper-execute-many", Library.Dapper,
            "Execute with an IEnumerable of 500 parameter objects: Dapper runs the INSERT once per object, 500 round trips",
            async (scope, p, ct) => await scope.Connection.ExecuteAsync(new CommandDefinition(DapperSql, p.Events, scope.Transaction, cancellationToken: ct))) { Form = VariantForm.Naive };
        yield return new("npgsql-batch", Library.Npgsql,
            "NpgsqlBatch of 500 single-row INSERTs: one round trip, 500 statements",
            async (scope, p, ct) =>
            {
                await using var batch = new NpgsqlBatch(scope.Connection, scope.Transaction);
                foreach (var e in p.Events)
                {
                    var c = new NpgsqlBatchCommand(ValuesSql);
                    c.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = e.ShipmentId });
                    c.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = e.OccurredAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                    c.Parameters.Add(new NpgsqlParameter<string> { TypedValue = e.Status });
                    c.Parameters.Add(new NpgsqlParameter<string> { TypedValue = e.Location });
                    batch.BatchCommands.Add(c);
                }

                return await batch.ExecuteNonQueryAsync(ct);
            }) { Form = VariantForm.Alternative };
        yield return new("npgsql-unnest", Library.Npgsql,
            "one INSERT … SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[]): four arrays, one statement",
            async (scope, p, ct) =>
            {
                var n = p.Events.Count;
                var ids = new Guid[n];
                var times = new DateTime[n];
                var statuses = new string[n];
                var locations = new string[n];
                for (var i = 0; i < n; i++)
                {
                    (ids[i], times[i], statuses[i], locations[i]) = p.Events[i];
                }

                await using var cmd = new NpgsqlCommand(UnnestSql, scope.Connection, scope.Transaction);
                cmd.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = ids });
                cmd.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = times, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
                cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = statuses });
                cmd.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = locations });
                return await cmd.ExecuteNonQueryAsync(ct);
            }, IsBaseline: true);
        yield return new("npgsql-copy", Library.Npgsql,
            "binary COPY … FROM STDIN through NpgsqlBinaryImporter, inside the operation's transaction",
            async (scope, p, ct) =>
            {
                await using var importer = await scope.Connection.BeginBinaryImportAsync(CopySql, ct);
                foreach (var e in p.Events)
                {
                    await importer.StartRowAsync(ct);
                    await importer.WriteAsync(e.ShipmentId, NpgsqlDbType.Uuid, ct);
                    await importer.WriteAsync(e.OccurredAt, NpgsqlDbType.TimestampTz, ct);
                    await importer.WriteAsync(e.Status, NpgsqlDbType.Varchar, ct);
                    await importer.WriteAsync(e.Location, NpgsqlDbType.Varchar, ct);
                }

                return (long)await importer.CompleteAsync(ct);
            });
    }
}
