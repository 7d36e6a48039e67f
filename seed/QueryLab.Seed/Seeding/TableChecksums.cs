using Npgsql;

namespace QueryLab.Seed.Seeding;

/// <summary>A table's row count and content checksum.</summary>
public sealed record TableChecksum(long Rows, string Checksum);

/// <summary>
/// Content checksums computed by the server over what it stores. A string_agg of every row in id order would exceed
/// PostgreSQL's 1 GB value limit at production scale, so each row's text is hashed (md5, first 64 bits) and the hashes
/// are summed exactly (numeric): the same rows give the same checksum whatever their physical order, and any changed,
/// missing or extra row changes it. Row text is formatted with fixed TimeZone and DateStyle so it means the same in
/// every session.
/// </summary>
internal static class TableChecksums
{
    public static async Task<IReadOnlyDictionary<string, TableChecksum>> ComputeAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var results = new System.Collections.Concurrent.ConcurrentDictionary<string, TableChecksum>();
        await Parallel.ForEachAsync(
            GeneratorInfo.Tables,
            new ParallelOptions { MaxDegreeOfParallelism = GeneratorInfo.Tables.Count, CancellationToken = ct },
            async (table, token) => results[table] = await ComputeAsync(dataSource, table, token));
        return GeneratorInfo.Tables.ToDictionary(t => t, t => results[t]);
    }

    public static async Task<TableChecksum> ComputeAsync(NpgsqlDataSource dataSource, string table, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var set = new NpgsqlCommand("SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL extra_float_digits = 1", conn, tx))
        {
            await set.ExecuteNonQueryAsync(ct);
        }

        await using var cmd = TableSql.Checksum(table, conn, tx);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new TableChecksum(reader.GetInt64(0), reader.GetString(1));
    }


}
