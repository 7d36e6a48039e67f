using Dapper;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using QueryLab.Queries.Catalog;
using QueryLab.Queries.Model;

namespace QueryLab.Queries.Scenarios;

/// <summary>lookup-by-tracking-number: the single-row read behind every "where is my parcel?" page.</summary>
public sealed class LookupByTrackingNumber : ReadScenario<string, ShipmentRow>
{
    private const string Sql = "SELECT " + ShipmentRow.Columns + " FROM querylab.shipments s WHERE s.tracking_number = $1";
    private const string DapperSql = "SELECT " + ShipmentRow.Columns + " FROM querylab.shipments s WHERE s.tracking_number = @TrackingNumber";

    private static readonly Func<LabDbContext, string, Task<Shipment?>> Compiled =
        EF.CompileAsyncQuery((LabDbContext db, string tn) => db.Shipments.AsNoTracking().FirstOrDefault(s => s.TrackingNumber == tn));

    public override string Name => "lookup-by-tracking-number";

    public override string Description =>
        "One shipment by its unique tracking number: the hottest read of a logistics API. "
        + "It shows the fixed cost each library adds to a one-row index lookup (context, change tracking, query compilation, preparation).";

    public override string Parameters =>
        "512 tracking numbers of shipments spread over the whole table (the first 512 by uuid), used in rotation so no single cached row is timed over and over.";

    protected override Task<IReadOnlyList<string>> PickParametersAsync(CatalogContext lab, CancellationToken ct) => PickTrackingNumbersAsync(lab, ct);

    /// <summary>The 512 tracking numbers both lookup scenarios rotate through: the first 512 shipments by uuid.</summary>
    internal static async Task<IReadOnlyList<string>> PickTrackingNumbersAsync(CatalogContext lab, CancellationToken ct)
    {
        await using var cmd = lab.HarnessDataSource.CreateCommand("SELECT tracking_number FROM querylab.shipments ORDER BY id LIMIT 512");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var list = new List<string>();
        while (await r.ReadAsync(ct))
        {
            list.Add(r.GetString(0));
        }

        return list;
    }

    protected override IEnumerable<ReadVariant<string, ShipmentRow>> DefineVariants()
    {
        yield return new("ef-tracked", Library.EfCore, "tracked query", async (lab, tn, ct) =>
        {
            await using var db = await lab.EfFactory.CreateDbContextAsync(ct);
            var s = await db.Shipments.FirstOrDefaultAsync(x => x.TrackingNumber == tn, ct);
            return s is null ? [] : [ShipmentRow.From(s)];
        }) { Form = VariantForm.Naive };
        yield return new("ef-no-tracking", Library.EfCore, "AsNoTracking", async (lab, tn, ct) =>
        {
            await using var db = await lab.EfFactory.CreateDbContextAsync(ct);
            var s = await db.Shipments.AsNoTracking().FirstOrDefaultAsync(x => x.TrackingNumber == tn, ct);
            return s is null ? [] : [ShipmentRow.From(s)];
        });
        yield return new("ef-compiled", Library.EfCore, "compiled query, no tracking", async (lab, tn, ct) =>
        {
            await using var db = await lab.EfFactory.CreateDbContextAsync(ct);
            var s = await Compiled(db, tn);
            return s is null ? [] : [ShipmentRow.From(s)];
        });
        yield return new("dapper", Library.Dapper, "QueryFirstOrDefault", async (lab, tn, ct) =>
        {
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            var row = await conn.QueryFirstOrDefaultAsync<ShipmentRow>(new CommandDefinition(DapperSql, new { TrackingNumber = tn }, cancellationToken: ct));
            return row is null ? [] : [row];
        });
        yield return new("npgsql-prepared", Library.Npgsql, "prepared command", async (lab, tn, ct) =>
        {
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            await using var cmd = new NpgsqlCommand(Sql, conn);
            cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tn });
            await cmd.PrepareAsync(ct); // free after the first time on a physical connection: Npgsql keeps it prepared
            await using var r = await cmd.ExecuteReaderAsync(ct);
            return await r.ReadAsync(ct) ? [ShipmentRow.Read(r)] : [];
        }, IsBaseline: true);
    }
}
