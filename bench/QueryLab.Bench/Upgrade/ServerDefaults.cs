using Npgsql;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Upgrade;

/// <summary>One server setting as pg_settings describes it: its built-in default (boot_val), the value the lab runs with, its unit and category.</summary>
public sealed record ServerSetting(string Name, string Default, string Value, string? Unit, string Category);

/// <summary>A setting whose built-in default differs between two majors, or that only one of them has.</summary>
/// <param name="Kind">"changed", "added" (only the newer has it) or "removed" (only the older).</param>
/// <param name="Planner">Whether it shapes plans (pg_settings category "Query Tuning…"): a reviewer reads these first.</param>
public sealed record SettingDifference(string Name, string Kind, string? Older, string? Newer, string Category, bool Planner);

/// <summary>
/// The server settings of each major, read from pg_settings, and the defaults that differ between two majors. The lab's own
/// settings (<see cref="ClusterSettings"/>) are written into every cluster alike; <see cref="LabDifferences"/> proves they
/// took effect alike.
/// </summary>
public static class ServerDefaults
{
    public static async Task<IReadOnlyDictionary<string, ServerSetting>> ReadAsync(NpgsqlDataSource ds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ds);
        var settings = new Dictionary<string, ServerSetting>(StringComparer.Ordinal);
        await using var cmd = ds.CreateCommand("SELECT name, coalesce(boot_val, ''), coalesce(setting, ''), unit, coalesce(category, '') FROM pg_settings ORDER BY name");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            settings[r.GetString(0)] = new ServerSetting(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4));
        }

        return settings;
    }

    /// <summary>Built-in defaults that differ, and settings only one major has; planner settings first, then by name.</summary>
    public static IReadOnlyList<SettingDifference> Differences(IReadOnlyDictionary<string, ServerSetting> older, IReadOnlyDictionary<string, ServerSetting> newer)
    {
        ArgumentNullException.ThrowIfNull(older);
        ArgumentNullException.ThrowIfNull(newer);
        var list = new List<SettingDifference>();
        foreach (var name in older.Keys.Union(newer.Keys, StringComparer.Ordinal))
        {
            var o = older.GetValueOrDefault(name);
            var n = newer.GetValueOrDefault(name);
            if (name is "server_version" or "server_version_num" || IsPathOrBuild(name))
            {
                continue; // what the build is, not what it does
            }

            if (o is not null && n is not null && !string.Equals(o.Default, n.Default, StringComparison.Ordinal))
            {
                list.Add(new SettingDifference(name, "changed", Show(o), Show(n), n.Category, IsPlanner(n.Category)));
            }
            else if (o is null && n is not null)
            {
                list.Add(new SettingDifference(name, "added", null, Show(n), n.Category, IsPlanner(n.Category)));
            }
            else if (o is not null && n is null)
            {
                list.Add(new SettingDifference(name, "removed", Show(o), null, o.Category, IsPlanner(o.Category)));
            }
        }

        return list.OrderBy(d => d.Planner ? 0 : 1).ThenBy(d => d.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>The lab's own settings (written alike into every cluster) whose value differs between the two servers: none, when both took them.</summary>
    public static IReadOnlyList<string> LabDifferences(IReadOnlyDictionary<string, ServerSetting> older, IReadOnlyDictionary<string, ServerSetting> newer)
    {
        ArgumentNullException.ThrowIfNull(older);
        ArgumentNullException.ThrowIfNull(newer);
        return ClusterSettings.For(ClusterSettings.MachineMemoryBytes())
            .Select(s => s.Name)
            .Where(name => older.TryGetValue(name, out var o) && newer.TryGetValue(name, out var n) && !string.Equals(o.Value, n.Value, StringComparison.Ordinal))
            .Select(name => $"{name}: {older[name].Value} vs {newer[name].Value}")
            .ToList();
    }

    private static bool IsPlanner(string category) => category.StartsWith("Query Tuning", StringComparison.Ordinal);

    private static bool IsPathOrBuild(string name) =>
        name is "data_directory" or "config_file" or "hba_file" or "ident_file" or "external_pid_file" or "lc_collate" or "lc_ctype" or "block_size"
            or "segment_size" or "wal_block_size" or "wal_segment_size" or "max_function_args" or "max_identifier_length" or "max_index_keys"
            or "integer_datetimes" or "debug_assertions" or "data_checksums" or "ssl_library" or "shared_memory_size" or "shared_memory_size_in_huge_pages"
            or "huge_pages_status" or "data_directory_mode" or "in_hot_standby" or "num_os_semaphores";

    private static string Show(ServerSetting s) => s.Unit is { Length: > 0 } u && s.Default.Length > 0 && s.Default.All(c => char.IsAsciiDigit(c) || c == '-') ? $"{s.Default} ({u})" : s.Default.Length == 0 ? "''" : s.Default;
}
