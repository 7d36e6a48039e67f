using System.Globalization;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using QueryLab.Queries.Catalog;
using QueryLab.Queries.Model;

namespace QueryLab.Queries.Scenarios;

/// <summary>
/// One deep page of the pending list. <see cref="Offset"/> is what an OFFSET variant skips; the keyset
/// variants start after (<see cref="LastCreatedAt"/>, <see cref="LastId"/>), the last row of the page before.
/// </summary>
public sealed record DeepPage(int Page, int PageSize, int Offset, DateTime LastCreatedAt, Guid LastId);

/// <summary>pending-deep-page: page 200 of the pending list, by OFFSET and by keyset.</summary>
public sealed class PendingDeepPage : ReadScenario<DeepPage, ShipmentRow>
{
    /// <summary>The page the scenario asks for where the data has that many.</summary>
    public const int TargetPage = 200;

    /// <summary>How many neighbouring pages the operations rotate over (the target and the ones just before it).</summary>
    public const int RotatedPages = 8;

    private const string Keyset = "(s.created_at, s.id) < ($1, $2)";
    private const string Where = " FROM querylab.shipments s WHERE s.status = 'pending' ";
    private const string Order = " ORDER BY s.created_at DESC, s.id DESC ";

    private const string OffsetSql = "SELECT " + ShipmentRow.Columns + Where + Order + "LIMIT $1 OFFSET $2";
    private const string KeysetSql = "SELECT " + ShipmentRow.Columns + Where + "AND " + Keyset + Order + "LIMIT $3";
    private const string DapperOffsetSql = "SELECT " + ShipmentRow.Columns + Where + Order + "LIMIT @PageSize OFFSET @Offset";
    private const string DapperKeysetSql = "SELECT " + ShipmentRow.Columns + Where + "AND (s.created_at, s.id) < (@LastCreatedAt, @LastId)" + Order + "LIMIT @PageSize";

    public override string Name => "pending-deep-page";

    public override string Description =>
        $"Page {TargetPage} of the pending list ({PendingPage.PageSize} a page, newest first), written with OFFSET and with a keyset "
        + "((created_at, id) < the last row of the page before). OFFSET reads and throws away every earlier row; a keyset seeks straight to the page.";

    public override string Parameters =>
        $"Page {TargetPage} and the {RotatedPages - 1} pages before it, in rotation; where the data has fewer full pages of pending shipments "
        + $"(tiny: 1, small: 99) the deepest full page and the ones before it. Each page's offset is (page − 1) × {PendingPage.PageSize} and its "
        + "keyset cursor the (created_at, id) of the row just before it, read from the data in the scenario's order; page 1 has no row "
        + "before it, so its cursor is (reference time, ffffffff-…), after every seeded row.";

    protected override async Task<IReadOnlyList<DeepPage>> PickParametersAsync(CatalogContext lab, CancellationToken ct)
    {
        const int size = PendingPage.PageSize;
        await using var conn = await lab.HarnessDataSource.OpenConnectionAsync(ct);
        long pending;
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM querylab.shipments WHERE status = 'pending'", conn))
        {
            pending = (long)(await count.ExecuteScalarAsync(ct))!;
        }

        var deepest = (int)Math.Clamp(pending / size, 1, TargetPage);
        var pages = Enumerable.Range(Math.Max(1, deepest - RotatedPages + 1), Math.Min(RotatedPages, deepest)).ToList();

        // The row just before page p is number (p − 1) × size in the scenario's order (1-based).
        var before = new Dictionary<long, (DateTime CreatedAt, Guid Id)>();
        await using (var cursors = new NpgsqlCommand(
            "SELECT n, created_at, id FROM (SELECT row_number() OVER (ORDER BY created_at DESC, id DESC) AS n, created_at, id "
            + "FROM querylab.shipments WHERE status = 'pending') t WHERE n = ANY($1) ORDER BY n", conn))
        {
            cursors.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = pages.Select(p => (long)(p - 1) * size).ToArray() });
            await using var r = await cursors.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                before[r.GetInt64(0)] = (r.GetDateTime(1), r.GetGuid(2));
            }
        }

        return pages.ConvertAll(p =>
        {
            var offset = (p - 1) * size;
            var (c, id) = p == 1 ? (lab.ReferenceTime, Guid.AllBitsSet) : before[offset];
            return new DeepPage(p, size, offset, c, id);
        });
    }

    protected override string Describe(DeepPage p) =>
        string.Create(CultureInfo.InvariantCulture, $"page {p.Page} (offset {p.Offset}; after {p.LastCreatedAt:O}, {p.LastId})");

    protected override IEnumerable<ReadVariant<DeepPage, ShipmentRow>> DefineVariants()
    {
        yield return new("ef-offset", Library.EfCore, "AsNoTracking LINQ, Skip/Take (OFFSET)", async (lab, p, ct) =>
        {
            await using var db = await lab.EfFactory.CreateDbContextAsync(ct);
            var page = await db.Shipments.AsNoTracking()
                .Where(s => s.Status == ShipmentStatus.Pending)
                .OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id)
                .Skip(p.Offset).Take(p.PageSize)
                .ToListAsync(ct);
            return page.ConvertAll(ShipmentRow.From);
        }) { Form = VariantForm.Naive };
        yield return new("ef-keyset", Library.EfCore, "AsNoTracking LINQ, keyset with EF.Functions.LessThan on row values", async (lab, p, ct) =>
        {
            await using var db = await lab.EfFactory.CreateDbContextAsync(ct);
            var (lastCreatedAt, lastId) = (p.LastCreatedAt, p.LastId);
            var page = await db.Shipments.AsNoTracking()
                .Where(s => s.Status == ShipmentStatus.Pending
                    && EF.Functions.LessThan(ValueTuple.Create(s.CreatedAt, s.Id), ValueTuple.Create(lastCreatedAt, lastId)))
                .OrderByDescending(s => s.CreatedAt).ThenByDescending(s => s.Id)
                .Take(p.PageSize)
                .ToListAsync(ct);
            return page.ConvertAll(ShipmentRow.From);
        });
        yield return new("dapper-offset", Library.Dapper, "Query<ShipmentRow>, OFFSET", async (lab, p, ct) =>
        {
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            var rows = await conn.QueryAsync<ShipmentRow>(new CommandDefinition(DapperOffsetSql, new { p.PageSize, p.Offset }, cancellationToken: ct));
            return rows.AsList();
        }) { Form = VariantForm.Naive };
        yield return new("dapper-keyset", Library.Dapper, "Query<ShipmentRow>, keyset (row values)", async (lab, p, ct) =>
        {
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            var rows = await conn.QueryAsync<ShipmentRow>(new CommandDefinition(DapperKeysetSql, new { p.LastCreatedAt, p.LastId, p.PageSize }, cancellationToken: ct));
            return rows.AsList();
        });
        yield return new("npgsql-offset", Library.Npgsql, "prepared command, OFFSET", async (lab, p, ct) =>
        {
            // Prepared: after five executions PostgreSQL may settle on a generic plan, which, not knowing how deep
            // OFFSET $2 is, walks created_at backwards instead of sorting the pending rows (on small: 11x the buffers).
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            await using var cmd = new NpgsqlCommand(OffsetSql, conn);
            cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = p.PageSize });
            cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = p.Offset });
            await cmd.PrepareAsync(ct);
            return await PendingPage.ReadShipmentsAsync(cmd, p.PageSize, ct);
        }) { Form = VariantForm.Naive };
        yield return new("npgsql-keyset", Library.Npgsql, "prepared command, keyset (row values)", async (lab, p, ct) =>
        {
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            await using var cmd = new NpgsqlCommand(KeysetSql, conn);
            cmd.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = p.LastCreatedAt });
            cmd.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = p.LastId });
            cmd.Parameters.Add(new NpgsqlParameter<int> { TypedValue = p.PageSize });
            await cmd.PrepareAsync(ct);
            return await PendingPage.ReadShipmentsAsync(cmd, p.PageSize, ct);
        }, IsBaseline: true);
    }
}
