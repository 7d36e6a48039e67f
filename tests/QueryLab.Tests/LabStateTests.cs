using Npgsql;
using QueryLab.Bench.Timing;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>
/// Every run and every variant starts from the same database state: the lab's tables are not autovacuumed or
/// autoanalyzed (statistics stay the seed's), and bench's VACUUM removes the dead rows a rolled-back write leaves.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class LabStateTests(LabFixture lab)
{
    [Fact]
    public async Task The_lab_tables_are_not_autovacuumed_so_their_statistics_stay_the_seeds()
    {
        await using var cmd = lab.DataSource.CreateCommand(
            "SELECT c.relname, coalesce(array_to_string(c.reloptions, ','), '') FROM pg_class c "
            + "WHERE c.relnamespace = 'querylab'::regnamespace AND c.relkind IN ('r', 'm') "
            + "AND c.relname IN ('carriers', 'shipments', 'tracking_events', 'transactions', 'daily_volume_summary') ORDER BY 1");
        var options = new Dictionary<string, string>();
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                options[r.GetString(0)] = r.GetString(1);
            }
        }

        Assert.Equal(5, options.Count);
        Assert.All(options, kv => Assert.Contains("autovacuum_enabled=false", kv.Value, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Vacuum_removes_the_dead_rows_a_rolled_back_write_leaves_and_only_runs_when_a_write_ran()
    {
        await using var conn = await lab.DataSource.OpenConnectionAsync();
        await using (var tx = await conn.BeginTransactionAsync())
        {
            await using var update = new NpgsqlCommand("UPDATE querylab.shipments SET updated_at = updated_at WHERE id IN (SELECT id FROM querylab.shipments ORDER BY id LIMIT 200)", conn, tx);
            Assert.Equal(200, await update.ExecuteNonQueryAsync());
            await tx.RollbackAsync();
        }

        Assert.True(await DeadRowsAsync(conn) >= 200);

        var vacuum = new LabVacuum(lab.DataSource);
        Assert.True(await vacuum.IfDirtyAsync(CancellationToken.None)); // a new run starts dirty
        Assert.Equal(0, await DeadRowsAsync(conn));
        Assert.False(await vacuum.IfDirtyAsync(CancellationToken.None)); // nothing written since
        vacuum.MarkDirty();
        Assert.True(await vacuum.IfDirtyAsync(CancellationToken.None));
        Assert.Equal(2, vacuum.Count);
    }

    private static async Task<long> DeadRowsAsync(NpgsqlConnection conn)
    {
        await using (var flush = new NpgsqlCommand("SELECT pg_stat_force_next_flush()", conn))
        {
            await flush.ExecuteNonQueryAsync();
        }

        await using (var clear = new NpgsqlCommand("SELECT pg_stat_clear_snapshot()", conn))
        {
            await clear.ExecuteNonQueryAsync();
        }

        await using var cmd = new NpgsqlCommand("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'querylab.shipments'::regclass", conn);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
