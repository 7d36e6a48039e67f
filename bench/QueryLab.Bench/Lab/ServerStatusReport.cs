using QueryLab.Seed.Server;

namespace QueryLab.Bench.Lab;

/// <summary><c>querylab server status</c>: whether the embedded cluster exists and runs, where, and the settings that shape plans and loads.</summary>
public static class ServerStatusReport
{
    /// <param name="major">--pg: the upgrade lab's cluster of that major (<c>.querylab/clusters/&lt;major&gt;</c>) instead of the default one.</param>
    public static async Task<int> PrintAsync(ServerChoice choice, LabContext ctx, CancellationToken ct, int? major = null)
    {
        ArgumentNullException.ThrowIfNull(choice);
        ArgumentNullException.ThrowIfNull(ctx);
        string connectionString;
        if (choice.IsEmbedded)
        {
            EmbeddedServer embedded;
            if (major is { } m)
            {
                var clusters = LabSession.MajorClusters(ctx);
                if (await clusters.ExistingAsync(m, ct) is not { } existing)
                {
                    ctx.Out.WriteLine($"cluster: no PostgreSQL {m} cluster in {clusters.HomeOf(m)} (`querylab upgrade --pg …,{m}` creates it)");
                    return 0;
                }

                embedded = existing;
            }
            else
            {
                embedded = await LabSession.OpenEmbeddedAsync(ctx, ct);
            }

            var st = await embedded.StatusAsync(ct);
            ctx.Out.WriteLine($"binaries: {embedded.Binaries.BinDir} (PostgreSQL {embedded.Binaries.MajorVersion})");
            if (!st.Exists)
            {
                ctx.Out.WriteLine("cluster: none yet (`querylab server start` or any run creates it)");
                return 0;
            }

            ctx.Out.WriteLine($"cluster: {st.ClusterDir} (PostgreSQL {st.MajorVersion})");
            ctx.Out.WriteLine(st.Running ? $"running: yes, pid {st.Pid}, 127.0.0.1:{st.Port}" : "running: no");
            if (!st.Running)
            {
                return 0;
            }

            connectionString = embedded.ConnectionString();
        }
        else
        {
            connectionString = choice.ConnectionString!;
        }

        await using var lab = await LabServer.ConnectAsync(connectionString, ct);
        ctx.Out.WriteLine($"connection: {lab.Description}");
        await using var ds = lab.CreateDataSource();
        await using var cmd = ds.CreateCommand("SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1) ORDER BY name");
        cmd.Parameters.AddWithValue(ClusterSettings.Reported);
        ctx.Out.WriteLine("settings:");
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                ctx.Out.WriteLine($"  {r.GetString(0),-32} {Humanize(r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2))}");
            }
        }

        await using var size = ds.CreateCommand("SELECT pg_size_pretty(pg_database_size(current_database()))");
        var pretty = await size.ExecuteScalarAsync(ct);
        Seed.Seeding.SeedManifest? manifest = null;
        try
        {
            manifest = await Seed.Seeding.SeedManifest.ReadAsync(ds, ct);
        }
        catch (Npgsql.PostgresException ex) when (ex.SqlState == Npgsql.PostgresErrorCodes.UndefinedTable)
        {
            // not migrated yet: no manifest to read
        }

        ctx.Out.WriteLine($"database size: {pretty} ({manifest?.ToString() ?? "not seeded"})");
        return 0;
    }

    /// <summary>pg_settings gives memory in units of 8kB or kB; print it the way people write it.</summary>
    private static string Humanize(string setting, string? unit)
    {
        if (unit is null || !long.TryParse(setting, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            return setting;
        }

        var bytes = unit switch
        {
            "8kB" => n * 8192,
            "kB" => n * 1024,
            "MB" => n * 1024 * 1024,
            "B" => n,
            _ => -1,
        };
        if (bytes < 0)
        {
            return $"{setting} {unit}";
        }

        return bytes >= 1L << 30 && bytes % (1L << 30) == 0 ? $"{bytes >> 30} GB" : $"{bytes >> 20} MB";
    }
}
