using Npgsql;
using QueryLab.Seed.Seeding;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>
/// The table checksum PostgreSQL 13 computes (hash_record_extended written out in SQL, <see cref="RecordHashSql"/>) is
/// hash_record_extended's, row by row, on a real 14+ server holding the seeded tables: so a manifest written on any
/// major verifies on any other, and the manifests written before 13 was supported stay valid. PostgreSQL 13 itself is
/// proved in <c>UpgradeTests</c> (13 against 15, checksums agreeing).
/// </summary>
[Collection(LabCollection.Name)]
public sealed class ChecksumTests(LabFixture lab)
{
    [Fact]
    public async Task The_written_out_record_hash_equals_hash_record_extended_on_every_row_of_every_seeded_table()
    {
        await using var conn = await lab.DataSource.OpenConnectionAsync();
        Assert.True(conn.PostgreSqlVersion.Major >= 14, $"the test server must have hash_record_extended (PostgreSQL 14+); it is {conn.PostgreSqlVersion}");
        foreach (var table in GeneratorInfo.Tables)
        {
            // Every row, not only the sum: NULLs (shipments.delivered_at), char(n), numeric, uuid and timestamptz included.
            var sql = $"SELECT count(*), count(*) FILTER (WHERE hash_record_extended(t, 0)::numeric IS DISTINCT FROM {RecordHashSql.RowHash(table)}) FROM querylab.{table} t";
            await using var cmd = new NpgsqlCommand(sql, conn);
            await using var reader = await cmd.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.True(reader.GetInt64(0) > 0, $"{table} is empty");
            Assert.True(reader.GetInt64(1) == 0, $"{table}: {reader.GetInt64(1)} of {reader.GetInt64(0)} rows hash differently");
        }

        await using var nulls = new NpgsqlCommand("SELECT count(*) FROM querylab.shipments WHERE delivered_at IS NULL", conn);
        Assert.True((long)(await nulls.ExecuteScalarAsync())! > 0, "tiny holds undelivered shipments, so a NULL column is hashed");

        foreach (var table in GeneratorInfo.Tables)
        {
            var native = await TableChecksums.ComputeAsync(lab.DataSource, table, native: true, CancellationToken.None);
            var written = await TableChecksums.ComputeAsync(lab.DataSource, table, native: false, CancellationToken.None);
            Assert.Equal(native, written);
            Assert.Equal(lab.Manifest!.TableChecksums[table], written.Checksum); // what the fixture's seed recorded
        }
    }

    [Fact]
    public async Task The_written_out_columns_are_the_seeded_tables_columns_in_order()
    {
        // A migration that adds, drops or retypes a column of a seeded table fails here until RecordHashSql lists it.
        await using var conn = await lab.DataSource.OpenConnectionAsync();
        foreach (var table in GeneratorInfo.Tables)
        {
            const string sql = """
                SELECT a.attname, format_type(a.atttypid, NULL)
                FROM pg_attribute a
                WHERE a.attrelid = ('querylab.' || @table)::regclass AND a.attnum > 0 AND NOT a.attisdropped
                ORDER BY a.attnum
                """;
            await using var cmd = new NpgsqlCommand(sql, conn);
            cmd.Parameters.AddWithValue("table", table);
            var columns = new List<(string, string)>();
            await using (var reader = await cmd.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    columns.Add((reader.GetString(0), reader.GetString(1)));
                }
            }

            Assert.Equal(columns, RecordHashSql.Columns[table]);
        }
    }
}
