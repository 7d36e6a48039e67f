using Npgsql;

namespace QueryLab.Seed.Seeding;

/// <summary>A table's row count and content checksum.</summary>
public sealed record TableChecksum(long Rows, string Checksum);

/// <summary>
/// Content checksums computed by the server over what it stores. A string_agg of every row in id order would exceed
/// PostgreSQL's 1 GB value limit at production scale, and md5 over each row's text costs five times the server CPU of
/// what is done here: each row is hashed with hash_record_extended (the per-type 64-bit hashes that hash partitioning
/// relies on, stable across sessions, settings, server restarts and majors) and the hashes are summed exactly as numeric.
/// The same rows give the same checksum whatever their physical order; any changed, missing or extra row changes it.
/// PostgreSQL 13 has no hash_record_extended: there the same function is computed from the same per-type hashes in SQL
/// (<see cref="RecordHashSql"/>), so a table holds one checksum on every major from 13 to 18 and the manifests written
/// before 13 was supported stay valid as they are.
/// </summary>
public static class TableChecksums
{
    /// <summary>Every seeded table's row count and checksum, computed now (what the manifest recorded when the seed finished).</summary>
    public static async Task<IReadOnlyDictionary<string, TableChecksum>> ComputeAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        var results = new System.Collections.Concurrent.ConcurrentDictionary<string, TableChecksum>();
        await Parallel.ForEachAsync(
            GeneratorInfo.Tables,
            new ParallelOptions { MaxDegreeOfParallelism = GeneratorInfo.Tables.Count, CancellationToken = ct },
            async (table, token) => results[table] = await ComputeAsync(dataSource, table, token));
        return GeneratorInfo.Tables.ToDictionary(t => t, t => results[t]);
    }

    public static Task<TableChecksum> ComputeAsync(NpgsqlDataSource dataSource, string table, CancellationToken ct) =>
        ComputeAsync(dataSource, table, native: null, ct);

    /// <param name="native">hash_record_extended itself (true), its written-out form (false), or the one the major has (null).</param>
    internal static async Task<TableChecksum> ComputeAsync(NpgsqlDataSource dataSource, string table, bool? native, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var cmd = native is { } n ? TableSql.Checksum(table, conn, n) : TableSql.Checksum(table, conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        return new TableChecksum(reader.GetInt64(0), reader.GetString(1));
    }
}
