using System.Globalization;
using Npgsql;
using QueryLab.Seed.Seeding;

namespace QueryLab.Bench.Upgrade;

/// <summary>
/// The same planner statistics on every major, as far as PostgreSQL allows. ANALYZE reads a random sample of 300 ×
/// default_statistics_target rows, so two seedings of the same rows get other histograms and most-common values, and a
/// statement near a plan choice plans differently for that reason alone (ab measured it: 6 of 53 variants). Before the
/// majors are compared, each one's lab database is analyzed with a target whose sample holds every row of the largest
/// seeded table (up to PostgreSQL's most, 10,000: 3 million rows), so the statistics are computed from the whole tables
/// and differ only where the majors compute them differently. Done on the upgrade lab's own clusters only.
/// </summary>
public static class FullStatistics
{
    /// <summary>PostgreSQL's largest default_statistics_target.</summary>
    public const int MostTarget = 10_000;

    /// <summary>The target whose sample (300 rows per unit) holds <paramref name="rows"/> rows, at least the default 100, at most 10,000.</summary>
    public static int TargetFor(long rows) => (int)Math.Clamp((rows + 299) / 300, 100, MostTarget);

    /// <summary>ANALYZE of the whole lab database at <see cref="TargetFor"/> the largest table; returns the target used and whether every row was read.</summary>
    public static async Task<(int Target, bool Whole)> AnalyzeAsync(NpgsqlDataSource ds, SeedManifest manifest, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ds);
        ArgumentNullException.ThrowIfNull(manifest);
        var largest = manifest.RowCounts.Values.DefaultIfEmpty(0).Max();
        var target = TargetFor(largest);
        await using var conn = await ds.OpenConnectionAsync(ct);
        await using (var set = new NpgsqlCommand("SELECT set_config('default_statistics_target', $1, false)", conn))
        {
            set.Parameters.AddWithValue(target.ToString(CultureInfo.InvariantCulture));
            await set.ExecuteNonQueryAsync(ct);
        }

        await using (var analyze = new NpgsqlCommand("ANALYZE", conn) { CommandTimeout = 0 })
        {
            await analyze.ExecuteNonQueryAsync(ct);
        }

        return (target, largest <= 300L * target);
    }
}
