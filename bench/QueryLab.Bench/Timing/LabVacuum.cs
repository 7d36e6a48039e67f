using System.Diagnostics;
using Npgsql;

namespace QueryLab.Bench.Timing;

/// <summary>
/// Keeps every variant's starting state the same: a plain <c>VACUUM</c> (no ANALYZE — the statistics stay the
/// seed's, see seed/Migrations/0003) of the lab's tables whenever a write has run since the last one. A rolled-back
/// write still leaves dead rows and index entries; without this, a variant timed after mark-delivered read through
/// its dead rows (pending-deep-page's OFFSET variants: 40–90× slower in one run than in the next) and the result
/// depended on whether autovacuum had happened to pass in between.
/// </summary>
public sealed class LabVacuum(NpgsqlDataSource dataSource)
{
    /// <summary>The tables the scenarios read and write (the ledger and the manifest are never written by them).</summary>
    private const string Sql = "VACUUM querylab.carriers, querylab.shipments, querylab.tracking_events, querylab.transactions, querylab.daily_volume_summary";

    private bool _dirty = true; // a run starts after verification and the warm-up, and after earlier runs' writes

    public int Count { get; private set; }

    public TimeSpan Spent { get; private set; }

    /// <summary>What <see cref="RestoreAsync"/> rebuilds: every index of the lab's tables, as the seed built them.</summary>
    private const string Reindex = "REINDEX TABLE querylab.carriers; REINDEX TABLE querylab.shipments; REINDEX TABLE querylab.tracking_events; "
        + "REINDEX TABLE querylab.transactions; REINDEX TABLE querylab.daily_volume_summary";

    /// <summary>
    /// Before a run: VACUUM (dead rows out, empty trailing pages given back), then REINDEX, so the indexes are again
    /// the compact ones the seed built. A rolled-back write leaves index entries that VACUUM removes but whose pages
    /// it keeps; run after run the indexes grew, the planner's costs with them, and the plans of ef-include-filtered
    /// and ef-split-query flipped between Merge Join and Hash Join on statistics that had not changed.
    /// </summary>
    public async Task RestoreAsync(CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        _dirty = true;
        await IfDirtyAsync(ct);
        await using (var reindex = dataSource.CreateCommand(Reindex))
        {
            reindex.CommandTimeout = 0;
            await reindex.ExecuteNonQueryAsync(ct);
        }

        RestoreTime = watch.Elapsed;
    }

    /// <summary>How long <see cref="RestoreAsync"/> took.</summary>
    public TimeSpan RestoreTime { get; private set; }

    /// <summary>A write ran (a write scenario's variant, rolled back): the next <see cref="IfDirtyAsync"/> vacuums.</summary>
    public void MarkDirty() => _dirty = true;

    /// <summary>Vacuums the lab's tables when a write has run since the last vacuum; returns whether it did.</summary>
    public async Task<bool> IfDirtyAsync(CancellationToken ct)
    {
        if (!_dirty)
        {
            return false;
        }

        var watch = Stopwatch.StartNew();
        await using (var vacuum = dataSource.CreateCommand(Sql))
        {
            vacuum.CommandTimeout = 0;
            await vacuum.ExecuteNonQueryAsync(ct);
        }

        _dirty = false;
        Count++;
        Spent += watch.Elapsed;
        return true;
    }
}
