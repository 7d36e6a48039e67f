using System.Diagnostics;
using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;

namespace QueryLab.Seed.Seeding;

/// <summary>
/// Loads one table: TRUNCATE and binary COPY … FREEZE in one transaction on its own connection, writing batches in the
/// order they arrive (chunk order), each column with its explicit type.
/// </summary>
internal static class TableCopy
{
    private const string CarriersCopy =
        "COPY querylab.carriers (id, code, name, country_code, tracking_format, created_at) FROM STDIN (FORMAT binary, FREEZE)";

    private const string ShipmentsCopy =
        "COPY querylab.shipments (id, tracking_number, status, carrier_id, origin, destination, weight_grams, created_at, " +
        "updated_at, delivered_at) FROM STDIN (FORMAT binary, FREEZE)";

    private const string EventsCopy =
        "COPY querylab.tracking_events (id, shipment_id, occurred_at, status, location) FROM STDIN (FORMAT binary, FREEZE)";

    private const string TransactionsCopy =
        "COPY querylab.transactions (id, shipment_id, amount, currency, occurred_at) FROM STDIN (FORMAT binary, FREEZE)";

    public static Task<TableLoadResult> CarriersAsync(
        NpgsqlDataSource dataSource, IReadOnlyList<CarrierRow> carriers, TableProgress progress, CancellationToken ct) =>
        LoadAsync(dataSource, "carriers", CarriersCopy, progress, async (importer, token) =>
        {
            foreach (var c in carriers)
            {
                await importer.StartRowAsync(token);
                await importer.WriteAsync(c.Id, NpgsqlDbType.Integer, token);
                await importer.WriteAsync(c.Code, NpgsqlDbType.Varchar, token);
                await importer.WriteAsync(c.Name, NpgsqlDbType.Varchar, token);
                await importer.WriteAsync(c.CountryCode, NpgsqlDbType.Char, token);
                await importer.WriteAsync(c.FormatName, NpgsqlDbType.Varchar, token);
                await importer.WriteAsync(c.CreatedAt, NpgsqlDbType.TimestampTz, token);
            }

            progress.Add(carriers.Count);
            return carriers.Count;
        }, ct);

    public static Task<TableLoadResult> ShipmentsAsync(
        NpgsqlDataSource dataSource, ChannelReader<RowBatch<ShipmentRow>> batches, TableProgress progress, CancellationToken ct) =>
        LoadAsync(dataSource, "shipments", ShipmentsCopy, progress, (importer, token) => DrainAsync(batches, progress, importer, token, async r =>
        {
            await importer.WriteAsync(r.Id, NpgsqlDbType.Uuid, token);
            await importer.WriteAsync(r.TrackingNumber, NpgsqlDbType.Varchar, token);
            await importer.WriteAsync(r.Status, NpgsqlDbType.Varchar, token);
            await importer.WriteAsync(r.CarrierId, NpgsqlDbType.Integer, token);
            await importer.WriteAsync(r.Origin, NpgsqlDbType.Varchar, token);
            await importer.WriteAsync(r.Destination, NpgsqlDbType.Varchar, token);
            await importer.WriteAsync(r.WeightGrams, NpgsqlDbType.Integer, token);
            await importer.WriteAsync(Utc(r.CreatedAt), NpgsqlDbType.TimestampTz, token);
            await importer.WriteAsync(Utc(r.UpdatedAt), NpgsqlDbType.TimestampTz, token);
            if (r.DeliveredAt == 0)
            {
                await importer.WriteNullAsync(token);
            }
            else
            {
                await importer.WriteAsync(Utc(r.DeliveredAt), NpgsqlDbType.TimestampTz, token);
            }
        }), ct);

    public static Task<TableLoadResult> EventsAsync(
        NpgsqlDataSource dataSource, ChannelReader<RowBatch<EventRow>> batches, TableProgress progress, CancellationToken ct) =>
        LoadAsync(dataSource, "tracking_events", EventsCopy, progress, (importer, token) => DrainAsync(batches, progress, importer, token, async r =>
        {
            await importer.WriteAsync(r.Id, NpgsqlDbType.Bigint, token);
            await importer.WriteAsync(r.ShipmentId, NpgsqlDbType.Uuid, token);
            await importer.WriteAsync(Utc(r.OccurredAt), NpgsqlDbType.TimestampTz, token);
            await importer.WriteAsync(r.Status, NpgsqlDbType.Varchar, token);
            await importer.WriteAsync(r.Location, NpgsqlDbType.Varchar, token);
        }), ct);

    public static Task<TableLoadResult> TransactionsAsync(
        NpgsqlDataSource dataSource, ChannelReader<RowBatch<TransactionRow>> batches, TableProgress progress, CancellationToken ct) =>
        LoadAsync(dataSource, "transactions", TransactionsCopy, progress, (importer, token) => DrainAsync(batches, progress, importer, token, async r =>
        {
            await importer.WriteAsync(r.Id, NpgsqlDbType.Bigint, token);
            await importer.WriteAsync(r.ShipmentId, NpgsqlDbType.Uuid, token);
            await importer.WriteAsync(r.Amount, NpgsqlDbType.Numeric, token);
            await importer.WriteAsync(r.Currency, NpgsqlDbType.Char, token);
            await importer.WriteAsync(Utc(r.OccurredAt), NpgsqlDbType.TimestampTz, token);
        }), ct);

    private static DateTime Utc(long ticks) => new(ticks, DateTimeKind.Utc);

    /// <summary>Copies every row of every batch as it arrives: each a row of the COPY that <paramref name="writeRow"/> fills.</summary>
    private static async Task<long> DrainAsync<T>(
        ChannelReader<RowBatch<T>> batches, TableProgress progress, NpgsqlBinaryImporter importer, CancellationToken ct, Func<T, Task> writeRow)
    {
        long rows = 0;
        await foreach (var batch in batches.ReadAllAsync(ct))
        {
            var batchRows = batch.Rows;
            for (var i = 0; i < batch.Count; i++)
            {
                await importer.StartRowAsync(ct);
                await writeRow(batchRows[i]);
            }

            rows += batch.Count;
            progress.Add(batch.Count);
            batch.Return();
        }

        return rows;
    }

    private static async Task<TableLoadResult> LoadAsync(
        NpgsqlDataSource dataSource, string table, string copySql, TableProgress progress,
        Func<NpgsqlBinaryImporter, CancellationToken, Task<long>> writeAll, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        progress.Start();
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var truncate = TableSql.Truncate(table, conn, tx))
        {
            await truncate.ExecuteNonQueryAsync(ct);
        }

        long written;
        await using (var importer = await conn.BeginBinaryImportAsync(copySql, ct))
        {
            importer.Timeout = TimeSpan.Zero;
            written = await writeAll(importer, ct);
            var copied = await importer.CompleteAsync(ct);
            if ((long)copied != written)
            {
                throw new InvalidOperationException($"COPY into {table} reported {copied} rows, {written} were written");
            }
        }

        await tx.CommitAsync(ct);
        progress.Finish();
        return new TableLoadResult(table, written, Stopwatch.GetElapsedTime(started));
    }

}

/// <summary>One table's COPY: rows and time from its start to its commit.</summary>
internal sealed record TableLoadResult(string Table, long Rows, TimeSpan Elapsed);
