using Npgsql;

namespace QueryLab.Seed.Seeding;

/// <summary>The steps after the rebuilt keys: statistics, the materialized view, identity sequences, table sizes.</summary>
internal static class PostLoad
{
    /// <summary>VACUUM (ANALYZE) of each table on its own connection (VACUUM cannot run in a transaction).</summary>
    public static Task VacuumAnalyzeAsync(NpgsqlDataSource dataSource, CancellationToken ct) =>
        Parallel.ForEachAsync(
            GeneratorInfo.Tables,
            new ParallelOptions { MaxDegreeOfParallelism = GeneratorInfo.Tables.Count, CancellationToken = ct },
            async (table, token) =>
            {
                await using var conn = await dataSource.OpenConnectionAsync(token);
                await using var cmd = TableSql.Vacuum(table, conn);
                await cmd.ExecuteNonQueryAsync(token);
            });

    public static async Task RefreshSummaryAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand("REFRESH MATERIALIZED VIEW querylab.daily_volume_summary", conn) { CommandTimeout = 0 };
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Points each identity sequence past the largest seeded id, so an application insert gets max(id) + 1.</summary>
    public static async Task ResetSequencesAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        const string sql = """
            SELECT setval(pg_get_serial_sequence('querylab.carriers', 'id'),
                          coalesce((SELECT max(id) FROM querylab.carriers), 0) + 1, false),
                   setval(pg_get_serial_sequence('querylab.tracking_events', 'id'),
                          coalesce((SELECT max(id) FROM querylab.tracking_events), 0) + 1, false),
                   setval(pg_get_serial_sequence('querylab.transactions', 'id'),
                          coalesce((SELECT max(id) FROM querylab.transactions), 0) + 1, false)
            """;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn) { CommandTimeout = 0 };
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>pg_total_relation_size (heap, TOAST and indexes) of each seeded table.</summary>
    public static async Task<IReadOnlyDictionary<string, long>> SizesAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        const string sql = """
            SELECT t, pg_total_relation_size(('querylab.' || t)::regclass) FROM unnest(@tables) AS t
            """;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue("tables", GeneratorInfo.Tables.ToArray());
        var sizes = new Dictionary<string, long>();
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            sizes[reader.GetString(0)] = reader.GetInt64(1);
        }

        return sizes;
    }

}
