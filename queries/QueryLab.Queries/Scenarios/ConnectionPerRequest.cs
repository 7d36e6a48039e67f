using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;
using QueryLab.Queries.Catalog;
using QueryLab.Queries.Model;

namespace QueryLab.Queries.Scenarios;

/// <summary>
/// connection-per-request: what a serverless function does per invocation — open a connection, look one
/// shipment up by tracking number, close — with the connection coming from a pool, from nowhere, or from PgBouncer.
/// </summary>
public sealed class ConnectionPerRequest : ReadScenario<string, ShipmentRow>
{
    // One statement for every variant, never prepared: only the way to the server differs. (PgBouncer 1.18 in
    // transaction mode cannot keep a prepared statement across transactions, so nothing here prepares.)
    private const string Sql = "SELECT " + ShipmentRow.Columns + " FROM querylab.shipments s WHERE s.tracking_number = $1";
    private const string DapperSql = "SELECT " + ShipmentRow.Columns + " FROM querylab.shipments s WHERE s.tracking_number = @TrackingNumber";

    public override string Name => "connection-per-request";

    public override string Description =>
        "One shipment by tracking number on a connection opened and closed for that one request, as a serverless function does. "
        + "It shows what opening costs: taking a pooled connection, a new backend with SCRAM authentication, a new data source, or a PgBouncer client connection.";

    public override string Parameters =>
        "512 tracking numbers (the first 512 shipments by uuid, as lookup-by-tracking-number), used in rotation; "
        + "the pgbouncer variants go through a PgBouncer (transaction mode) QueryLab starts on loopback for the run, and are not run where pgbouncer is not installed.";

    protected override Task<IReadOnlyList<string>> PickParametersAsync(CatalogContext lab, CancellationToken ct) =>
        LookupByTrackingNumber.PickTrackingNumbersAsync(lab, ct);

    protected override async Task<ScenarioConnections?> OpenConnectionsAsync(CatalogContext lab, CancellationToken ct)
    {
        var unpooled = lab.CreateDataSource(new NpgsqlConnectionStringBuilder(lab.ConnectionString) { Pooling = false }.ConnectionString);
        var unavailable = lab.Poolers is null ? "this run has no pooler to start (the catalog was given none)" : lab.Poolers.CannotServe(lab.ConnectionString);
        if (unavailable is not null)
        {
            return new ScenarioConnections(unpooled) { PoolerUnavailable = unavailable };
        }

        IPooler? pooler = null;
        NpgsqlDataSource? via = null;
        try
        {
            pooler = await lab.Poolers!.StartAsync(lab.ConnectionString, ct);
            via = lab.CreateDataSource(pooler.ClientConnectionString(pooling: false));
            return new ScenarioConnections(unpooled)
            {
                Pooler = pooler,
                ViaPooler = via,
                ViaPoolerPooled = lab.CreateDataSource(pooler.ClientConnectionString(pooling: true)),
                EfViaPooler = new PooledDbContextFactory<LabDbContext>(new DbContextOptionsBuilder<LabDbContext>()
                    .UseNpgsql(via)
                    .ConfigureWarnings(w => w.Ignore(CoreEventId.RowLimitingOperationWithoutOrderByWarning))
                    .Options),
            };
        }
        catch
        {
            await new ScenarioConnections(unpooled) { Pooler = pooler, ViaPooler = via }.DisposeAsync();
            throw;
        }
    }

    protected override string? NotRunReason(CatalogContext lab, IVariant variant) =>
        variant.Name.Contains("pgbouncer", StringComparison.Ordinal) ? Res(lab).PoolerUnavailable : null;

    protected override IEnumerable<ReadVariant<string, ShipmentRow>> DefineVariants()
    {
        yield return new("npgsql-pooled", Library.Npgsql,
            "the shared pooled NpgsqlDataSource: open takes an idle physical connection, close gives it back (no network)",
            (lab, tn, ct) => LookupAsync(lab.DataSource, tn, ct), IsBaseline: true);
        yield return new("npgsql-unpooled", Library.Npgsql,
            "Pooling=false: every open is a new TCP connection, a new backend process and a SCRAM exchange (no TLS on the embedded server); close ends them",
            (lab, tn, ct) => LookupAsync(Res(lab).Unpooled, tn, ct)) { Form = VariantForm.Naive };
        yield return new("npgsql-new-datasource", Library.Npgsql,
            "a new NpgsqlDataSource built and disposed per invocation (the classic serverless mistake): a new connection and SCRAM as unpooled, plus the data source's type loading (4 catalog queries) every time",
            async (lab, tn, ct) =>
            {
                await using var ds = lab.CreateDataSource(lab.ConnectionString);
                return await LookupAsync(ds, tn, ct);
            }) { Form = VariantForm.Naive };
        yield return new("npgsql-pgbouncer", Library.Npgsql,
            "PgBouncer in transaction mode, Pooling=false in the client: a new client connection and SCRAM exchange with pgbouncer each time, its server connection reused; No Reset On Close, nothing prepared",
            (lab, tn, ct) => LookupAsync(Res(lab).ViaPooler!, tn, ct)) { Form = VariantForm.Alternative };
        yield return new("npgsql-pooled-pgbouncer", Library.Npgsql,
            "Npgsql's pool in front of PgBouncer (a warm function instance keeping its pool): only the extra hop through the pooler is paid",
            (lab, tn, ct) => LookupAsync(Res(lab).ViaPoolerPooled!, tn, ct)) { Form = VariantForm.Alternative };
        yield return new("dapper-pgbouncer", Library.Dapper,
            "QueryFirstOrDefault on a new client connection to PgBouncer (transaction mode, Pooling=false)",
            async (lab, tn, ct) =>
            {
                await using var conn = await Res(lab).ViaPooler!.OpenConnectionAsync(ct);
                var row = await conn.QueryFirstOrDefaultAsync<ShipmentRow>(new CommandDefinition(DapperSql, new { TrackingNumber = tn }, cancellationToken: ct));
                return row is null ? [] : [row];
            }) { Form = VariantForm.Alternative };
        yield return new("ef-pgbouncer", Library.EfCore,
            "pooled DbContext over a data source to PgBouncer (transaction mode, Pooling=false): AsNoTracking FirstOrDefault, EF opens and closes the connection",
            async (lab, tn, ct) =>
            {
                await using var db = await Res(lab).EfViaPooler!.CreateDbContextAsync(ct);
                var s = await db.Shipments.AsNoTracking().FirstOrDefaultAsync(x => x.TrackingNumber == tn, ct);
                return s is null ? [] : [ShipmentRow.From(s)];
            }) { Form = VariantForm.Alternative };
    }

    private static async Task<IReadOnlyList<ShipmentRow>> LookupAsync(NpgsqlDataSource ds, string tn, CancellationToken ct)
    {
        await using var conn = await ds.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(Sql, conn);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tn });
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? [ShipmentRow.Read(r)] : [];
    }

    private static ScenarioConnections Res(CatalogContext lab) =>
        lab.Connections ?? throw new InvalidOperationException("connection-per-request runs only through its prepared scenario (its data sources and pooler)");
}
