using Npgsql;

namespace QueryLab.Seed.Seeding;

/// <summary>
/// Keys, foreign keys and indexes of the seeded tables are dropped before the load and rebuilt after it, from their
/// definitions as recorded in querylab.seed_deferred_ddl (pg_get_constraintdef / pg_get_indexdef). Recording and
/// dropping commit together; a seed killed later finds the record and rebuilds from it. The DDL text comes from the
/// catalog, never from C#: it runs server-side with EXECUTE, so every statement sent from here is a constant.
/// </summary>
internal static class DeferredDdl
{
    /// <summary>Records the definitions (unless a previous, unfinished seed already did) and drops the objects.</summary>
    /// <returns>How many objects are deferred.</returns>
    public static async Task<int> RecordAndDropAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        const string record = """
            INSERT INTO querylab.seed_deferred_ddl (ordinal, table_name, object_name, drop_sql, create_sql, rebuild_phase)
            SELECT row_number() OVER (ORDER BY o.phase, o.table_name, o.object_name), o.table_name, o.object_name,
                   o.drop_sql, o.create_sql, o.phase
            FROM (
                SELECT CASE c.contype WHEN 'f' THEN 2 ELSE 1 END AS phase, t.relname::text AS table_name,
                       c.conname::text AS object_name,
                       format('ALTER TABLE querylab.%I DROP CONSTRAINT IF EXISTS %I', t.relname, c.conname) AS drop_sql,
                       format('ALTER TABLE querylab.%I ADD CONSTRAINT %I %s', t.relname, c.conname,
                              pg_get_constraintdef(c.oid)) AS create_sql
                FROM pg_constraint c
                JOIN pg_class t ON t.oid = c.conrelid
                JOIN pg_namespace n ON n.oid = t.relnamespace
                WHERE n.nspname = 'querylab' AND t.relname = ANY (@tables) AND c.contype IN ('p', 'u', 'f', 'x')
                UNION ALL
                SELECT 1, t.relname::text, i.relname::text,
                       format('DROP INDEX IF EXISTS querylab.%I', i.relname), pg_get_indexdef(i.oid)
                FROM pg_index x
                JOIN pg_class i ON i.oid = x.indexrelid
                JOIN pg_class t ON t.oid = x.indrelid
                JOIN pg_namespace n ON n.oid = t.relnamespace
                WHERE n.nspname = 'querylab' AND t.relname = ANY (@tables)
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                                  WHERE c.conindid = i.oid AND c.conrelid = t.oid AND c.contype IN ('p', 'u', 'x'))
            ) o
            """;
        const string drop = """
            DO $$
            DECLARE r record;
            BEGIN
                FOR r IN SELECT drop_sql FROM querylab.seed_deferred_ddl ORDER BY rebuild_phase DESC, ordinal DESC LOOP
                    EXECUTE r.drop_sql;
                END LOOP;
            END $$
            """;
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var cmd = new NpgsqlCommand("LOCK TABLE querylab.seed_deferred_ddl IN EXCLUSIVE MODE", conn, tx))
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }

        long recorded;
        await using (var cmd = new NpgsqlCommand("SELECT count(*) FROM querylab.seed_deferred_ddl", conn, tx))
        {
            recorded = (long)(await cmd.ExecuteScalarAsync(ct))!;
        }

        if (recorded == 0)
        {
            await using var cmd = new NpgsqlCommand(record, conn, tx);
            cmd.Parameters.AddWithValue("tables", GeneratorInfo.Tables.ToArray());
            recorded = await cmd.ExecuteNonQueryAsync(ct);
        }

        await using (var cmd = new NpgsqlCommand(drop, conn, tx))
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
        return (int)recorded;
    }

    /// <summary>Rebuilds phase 1 (keys and indexes) with one connection per table in parallel, then phase 2 (foreign keys).
    /// The record stays until the manifest is marked complete, so an interrupted rebuild is redone next time.</summary>
    public static async Task RebuildAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await Parallel.ForEachAsync(
            GeneratorInfo.Tables,
            new ParallelOptions { MaxDegreeOfParallelism = GeneratorInfo.Tables.Count, CancellationToken = ct },
            async (table, token) => await RunPhaseAsync(dataSource, 1, table, token));
        await RunPhaseAsync(dataSource, 2, null, ct);
    }

    private static async Task RunPhaseAsync(NpgsqlDataSource dataSource, short phase, string? table, CancellationToken ct)
    {
        const string select = """
            SELECT set_config('querylab.seed_rebuild_phase', @phase::text, true),
                   set_config('querylab.seed_rebuild_table', @table, true)
            """;
        const string rebuild = """
            DO $$
            DECLARE r record;
            BEGIN
                FOR r IN SELECT create_sql FROM querylab.seed_deferred_ddl
                         WHERE rebuild_phase = current_setting('querylab.seed_rebuild_phase')::smallint
                           AND (current_setting('querylab.seed_rebuild_table') = ''
                                OR table_name = current_setting('querylab.seed_rebuild_table'))
                         ORDER BY ordinal LOOP
                    EXECUTE r.create_sql;
                END LOOP;
            END $$
            """;
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        await using (var cmd = new NpgsqlCommand(select, conn, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter<short>("phase", phase));
            cmd.Parameters.Add(new NpgsqlParameter<string>("table", table ?? ""));
            await cmd.ExecuteNonQueryAsync(ct);
        }

        await using (var cmd = new NpgsqlCommand(rebuild, conn, tx))
        {
            cmd.CommandTimeout = 0;
            await cmd.ExecuteNonQueryAsync(ct);
        }

        await tx.CommitAsync(ct);
    }
}
