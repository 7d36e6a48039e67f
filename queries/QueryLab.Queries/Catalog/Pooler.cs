namespace QueryLab.Queries.Catalog;

/// <summary>
/// A connection pooler in front of the lab server that the lab starts for a scenario measuring one, as it starts
/// PostgreSQL: PgBouncer in transaction mode, run by seed/'s server code (QueryLab.Seed.Server.PgBouncer) and given
/// to the catalog by bench through <see cref="CatalogContext.Poolers"/>. The queries project knows only this.
/// </summary>
public interface IPoolerLauncher
{
    /// <summary>Why no pooler can be put in front of this server here (not installed, no password, a name it cannot take), or null.</summary>
    string? CannotServe(string serverConnectionString);

    /// <summary>Starts a pooler in front of the server and checks that a client gets through it.</summary>
    Task<IPooler> StartAsync(string serverConnectionString, CancellationToken ct);
}

/// <summary>A running pooler; disposing it stops it and removes its files.</summary>
public interface IPooler : IAsyncDisposable
{
    /// <summary>What the pooler says it is, e.g. "PgBouncer 1.18.0".</summary>
    string Version { get; }

    /// <summary>A client connection string to the pooler (the lab's database and credentials), with or without Npgsql's own pool.</summary>
    string ClientConnectionString(bool pooling);
}
