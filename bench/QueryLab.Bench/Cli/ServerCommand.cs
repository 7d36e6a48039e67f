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
        status.SetAction(async (pr, ct) => await ServerStatusReport.PrintAsync(CommonOptions.Server(pr, ctx), ctx, ct));

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
}
