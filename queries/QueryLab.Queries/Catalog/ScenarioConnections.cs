using Microsoft.EntityFrameworkCore;
using Npgsql;
using QueryLab.Queries.Model;

namespace QueryLab.Queries.Catalog;

/// <summary>
/// The ways to the server a prepared scenario opened beyond the shared pool: an unpooled data source, and the lab's
/// pooler with the data sources and the EF Core factory that reach the server through it. The prepared scenario owns
/// them and disposes them (clients first, so they say goodbye to the pooler before it stops); its variants reach them
/// through <see cref="CatalogContext.Connections"/>.
/// </summary>
public sealed class ScenarioConnections(NpgsqlDataSource unpooled) : IAsyncDisposable
{
    /// <summary>Pooling=false: every open is a new physical connection.</summary>
    public NpgsqlDataSource Unpooled => unpooled;

    /// <summary>Why there is no pooler (see <see cref="IPoolerLauncher.CannotServe"/>); null when <see cref="Pooler"/> runs.</summary>
    public string? PoolerUnavailable { get; init; }

    public IPooler? Pooler { get; init; }

    /// <summary>Through the pooler, Pooling=false in the client.</summary>
    public NpgsqlDataSource? ViaPooler { get; init; }

    /// <summary>Through the pooler, with Npgsql's pool in front of it.</summary>
    public NpgsqlDataSource? ViaPoolerPooled { get; init; }

    /// <summary>Pooled DbContexts over <see cref="ViaPooler"/>.</summary>
    public IDbContextFactory<LabDbContext>? EfViaPooler { get; init; }

    public async ValueTask DisposeAsync()
    {
        foreach (var ds in new[] { ViaPoolerPooled, ViaPooler, unpooled })
        {
            if (ds is not null)
            {
                await ds.DisposeAsync();
            }
        }

        if (Pooler is not null)
        {
            await Pooler.DisposeAsync();
        }
    }
}
