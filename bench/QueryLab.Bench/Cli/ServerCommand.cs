using System.CommandLine;
using QueryLab.Bench.Lab;
using QueryLab.Seed;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Cli;

/// <summary><c>querylab server start|stop|status|destroy</c>: manage the embedded cluster.</summary>
public static class ServerCommand
{
    public static Command Create(LabContext ctx)
    {
        var server = new Command("server", "Manage QueryLab's embedded PostgreSQL cluster (created once under .querylab/, reused between runs).");

        var start = new Command("start", "Create the cluster if needed and start it; it stays up until `querylab server stop`.");
        start.SetAction(async (pr, ct) =>
        {
            RefuseConnection(CommonOptions.Server(pr, ctx));
            var embedded = await LabSession.OpenEmbeddedAsync(ctx, ct);
            await using var lab = await LabServer.StartEmbeddedAsync(embedded, keepRunning: true, ct);
            ctx.Out.WriteLine($"started: {lab.Description} (PostgreSQL {lab.ServerMajorVersion}); password in {Path.Combine(ctx.Home, "password")} (owner-only)");
            return 0;
        });

        var stop = new Command("stop", "Stop the cluster (its data stays).");
        stop.SetAction(async (pr, ct) =>
        {
            RefuseConnection(CommonOptions.Server(pr, ctx));
            var embedded = await LabSession.OpenEmbeddedAsync(ctx, ct);
            ctx.Out.WriteLine(await embedded.StopAsync(ct) ? "stopped" : "not running");
            return 0;
        });

        var status = new Command("status", "Say whether the cluster exists and runs, where, and the settings that shape plans and loads.");
        status.SetAction(async (pr, ct) => await StatusAsync(CommonOptions.Server(pr, ctx), ctx, ct));

        var destroy = new Command("destroy", "Stop the cluster and delete it with all its data (only a cluster this QueryLab home created).");
        destroy.SetAction(async (pr, ct) =>
        {
            RefuseConnection(CommonOptions.Server(pr, ctx));
            var embedded = await LabSession.OpenEmbeddedAsync(ctx, ct);
            ctx.Out.WriteLine(await embedded.DestroyAsync(ct) ? "destroyed the embedded cluster" : "there is no embedded cluster");
            return 0;
        });

        server.Subcommands.Add(start);
        server.Subcommands.Add(stop);
        server.Subcommands.Add(status);
        server.Subcommands.Add(destroy);
        return server;
    }

    private static void RefuseConnection(ServerChoice choice)
    {
        if (choice.Source == "--connection")
        {
            throw LabException.BadInput("`querylab server` manages the embedded cluster only; drop --connection (a server you name is yours to start and stop)");
        }
    }

    private static async Task<int> StatusAsync(ServerChoice choice, LabContext ctx, CancellationToken ct)
    {
        string connectionString;
        if (choice.IsEmbedded)
        {
            var embedded = await LabSession.OpenEmbeddedAsync(ctx, ct);
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
        ctx.Out.WriteLine($"database size: {await size.ExecuteScalarAsync(ct)}");
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
