using System.Globalization;
using Npgsql;

namespace QueryLab.Seed.Seeding;

/// <summary>What a seed will need on the server's disk, and what the disk has: checked before anything is written.</summary>
/// <param name="NeededBytes">The estimate of the tables and indexes at the scale asked, with <see cref="DiskRoom.Headroom"/>.</param>
/// <param name="FreeBytes">Free space on the file system of the server's data directory, or null when it is not known here.</param>
/// <param name="ReclaimedBytes">What the lab tables hold now, which the seed empties first (TRUNCATE gives it back at once).</param>
/// <param name="Where">The data directory the free space was read for, or why it was not.</param>
public sealed record DiskRoomCheck(long NeededBytes, long? FreeBytes, long ReclaimedBytes, string Where)
{
    /// <summary>Whether the seed fits: free space plus what it reclaims is at least the estimate (an unknown free space passes).</summary>
    public bool Fits => FreeBytes is not { } free || free + ReclaimedBytes >= NeededBytes;
}

/// <summary>
/// Room for the scale asked (issue "production scale, for real"): before a seed writes anything, the size of the tables at that
/// scale is estimated from the rows the plan will load, at bytes per row measured here (heap, TOAST and indexes; medium:
/// shipments 257 B, tracking events 165 B, transactions 159 B), scaled by what this database's own complete seed measures when
/// it holds one, plus a quarter for the WAL and the sorts of the index builds. It is compared with the free space of the
/// server's data directory when this machine can see it (the embedded server; a server on loopback whose data_directory the
/// role may read); too little is exit 3 with both figures, and nothing is written.
/// </summary>
public static class DiskRoom
{
    /// <summary>Bytes per row with its share of the indexes, measured on a medium seed (PostgreSQL 15, 8 KiB pages).</summary>
    public static IReadOnlyDictionary<string, double> BytesPerRow { get; } = new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["carriers"] = 512,
        ["shipments"] = 257,
        ["tracking_events"] = 165,
        ["transactions"] = 159,
    };

    /// <summary>The WAL written while loading and the sort files of the index builds, on top of the tables.</summary>
    public const double Headroom = 1.25;

    /// <summary>The estimate for <paramref name="rows"/> per table, scaled by <paramref name="measuredFactor"/> (1 when nothing was measured here).</summary>
    public static long Estimate(IEnumerable<(string Table, long Rows)> rows, double measuredFactor = 1)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var bytes = rows.Sum(r => r.Rows * BytesPerRow.GetValueOrDefault(r.Table, 200));
        return (long)Math.Ceiling(bytes * measuredFactor * Headroom);
    }

    /// <summary>Reads what the database holds now and the free space of its data directory, and estimates the seed's needs.</summary>
    internal static async Task<DiskRoomCheck> MeasureAsync(NpgsqlConnection conn, SeedPlan plan, bool currentIsComplete, CancellationToken ct)
    {
        long reclaimed = 0;
        double expected = 0;
        await using (var cmd = new NpgsqlCommand(
            "SELECT t, pg_total_relation_size(('querylab.' || t)::regclass), (SELECT n_live_tup FROM pg_stat_user_tables WHERE relid = ('querylab.' || t)::regclass) FROM unnest(@tables) AS t", conn))
        {
            cmd.Parameters.AddWithValue("tables", GeneratorInfo.Tables.ToArray());
            await using var r = await cmd.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                reclaimed += r.GetInt64(1);
                expected += (r.IsDBNull(2) ? 0 : r.GetInt64(2)) * BytesPerRow.GetValueOrDefault(r.GetString(0), 200);
            }
        }

        // A complete seed here says how this server stores the rows (page size, fill, alignment): the estimate follows it,
        // within reason. Tiny seeds are too small to say (a page per table), so only seeds of 100 MB or more count.
        var factor = currentIsComplete && expected >= 100L << 20 ? Math.Clamp(reclaimed / expected, 0.5, 2) : 1;
        var needed = Estimate(plan.Tables.Select(t => (t.Table, t.Rows)), factor);
        var (free, where) = await FreeSpaceAsync(conn, ct);
        return new DiskRoomCheck(needed, free, reclaimed, where);
    }

    /// <summary>One line for the seed's output: what it needs and what there is.</summary>
    public static string Describe(DiskRoomCheck c, string scale)
    {
        ArgumentNullException.ThrowIfNull(c);
        return c.FreeBytes is { } free
            ? $"disk: scale {scale} needs about {Size(c.NeededBytes)} (tables and indexes, with a quarter for WAL and index builds); {Size(free)} free at {c.Where}"
                + (c.ReclaimedBytes > 0 ? $", and the current seed frees {Size(c.ReclaimedBytes)}" : "")
            : $"disk: scale {scale} needs about {Size(c.NeededBytes)}; the free space of the server's disk is not known here ({c.Where}), so it is not checked";
    }

    /// <summary>The exit-3 refusal when the seed does not fit, or null.</summary>
    public static LabException? Refusal(DiskRoomCheck c, string scale)
    {
        ArgumentNullException.ThrowIfNull(c);
        return c.Fits
            ? null
            : LabException.Environment(
                $"not enough disk for scale {scale}: it needs about {Size(c.NeededBytes)}, and {c.Where} has {Size(c.FreeBytes!.Value)} free"
                + (c.ReclaimedBytes > 0 ? $" (+{Size(c.ReclaimedBytes)} the current seed would free)" : "")
                + "; free space on that disk or seed a smaller scale (nothing was written)");
    }

    /// <summary>1.2 GB, 340 MB, 12 KB.</summary>
    public static string Size(long bytes) =>
        bytes >= 1L << 30 ? (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GB"
        : bytes >= 1L << 20 ? (bytes / (double)(1L << 20)).ToString("0", CultureInfo.InvariantCulture) + " MB"
        : (bytes / 1024.0).ToString("0", CultureInfo.InvariantCulture) + " KB";

    private static async Task<(long? Free, string Where)> FreeSpaceAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var host = conn.Host ?? "";
        var local = host.Length == 0 || host.StartsWith('/') || host is "localhost" or "127.0.0.1" or "::1";
        if (!local)
        {
            return (null, $"the server is on {host}");
        }

        string? dir;
        try
        {
            await using var cmd = new NpgsqlCommand("SELECT current_setting('data_directory')", conn);
            dir = (string?)await cmd.ExecuteScalarAsync(ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            return (null, "the role may not read data_directory");
        }

        if (dir is null || !Directory.Exists(dir))
        {
            return (null, "its data directory is not on this machine");
        }

        try
        {
            return (new DriveInfo(dir).AvailableFreeSpace, dir);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return (null, $"the free space of {dir} cannot be read ({ex.GetType().Name})");
        }
    }
}
