using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Npgsql;
using QueryLab.Queries.Model;

namespace QueryLab.Queries.Catalog;

/// <summary>
/// What every variant runs against: one <see cref="NpgsqlDataSource"/> shared by EF Core, Dapper and raw
/// Npgsql (so capture at the wire sees all three alike), a pooled DbContext factory over it (a fresh
/// context per operation, never one reused across a run), and the dataset's reference time (its "now").
/// </summary>
public sealed class CatalogContext : IAsyncDisposable
{
    private readonly DbContextOptions<LabDbContext> _connectionlessOptions;
    private readonly Action<NpgsqlDataSourceBuilder>? _configureDataSource;
    private readonly NpgsqlDataSource? _ownedDataSource;

    public CatalogContext(NpgsqlDataSource dataSource, DateTime referenceTime, string connectionString, Action<NpgsqlDataSourceBuilder>? configureDataSource = null)
    {
        _configureDataSource = configureDataSource;
        DataSource = dataSource;
        ReferenceTime = DateTime.SpecifyKind(referenceTime, DateTimeKind.Utc);
        ConnectionString = connectionString;
        EfFactory = CreateEfFactory(dataSource);
        _connectionlessOptions = new DbContextOptionsBuilder<LabDbContext>().UseNpgsql().Options;
    }

    private CatalogContext(CatalogContext shared, ScenarioConnections connections)
    {
        DataSource = shared.DataSource;
        _harness = shared._harness;
        ReferenceTime = shared.ReferenceTime;
        ConnectionString = shared.ConnectionString;
        EfFactory = shared.EfFactory;
        _connectionlessOptions = shared._connectionlessOptions;
        _configureDataSource = shared._configureDataSource;
        Poolers = shared.Poolers;
        Connections = connections;
    }

    private CatalogContext(CatalogContext shared, string connectionString)
    {
        _configureDataSource = shared._configureDataSource;
        ConnectionString = connectionString;
        DataSource = CreateDataSource(connectionString);
        _ownedDataSource = DataSource;
        _harness = shared._harness;
        ReferenceTime = shared.ReferenceTime;
        EfFactory = CreateEfFactory(DataSource);
        _connectionlessOptions = shared._connectionlessOptions;
    }

    private static PooledDbContextFactory<LabDbContext> CreateEfFactory(NpgsqlDataSource dataSource) =>
        new(new DbContextOptionsBuilder<LabDbContext>()
            .UseNpgsql(dataSource)
            .ConfigureWarnings(w => w.Ignore(CoreEventId.RowLimitingOperationWithoutOrderByWarning))
            .Options);

    public NpgsqlDataSource DataSource { get; }

    private readonly NpgsqlDataSource? _harness;

    /// <summary>
    /// Where the harness's own queries go — a scenario picking its parameter values — rather than a variant's: the lab's
    /// data source without the statement limit the variants run under (<see cref="DataSource"/> when none is given).
    /// </summary>
    public NpgsqlDataSource HarnessDataSource
    {
        get => _harness ?? DataSource;
        init => _harness = value;
    }

    /// <summary>
    /// A data source of a variant's own (unpooled, through a pooler…), configured like <see cref="DataSource"/>
    /// — with the same wire capture during the profiling pass. Variants never build data sources any other way.
    /// </summary>
    public NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var b = new NpgsqlDataSourceBuilder(connectionString);
        _configureDataSource?.Invoke(b);
        return b.Build();
    }

    /// <summary>The connection string of <see cref="DataSource"/>, password included: for variants that build their own connections. Never print it.</summary>
    public string ConnectionString { get; }

    public IDbContextFactory<LabDbContext> EfFactory { get; }

    /// <summary>The dataset's "now": seeded data ends here, and "the last 90 days" count back from it.</summary>
    public DateTime ReferenceTime { get; }

    /// <summary>
    /// How the lab starts a pooler in front of its server (seed/'s PgBouncer, given by bench), or null where the lab
    /// offers none: the scenarios that measure a pooler then report their pooler variants as not run.
    /// </summary>
    public IPoolerLauncher? Poolers { get; init; }

    /// <summary>
    /// The connections the scenario being run opened for its own variants (unpooled, through the pooler), or null.
    /// They belong to the prepared scenario, which disposes them; see <see cref="ReadScenario{TParam, TRow}"/>.
    /// </summary>
    public ScenarioConnections? Connections { get; }

    /// <summary>This context, carrying one prepared scenario's connections to its variants; everything else is shared.</summary>
    public CatalogContext WithConnections(ScenarioConnections connections) => new(this, connections);

    /// <summary>
    /// This context on another connection string: its own <see cref="DataSource"/> (built through the same
    /// configure-data-source hook, so the wire capture follows) and its own EF Core factory over it, the same reference
    /// time, no scenario resources. A scenario prepared on it runs every statement of every library (EF Core, Dapper,
    /// Npgsql, and the data sources variants build with <see cref="CreateDataSource"/> from <see cref="ConnectionString"/>)
    /// on that connection string — say, one whose startup options slow each statement down inside the server
    /// (<c>SpinExtension.ConnectionString</c> in QueryLab.Seed). The derived context owns its data source: dispose it
    /// after the scenarios prepared on it.
    /// </summary>
    public CatalogContext WithConnectionString(string connectionString) => new(this, connectionString);

    /// <summary>
    /// A context on a given connection and transaction (write scenarios run inside one that is rolled back).
    /// Automatic savepoints are off: in a transaction it did not start, SaveChanges would wrap its batch in
    /// SAVEPOINT / RELEASE SAVEPOINT — two round trips an application whose SaveChanges starts its own
    /// transaction never pays, that exist here only because the harness rolls the operation back.
    /// </summary>
    public LabDbContext CreateEfContext(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        var ctx = new LabDbContext(_connectionlessOptions);
        ctx.Database.SetDbConnection(connection);
        ctx.Database.UseTransaction(transaction);
        ctx.Database.AutoSavepointsEnabled = false;
        return ctx;
    }

    /// <summary>Disposes the data source of a context made by <see cref="WithConnectionString"/>; the others own nothing.</summary>
    public ValueTask DisposeAsync() => _ownedDataSource?.DisposeAsync() ?? ValueTask.CompletedTask;
}
