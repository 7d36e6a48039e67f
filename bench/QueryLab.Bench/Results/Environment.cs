using System.Runtime.InteropServices;
using Npgsql;
using QueryLab.Seed.Seeding;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Results;

/// <summary>Collects what a report's header says about where and on what a run happened.</summary>
public static class RunEnvironment
{
    public static MachineInfo Machine() => new(
        System.Environment.MachineName,
        System.Environment.ProcessorCount,
        ClusterSettings.MachineMemoryBytes(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        RuntimeInformation.OSArchitecture.ToString());

    public static async Task<GitInfo?> GitAsync(string repo, CancellationToken ct)
    {
        try
        {
            var head = await ProcessRunner.RunAsync("git", ["-C", repo, "rev-parse", "HEAD"], ct: ct);
            if (!head.Succeeded)
            {
                return null;
            }

            var status = await ProcessRunner.RunAsync("git", ["-C", repo, "status", "--porcelain", "--untracked-files=no"], ct: ct);
            var branch = await ProcessRunner.RunAsync("git", ["-C", repo, "rev-parse", "--abbrev-ref", "HEAD"], ct: ct);
            return new GitInfo(head.StdOut.Trim(), status.StdOut.Trim().Length > 0, branch.Succeeded ? branch.StdOut.Trim() : null);
        }
        catch (QueryLab.Seed.LabException)
        {
            return null; // no git on the machine: the report says "unknown"
        }
    }

    public static async Task<ServerInfo> ServerAsync(LabServer server, NpgsqlDataSource ds, CancellationToken ct)
    {
        var settings = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await using var cmd = ds.CreateCommand(
            """
            SELECT name, CASE WHEN unit IS NULL THEN setting ELSE current_setting(name) END
            FROM pg_settings
            WHERE name = ANY($1)
            """);
        cmd.Parameters.AddWithValue(PlanSettings);
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                settings[r.GetString(0)] = r.GetString(1);
            }
        }

        await using var v = ds.CreateCommand("SELECT version()");
        var version = (string)(await v.ExecuteScalarAsync(ct))!;
        return new ServerInfo(server.Description, server.IsEmbedded, version, server.ServerMajorVersion, settings);
    }

    /// <summary>The settings that shape plans and timings, recorded with every run.</summary>
    public static readonly string[] PlanSettings =
    [
        "shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem", "random_page_cost", "seq_page_cost",
        "effective_io_concurrency", "jit", "jit_above_cost", "max_parallel_workers_per_gather", "default_statistics_target",
        "plan_cache_mode", "enable_seqscan", "enable_indexscan", "enable_bitmapscan", "enable_hashjoin", "enable_mergejoin",
        "enable_nestloop", "synchronous_commit", "wal_level", "max_wal_size",
    ];

    public static DatasetInfo Dataset(SeedManifest m) =>
        new(m.Scale, m.Seed, m.GeneratorVersion, m.ReferenceTime, m.RowCounts, m.TableChecksums, m.FinishedAt);
}
