using QueryLab.Seed.Server;

namespace QueryLab.Tests.Infrastructure;

/// <summary>
/// The test server alone, for tests that measure time against a target (the latency relay's accuracy): xUnit runs this
/// collection after the parallel ones, with nothing beside it, so the suite's other tests do not share the two cores
/// with the measurement. A fixture with no seeding: only a connection is needed.
/// </summary>
public sealed class QuietServerFixture : IAsyncLifetime
{
    private LabServer? _server;

    public string ConnectionString => (_server ?? throw new InvalidOperationException("fixture not started")).Connection.ConnectionString;

    public async Task InitializeAsync() => _server = await TestServer.AcquireAsync();

    public async Task DisposeAsync() => await TestServer.ReleaseAsync();
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class QuietCollection : ICollectionFixture<QuietServerFixture>
{
    public const string Name = "quiet (measured alone)";
}
