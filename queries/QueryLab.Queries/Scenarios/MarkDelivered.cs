using Dapper;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using QueryLab.Queries.Catalog;
using QueryLab.Queries.Model;

namespace QueryLab.Queries.Scenarios;

/// <summary>One write operation's input: 100 shipments still on their way (one of several disjoint sets).</summary>
public sealed record DeliveryBatch(int Set, int Sets, IReadOnlyList<Guid> Ids);

/// <summary>A shipment's delivery columns as the write left them.</summary>
public sealed record DeliveredRow(Guid Id, string Status, DateTime UpdatedAt, DateTime? DeliveredAt);

/// <summary>mark-delivered: a carrier's end-of-round feed marks 100 shipments delivered at once.</summary>
public sealed class MarkDelivered : WriteScenario<DeliveryBatch, DeliveredRow>
{
    public const int BatchSize = 100;
    private const int MaxSets = 32;

    // status is a literal (it never varies); the time and the ids are parameters. The time is the dataset's
    // reference time, never now(): every variant and every run writes the same values.
    private const string AnySql = "UPDATE querylab.shipments SET status = 'delivered', updated_at = $1, delivered_at = $1 WHERE id = ANY($2)";
    private const string DapperSql = "UPDATE querylab.shipments SET status = 'delivered', updated_at = @At, delivered_at = @At WHERE id = ANY(@Ids)";
    private const string OneSql = "UPDATE querylab.shipments SET status = 'delivered', updated_at = $1, delivered_at = $1 WHERE id = $2";

    public override string Name => "mark-delivered";

    public override string Description =>
        "Set 100 given shipments to delivered with their updated_at and delivered_at, in one transaction: the bulk status update of a delivery feed. "
        + "It shows what loading entities to change them costs against set-based UPDATEs, and one statement against a batch of 100.";

    public override string Parameters =>
        $"Disjoint sets of {BatchSize} shipments in transit or out for delivery (by uuid, the first {MaxSets} sets at most), used in rotation; "
        + "the time written is the dataset's reference time, passed as a parameter. Each operation is rolled back.";

    protected override async Task<IReadOnlyList<DeliveryBatch>> PickParametersAsync(CatalogContext lab, CancellationToken ct)
    {
        await using var cmd = lab.HarnessDataSource.CreateCommand(
            "SELECT id FROM querylab.shipments WHERE status IN ('in_transit', 'out_for_delivery') ORDER BY id LIMIT $1");
        cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = BatchSize * MaxSets });
        var ids = new List<Guid>();
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                ids.Add(r.GetGuid(0));
            }
        }

        var sets = ids.Count / BatchSize; // a last, incomplete set is dropped: every operation writes exactly 100 rows
        return Enumerable.Range(0, sets).Select(i => new DeliveryBatch(i + 1, sets, ids.GetRange(i * BatchSize, BatchSize))).ToList();
    }

    protected override string Describe(DeliveryBatch p) => $"set {p.Set} of {p.Sets}: {p.Ids.Count} shipments from {p.Ids[0]}";

    protected override async Task<IReadOnlyList<DeliveredRow>> ReadBackAsync(WriteScope scope, DeliveryBatch p, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT id, status, updated_at, delivered_at FROM querylab.shipments WHERE id = ANY($1) ORDER BY id", scope.Connection, scope.Transaction);
        cmd.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. p.Ids] });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<DeliveredRow>();
        while (await r.ReadAsync(ct))
        {
            rows.Add(new DeliveredRow(r.GetGuid(0), r.GetString(1), r.GetDateTime(2), r.IsDBNull(3) ? null : r.GetDateTime(3)));
        }

        return rows;
    }

    protected override IEnumerable<WriteVariant<DeliveryBatch>> DefineVariants()
    {
        yield return new("ef-tracked", Library.EfCore,
            "load the 100 entities (tracked, id = ANY), set three properties, SaveChanges: 100 UPDATEs sent as one batch",
            async (scope, p, ct) =>
            {
                var at = scope.Lab.ReferenceTime;
                var ids = p.Ids.ToArray();
                await using var db = scope.CreateEfContext();
                var shipments = await db.Shipments.Where(s => ids.Contains(s.Id)).ToListAsync(ct);
                foreach (var s in shipments)
                {
                    s.Status = ShipmentStatus.Delivered;
                    s.UpdatedAt = at;
                    s.DeliveredAt = at;
                }

                return await db.SaveChangesAsync(ct);
            }) { Form = VariantForm.Naive };
        yield return new("ef-execute-update", Library.EfCore,
            "ExecuteUpdateAsync: one set-based UPDATE … WHERE id = ANY, no entities loaded",
            async (scope, p, ct) =>
            {
                var at = scope.Lab.ReferenceTime;
                DateTime? deliveredAt = at;
                var ids = p.Ids.ToArray();
                await using var db = scope.CreateEfContext();
                return await db.Shipments.Where(s => ids.Contains(s.Id)).ExecuteUpdateAsync(
                    u => u.SetProperty(s => s.Status, ShipmentStatus.Delivered).SetProperty(s => s.UpdatedAt, at).SetProperty(s => s.DeliveredAt, deliveredAt),
                    ct);
            });
        yield return new("dapper-any", Library.Dapper,
            "Execute: one UPDATE … WHERE id = ANY(@Ids) with the ids as a uuid[]",
            async (scope, p, ct) => await scope.Connection.ExecuteAsync(new CommandDefinition(
                DapperSql, new { At = scope.Lab.ReferenceTime, Ids = p.Ids.ToArray() }, scope.Transaction, cancellationToken: ct)));
        yield return new("npgsql-batch", Library.Npgsql,
            "NpgsqlBatch of 100 single-row UPDATEs (… WHERE id = $2): one round trip, 100 statements",
            async (scope, p, ct) =>
            {
                await using var batch = new NpgsqlBatch(scope.Connection, scope.Transaction);
                foreach (var id in p.Ids)
                {
                    var c = new NpgsqlBatchCommand(OneSql);
                    c.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = scope.Lab.ReferenceTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                    c.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
                    batch.BatchCommands.Add(c);
                }

                return await batch.ExecuteNonQueryAsync(ct);
            }) { Form = VariantForm.Alternative };
        yield return new("npgsql-any", Library.Npgsql,
            "one UPDATE … WHERE id = ANY($2) with the ids as a uuid[]",
            async (scope, p, ct) =>
            {
                await using var cmd = new NpgsqlCommand(AnySql, scope.Connection, scope.Transaction);
                cmd.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = scope.Lab.ReferenceTime, NpgsqlDbType = NpgsqlDbType.TimestampTz });
                cmd.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. p.Ids] });
                return await cmd.ExecuteNonQueryAsync(ct);
            }, IsBaseline: true);
    }
}
