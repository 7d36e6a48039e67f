using Dapper;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using QueryLab.Queries.Catalog;
using QueryLab.Queries.Model;

namespace QueryLab.Queries.Scenarios;

/// <summary>pending-page: the first page of the "waiting to be picked up" list, newest first.</summary>
public sealed class PendingPage : ReadScenario<int, ShipmentRow>
{
    /// <summary>Rows per page (a parameter of every variant, never a constant in the SQL).</summary>
    public const int PageSize = 50;

    // 'pending' is part of the question, not a value that varies, so it is a literal in every library
    // (EF Core writes a C# constant as a literal too); the page size is a parameter everywhere.
    private const string PendingOrder =
        "FROM querylab.shipments s WHERE s.status = 'pending' ORDER BY s.created_at DESC, s.id DESC";

    private const string Sql = "SELECT " + ShipmentRow.Columns + " " + PendingOrder + " LIMIT $1";
    private const string DapperSql = "SELECT " + ShipmentRow.Columns + " " + PendingOrder + " LIMIT @PageSize";

    public override string Name => "pending-page";

    public override string Description =>
        "The newest 50 pending shipments (ORDER BY created_at DESC, id DESC LIMIT 50): the first page of an operator's work queue. "
        + "No index covers (status, created_at), so it shows whether the planner walks created_at backwards or sorts the pending rows.";

    public override string Parameters =>
        "None that varies: page 1 is one page by definition (status 'pending' is a literal in every variant, the page size 50 a parameter). "
        + "Every operation asks the same question, which is what an operator's refresh does.";

    protected override Task<IReadOnlyList<int>> PickParametersAsync(CatalogContext lab, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<int>>([PageSize]);

    protected override string Describe(int parameter) => $"first {parameter} pending";

    protected override IEnumerable<ReadVariant<int, ShipmentRow>> DefineVariants()
    {
        yield return new("ef-no-tracking", Library.EfCore, "AsNoTracking LINQ, OrderByDescending/ThenByDescending/Take", async (lab, size, ct) =>
        {
            await using var db = await lab.EfFactory.CreateDbContextAsync(ct);
            var page = await db.Shipments.AsNoTracking()
                .Where(s => s.Status == ShipmentStatus.Pending)
                .OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id)
                .Take(size)
                .ToListAsync(ct);
            return page.ConvertAll(ShipmentRow.From);
        });
        yield return new("dapper", Library.Dapper, "Query<ShipmentRow>", async (lab, size, ct) =>
        {
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            var rows = await conn.QueryAsync<ShipmentRow>(new CommandDefinition(DapperSql, new { PageSize = size }, cancellationToken: ct));
            return rows.AsList();
        });
        yield return new("npgsql-prepared", Library.Npgsql, "prepared command", async (lab, size, ct) =>
        {
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            await using var cmd = new NpgsqlCommand(Sql, conn);
            cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = size });
            await cmd.PrepareAsync(ct);
            return await ReadShipmentsAsync(cmd, size, ct);
        }, IsBaseline: true);
    }

    internal static async Task<IReadOnlyList<ShipmentRow>> ReadShipmentsAsync(NpgsqlCommand cmd, int capacity, CancellationToken ct)
    {
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<ShipmentRow>(capacity);
        while (await r.ReadAsync(ct))
        {
            rows.Add(ShipmentRow.Read(r));
        }

        return rows;
    }
}
