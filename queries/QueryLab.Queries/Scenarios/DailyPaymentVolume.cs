using System.Globalization;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using QueryLab.Queries.Catalog;

namespace QueryLab.Queries.Scenarios;

/// <summary>A day's payment volume in one currency, as the view and the live aggregate both return it.</summary>
public sealed record DailyVolumeRow(DateOnly Day, string Currency, decimal TotalVolume, long TransactionCount);

/// <summary>A window of whole UTC days: [Start, End), both UTC midnights.</summary>
public sealed record VolumeWindow(DateTime Start, DateTime End)
{
    public DateOnly FirstDay => DateOnly.FromDateTime(Start);

    /// <summary>The day after the window (exclusive bound on the view's <c>day</c>).</summary>
    public DateOnly EndDay => DateOnly.FromDateTime(End);

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"[{FirstDay:yyyy-MM-dd}, {EndDay:yyyy-MM-dd})");
}

/// <summary>
/// daily-volume: payment volume per UTC day and currency over 90 days, aggregated live from
/// <c>transactions</c> or read from the materialized view <c>daily_volume_summary</c>.
/// </summary>
/// <remarks>
/// The view groups by <c>(occurred_at AT TIME ZONE 'UTC')::date</c>. The live variants group by the same
/// expression (EF Core translates <c>DateOnly.FromDateTime</c> on a timestamptz column to exactly that; a bare
/// <c>occurred_at::date</c> would follow the session's TimeZone) and filter on whole UTC days, so both sides
/// cover the same 90 days: <c>occurred_at ∈ [Start, End)</c> ⇔ <c>day ∈ [FirstDay, EndDay)</c>.
/// </remarks>
public sealed class DailyPaymentVolume : ReadScenario<VolumeWindow, DailyVolumeRow>
{
    private const int WindowDays = 90;
    private const int WindowEnds = 14;

    // The view's own definition (seed/Migrations/0001_lab_schema.sql) plus the window; sum(numeric(12,2)) has
    // scale 2 already, the cast only matches the view's column type.
    private const string LiveSelect =
        "SELECT (t.occurred_at AT TIME ZONE 'UTC')::date AS \"Day\", t.currency AS \"Currency\", "
        + "sum(t.amount)::numeric(14, 2) AS \"TotalVolume\", count(*) AS \"TransactionCount\" "
        + "FROM querylab.transactions t ";

    private const string LiveTail = " GROUP BY 1, 2 ORDER BY 1, 2";
    private const string LiveSql = LiveSelect + "WHERE t.occurred_at >= $1 AND t.occurred_at < $2" + LiveTail;
    private const string LiveDapperSql = LiveSelect + "WHERE t.occurred_at >= @Start AND t.occurred_at < @End" + LiveTail;

    private const string ViewSelect =
        "SELECT v.day AS \"Day\", v.currency AS \"Currency\", v.total_volume AS \"TotalVolume\", "
        + "v.transaction_count AS \"TransactionCount\" FROM querylab.daily_volume_summary v ";

    private const string ViewTail = " ORDER BY v.day, v.currency";
    private const string ViewSql = ViewSelect + "WHERE v.day >= $1 AND v.day < $2" + ViewTail;
    private const string ViewDapperSql = ViewSelect + "WHERE v.day >= @FirstDay AND v.day < @EndDay" + ViewTail;

    public override string Name => "daily-volume";

    public override string Description =>
        "Payment volume and count per UTC day and currency over 90 days: aggregated live from transactions, or read "
        + "from the materialized view daily_volume_summary (the baseline). It shows what precomputing a dashboard "
        + "aggregate saves per read; refresh-daily-volume shows what keeping the view fresh costs.";

    public override string Parameters =>
        $"{WindowEnds} windows of {WindowDays} whole UTC days ending at the reference time and at each of the "
        + $"{WindowEnds - 1} midnights before it, used in rotation (all windows are full of data).";

    protected override Task<IReadOnlyList<VolumeWindow>> PickParametersAsync(CatalogContext lab, CancellationToken ct)
    {
        // The reference time is the dataset's "now" (2026-01-01Z, a UTC midnight); a window ends at a midnight.
        var lastEnd = lab.ReferenceTime.Date;
        IReadOnlyList<VolumeWindow> windows = Enumerable.Range(0, WindowEnds)
            .Select(k => lastEnd.AddDays(-k))
            .Select(end => new VolumeWindow(DateTime.SpecifyKind(end.AddDays(-WindowDays), DateTimeKind.Utc), DateTime.SpecifyKind(end, DateTimeKind.Utc)))
            .ToList();
        return Task.FromResult(windows);
    }

    protected override string Describe(VolumeWindow parameter) => parameter.ToString();

    protected override IEnumerable<ReadVariant<VolumeWindow, DailyVolumeRow>> DefineVariants()
    {
        yield return new("ef-live-groupby", Library.EfCore,
            "LINQ GroupBy over transactions on (DateOnly.FromDateTime(OccurredAt), Currency) with Sum and LongCount; "
            + "EF Core translates the key to CAST(occurred_at AT TIME ZONE 'UTC' AS date), the view's expression",
            async (lab, w, ct) =>
            {
                await using var db = await lab.EfFactory.CreateDbContextAsync(ct);
                var start = w.Start;
                var end = w.End;
                return await db.Transactions.AsNoTracking()
                    .Where(t => t.OccurredAt >= start && t.OccurredAt < end)
                    .GroupBy(t => new { Day = DateOnly.FromDateTime(t.OccurredAt), t.Currency })
                    .OrderBy(g => g.Key.Day).ThenBy(g => g.Key.Currency)
                    .Select(g => new DailyVolumeRow(g.Key.Day, g.Key.Currency, g.Sum(t => t.Amount), g.LongCount()))
                    .ToListAsync(ct);
            }) { Form = VariantForm.Alternative };
        yield return new("dapper-live", Library.Dapper, "hand-written GROUP BY over transactions (the view's query with a WHERE)", async (lab, w, ct) =>
        {
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            var rows = await conn.QueryAsync<DailyVolumeRow>(new CommandDefinition(LiveDapperSql, new { w.Start, w.End }, cancellationToken: ct));
            return rows.AsList();
        }) { Form = VariantForm.Alternative };
        yield return new("npgsql-live", Library.Npgsql, "hand-written GROUP BY over transactions (the view's query with a WHERE), not prepared", async (lab, w, ct) =>
        {
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            await using var cmd = new NpgsqlCommand(LiveSql, conn);
            cmd.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = w.Start });
            cmd.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = w.End });
            return await ReadRowsAsync(cmd, ct);
        }) { Form = VariantForm.Alternative };
        yield return new("ef-view", Library.EfCore, "keyless entity DailyVolume mapped to the materialized view (ToView), filtered on day", async (lab, w, ct) =>
        {
            await using var db = await lab.EfFactory.CreateDbContextAsync(ct);
            var first = w.FirstDay;
            var endDay = w.EndDay;
            return await db.DailyVolumes
                .Where(v => v.Day >= first && v.Day < endDay)
                .OrderBy(v => v.Day).ThenBy(v => v.Currency)
                .Select(v => new DailyVolumeRow(v.Day, v.Currency, v.TotalVolume, v.TransactionCount))
                .ToListAsync(ct);
        });
        yield return new("dapper-view", Library.Dapper, "SELECT from the materialized view, filtered on day", async (lab, w, ct) =>
        {
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            var rows = await conn.QueryAsync<DailyVolumeRow>(new CommandDefinition(ViewDapperSql, new { w.FirstDay, w.EndDay }, cancellationToken: ct));
            return rows.AsList();
        });
        yield return new("npgsql-view", Library.Npgsql, "SELECT from the materialized view, filtered on day (its unique index on (day, currency)), not prepared", async (lab, w, ct) =>
        {
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            await using var cmd = new NpgsqlCommand(ViewSql, conn);
            cmd.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = w.FirstDay });
            cmd.Parameters.Add(new NpgsqlParameter<DateOnly> { TypedValue = w.EndDay });
            return await ReadRowsAsync(cmd, ct);
        }, IsBaseline: true);
    }

    private static async Task<IReadOnlyList<DailyVolumeRow>> ReadRowsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<DailyVolumeRow>();
        while (await r.ReadAsync(ct))
        {
            rows.Add(new DailyVolumeRow(r.GetFieldValue<DateOnly>(0), r.GetString(1), r.GetDecimal(2), r.GetInt64(3)));
        }

        return rows;
    }
}
