using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace QueryLab.Seed.Seeding;

/// <summary>Writes querylab.seed_manifest: 'incomplete' before anything is touched, 'complete' as the very last step.</summary>
internal static class ManifestStore
{
    public static async Task MarkIncompleteAsync(NpgsqlConnection conn, SeedRequest request, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO querylab.seed_manifest
                (id, scale, seed, generator_version, status, reference_time, row_counts, table_checksums, started_at, finished_at)
            VALUES (1, @scale, @seed, @version, 'incomplete', @reference, '{}', '{}', now(), NULL)
            ON CONFLICT (id) DO UPDATE SET
                scale = EXCLUDED.scale, seed = EXCLUDED.seed, generator_version = EXCLUDED.generator_version,
                status = 'incomplete', reference_time = EXCLUDED.reference_time, row_counts = '{}',
                table_checksums = '{}', started_at = now(), finished_at = NULL
            """;
        await using var cmd = new NpgsqlCommand(sql, conn);
        cmd.Parameters.AddWithValue("scale", request.Scale.Key);
        cmd.Parameters.AddWithValue("seed", request.Seed);
        cmd.Parameters.AddWithValue("version", GeneratorInfo.Version);
        cmd.Parameters.AddWithValue("reference", NpgsqlDbType.TimestampTz, GeneratorInfo.ReferenceTime);
        await cmd.ExecuteNonQueryAsync(ct); // autocommit: its own committed transaction
    }

    /// <summary>Records counts and checksums, marks the manifest complete and forgets the deferred DDL, atomically.</summary>
    public static async Task MarkCompleteAsync(
        NpgsqlConnection conn, IReadOnlyDictionary<string, TableChecksum> checksums, CancellationToken ct)
    {
        const string sql = """
            UPDATE querylab.seed_manifest
            SET status = 'complete', row_counts = @counts, table_checksums = @checksums, finished_at = now()
            WHERE id = 1 AND status = 'incomplete'
            """;
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var cmd = new NpgsqlCommand(sql, conn, tx))
        {
            cmd.Parameters.AddWithValue("counts", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(checksums.ToDictionary(c => c.Key, c => c.Value.Rows)));
            cmd.Parameters.AddWithValue("checksums", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(checksums.ToDictionary(c => c.Key, c => c.Value.Checksum)));
            if (await cmd.ExecuteNonQueryAsync(ct) != 1)
            {
                throw new SeedException("the seed manifest changed under this seed (it is no longer 'incomplete'); run the seed again");
            }
        }

        await using (var cmd = new NpgsqlCommand("DELETE FROM querylab.seed_deferred_ddl", conn, tx))
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
    }

    /// <summary>True when any seeded table has a row.</summary>
    public static async Task<bool> AnyDataAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        const string sql = """
            SELECT EXISTS (SELECT 1 FROM querylab.carriers) OR EXISTS (SELECT 1 FROM querylab.shipments)
                OR EXISTS (SELECT 1 FROM querylab.tracking_events) OR EXISTS (SELECT 1 FROM querylab.transactions)
            """;
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (bool)(await cmd.ExecuteScalarAsync(ct))!;
    }
}
