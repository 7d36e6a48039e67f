using System.CommandLine;
using QueryLab.Bench.Lab;
using QueryLab.Seed;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Cli;

/// <summary><c>querylab server start|stop|status|destroy</c>: manage the embedded cluster.</summary>
public static class ServerCommand
{
    public static readonly CheckedOption<int?> Major = new("--pg", t => UpgradeCommand.ParseMajor("--pg", t))
    {
        Description = "The upgrade lab's cluster of this PostgreSQL major (.querylab/clusters/<major>, made by `querylab upgrade`) instead of the default one.",
    };

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
        stop.Options.Add(Major);
        stop.SetAction(async (pr, ct) =>
        {
            RefuseConnection(CommonOptions.Server(pr, ctx));
            var embedded = pr.GetValue(Major) is { } major ? await LabSession.MajorClusters(ctx).ExistingAsync(major, ct) : await LabSession.OpenEmbeddedAsync(ctx, ct);
            ctx.Out.WriteLine(embedded is not null && await embedded.StopAsync(ct) ? "stopped" : "not running");
            return 0;
        });

        var status = new Command("status", "Say whether the cluster exists and runs, where, and the settings that shape plans and loads.");
        status.Options.Add(Major);
        status.SetAction(async (pr, ct) =>
        {
            var major = pr.GetValue(Major);
            var choice = CommonOptions.Server(pr, ctx);
            if (major is not null)
            {
                RefuseConnection(choice);
            }

            return await ServerStatusReport.PrintAsync(choice, ctx, ct, major);
        });

        var destroy = new Command("destroy", "Stop the cluster and delete it with all its data (only a cluster this QueryLab home created).");
        destroy.Options.Add(Major);
        destroy.SetAction(async (pr, ct) =>
        {
            RefuseConnection(CommonOptions.Server(pr, ctx));
            if (pr.GetValue(Major) is { } major)
            {
                var cluster = await LabSession.MajorClusters(ctx).ExistingAsync(major, ct);
                ctx.Out.WriteLine(cluster is not null && await cluster.DestroyAsync(ct) ? $"destroyed the PostgreSQL {major} cluster" : $"there is no PostgreSQL {major} cluster");
                return 0;
            }

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
}
