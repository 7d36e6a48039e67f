using Dapper;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using QueryLab.Queries.Catalog;

namespace QueryLab.Queries.Scenarios;

/// <summary>
/// The materialized view as a transaction sees it, per currency: how many days, the sums of its two measures, and how
/// many days differ from a live aggregate of <c>transactions</c> (missing on either side or another value; 0 when fresh).
/// </summary>
public sealed record ViewTotalsRow(string Currency, long Days, decimal TotalVolume, long TransactionCount, long DaysDifferingFromLive);

/// <summary>
/// refresh-daily-volume: rebuild the materialized view <c>daily_volume_summary</c> from all of <c>transactions</c>,
/// plainly or CONCURRENTLY, inside the write scope's transaction (rolled back).
/// </summary>
/// <remarks>
/// PostgreSQL 15 allows REFRESH MATERIALIZED VIEW CONCURRENTLY inside a transaction block (tested: unlike CREATE INDEX
/// CONCURRENTLY, it is not refused there), so both forms run in the rolled-back transaction like every write scenario
/// and the seeded view is never changed. The data do not change either, so the read-back is the same before and after:
/// it shows the view is whole and equal to the live aggregate after the refresh, not that the refresh ran (the timing
/// and the captured SQL do). REFRESH's command tag carries no row count, so every library reports -1 rows affected.
/// The baseline is the plain refresh, the least work PostgreSQL can do to rebuild the view, so CONCURRENTLY's ratio to
/// it reads as the price of not blocking readers. The view holds at most 730 days × 4 currencies whatever the scale:
/// CONCURRENTLY's diff stays small, while the aggregate over all transactions that both run grows with the scale.
/// </remarks>
public sealed class RefreshDailyVolume : WriteScenario<string, ViewTotalsRow>
{
    private const string View = "querylab.daily_volume_summary";
    private const string RefreshSql = "REFRESH MATERIALIZED VIEW " + View;
    private const string RefreshConcurrentlySql = "REFRESH MATERIALIZED VIEW CONCURRENTLY " + View;

    private const string ReadBackSql =
        "WITH live AS (SELECT (t.occurred_at AT TIME ZONE 'UTC')::date AS day, t.currency, sum(t.amount)::numeric(14, 2) AS total_volume, "
        + "count(*) AS transaction_count FROM querylab.transactions t GROUP BY 1, 2) "
        + "SELECT coalesce(v.currency, l.currency) AS \"Currency\", count(v.day) AS \"Days\", coalesce(sum(v.total_volume), 0) AS \"TotalVolume\", "
        + "coalesce(sum(v.transaction_count), 0)::bigint AS \"TransactionCount\", "
        + "count(*) FILTER (WHERE v.day IS NULL OR l.day IS NULL OR v.total_volume <> l.total_volume OR v.transaction_count <> l.transaction_count) "
        + "AS \"DaysDifferingFromLive\" "
        + "FROM " + View + " v FULL JOIN live l ON l.day = v.day AND l.currency = v.currency GROUP BY 1 ORDER BY 1";

    public override string Name => "refresh-daily-volume";

    public override string Description =>
        "REFRESH MATERIALIZED VIEW daily_volume_summary, plain (ACCESS EXCLUSIVE: readers of the view wait) or CONCURRENTLY "
        + "(EXCLUSIVE: reads go on; needs the unique index, and diffs the new result against the old). It is what daily-volume's "
        + "fast reads cost, paid on every refresh.";

    public override string Parameters =>
        "None: REFRESH takes no parameters, so one value (the view's name, for the report) is used; every operation rebuilds "
        + "the whole view from all of transactions, in a transaction that is rolled back.";

    protected override IEnumerable<WriteVariant<string>> DefineVariants()
    {
        yield return new("ef-refresh", Library.EfCore, "Database.ExecuteSqlRawAsync with the plain REFRESH statement (the same SQL as npgsql-refresh)", async (scope, _, ct) =>
        {
            await using var db = scope.CreateEfContext();
            return await db.Database.ExecuteSqlRawAsync(RefreshSql, ct);
        });
        yield return new("dapper-refresh", Library.Dapper, "ExecuteAsync with the plain REFRESH statement (the same SQL as npgsql-refresh)", async (scope, _, ct) =>
            await scope.Connection.ExecuteAsync(new CommandDefinition(RefreshSql, transaction: scope.Transaction, cancellationToken: ct)));
        yield return new("npgsql-refresh-concurrently", Library.Npgsql,
            "REFRESH MATERIALIZED VIEW CONCURRENTLY: builds the new result in a temporary table, checks it for duplicate rows, "
            + "full-joins it to the old content on the unique index's columns and whole-row equality, and applies the differences (none here)",
            (scope, _, ct) => ExecuteAsync(scope, concurrently: true, ct)) { Form = VariantForm.Alternative };
        yield return new("npgsql-refresh", Library.Npgsql,
            "REFRESH MATERIALIZED VIEW: runs the view's query into a new heap and rebuilds its index, then swaps the files — the least work a refresh can do",
            (scope, _, ct) => ExecuteAsync(scope, concurrently: false, ct), IsBaseline: true);
    }

    protected override Task<IReadOnlyList<string>> PickParametersAsync(CatalogContext lab, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<string>>([View]);

    protected override async Task<IReadOnlyList<ViewTotalsRow>> ReadBackAsync(WriteScope scope, string parameter, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(ReadBackSql, scope.Connection, scope.Transaction);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        var rows = new List<ViewTotalsRow>();
        while (await r.ReadAsync(ct))
        {
            rows.Add(new ViewTotalsRow(r.GetString(0), r.GetInt64(1), r.GetDecimal(2), r.GetInt64(3), r.GetInt64(4)));
        }

        return rows;
    }

    private static async Task<long> ExecuteAsync(WriteScope scope, bool concurrently, CancellationToken ct)
    {
        // One constant command text per branch (CA2100 cannot see through a conditional).
        if (concurrently)
        {
            await using var refreshConcurrently = new NpgsqlCommand(RefreshConcurrentlySql, scope.Connection, scope.Transaction);
            return await refreshConcurrently.ExecuteNonQueryAsync(ct);
        }

        await using var refresh = new NpgsqlCommand(RefreshSql, scope.Connection, scope.Transaction);
        return await refresh.ExecuteNonQueryAsync(ct);
    }
}
