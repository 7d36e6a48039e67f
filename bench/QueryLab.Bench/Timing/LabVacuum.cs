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
