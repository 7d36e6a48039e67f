using QueryLab.Seed.Server;

namespace QueryLab.Tests.Infrastructure;

/// <summary>
/// The one real PostgreSQL server of a test run, shared by every fixture: QueryLab's own embedded cluster
/// under .querylab/test (started on first use, stopped when the test process exits), or the server that
/// QUERYLAB_TEST_CONNECTION names.
/// </summary>
public static class TestServer
{
    public const string EnvironmentVariable = "QUERYLAB_TEST_CONNECTION";

    private static readonly Lazy<Task<LabServer>> Server = new(StartAsync);

    public static Task<LabServer> GetAsync() => Server.Value;

    private static async Task<LabServer> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            return await LabServer.ConnectAsync(external, CancellationToken.None);
        }

        var binaries = await ServerBinaries.FindAsync(ServerBinaries.SearchPlaces.FromEnvironment(), CancellationToken.None);
        var embedded = new EmbeddedServer(LabFixture.TestHome, binaries, TextWriter.Null);
        var server = await LabServer.StartEmbeddedAsync(embedded, keepRunning: false, CancellationToken.None);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }
}
