namespace QueryLab.Seed.Server;

/// <summary>
/// The embedded cluster's settings: sized for a lab machine (a few GiB of shared buffers, room for
/// index builds), with pg_stat_statements loaded, TCP on loopback only, and no WAL beyond what crash
/// recovery needs (a lab cluster has no replicas, so bulk loads into new tables skip the WAL).
/// </summary>
public static class ClusterSettings
{
    /// <summary>The settings that shape plans and loads; <c>server status</c> prints them as the server reports them.</summary>
    public static readonly string[] Reported =
    [
        "server_version", "shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem",
        "max_wal_size", "wal_level", "random_page_cost", "jit", "max_parallel_workers_per_gather",
        "shared_preload_libraries", "listen_addresses", "password_encryption",
    ];

    public static IReadOnlyList<(string Name, string Value)> For(long machineMemoryBytes)
    {
        const long gib = 1024L * 1024 * 1024;
        // Round figures a reader recognises: 2 GB of shared buffers on a 16 GB+ machine, less on smaller ones.
        var sharedBuffersMb = machineMemoryBytes >= 16 * gib ? 2048 : machineMemoryBytes >= 4 * gib ? 512 : 128;
        var effectiveCacheMb = Math.Max(512, machineMemoryBytes / 2 / gib * 1024);
        var maintenanceMb = machineMemoryBytes >= 8 * gib ? 1024 : 256;
        return
        [
            ("listen_addresses", "'127.0.0.1'"),
            ("unix_socket_directories", "''"),
            ("password_encryption", "'scram-sha-256'"),
            ("shared_preload_libraries", "'pg_stat_statements'"),
            ("pg_stat_statements.track", "'all'"),
            ("shared_buffers", $"'{sharedBuffersMb}MB'"),
            ("effective_cache_size", $"'{effectiveCacheMb}MB'"),
            ("work_mem", "'16MB'"),
            ("maintenance_work_mem", $"'{maintenanceMb}MB'"),
            ("max_wal_size", "'8GB'"),
            ("min_wal_size", "'1GB'"),
            ("checkpoint_timeout", "'30min'"),
            ("wal_level", "'minimal'"),
            ("max_wal_senders", "0"),
            ("random_page_cost", "1.1"),
            ("effective_io_concurrency", "200"),
            ("track_io_timing", "on"),
            ("max_connections", "200"),
            ("logging_collector", "off"),
            ("log_min_messages", "'warning'"),
            ("timezone", "'UTC'"),
        ];
    }

    public static long MachineMemoryBytes()
    {
        var info = GC.GetGCMemoryInfo();
        return info.TotalAvailableMemoryBytes > 0 ? info.TotalAvailableMemoryBytes : 4L * 1024 * 1024 * 1024;
    }
}
