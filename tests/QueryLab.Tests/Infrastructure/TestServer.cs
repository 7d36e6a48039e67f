using QueryLab.Seed.Server;

namespace QueryLab.Tests.Infrastructure;

/// <summary>
/// The one real PostgreSQL server of a test run, shared by every fixture: QueryLab's own embedded cluster
/// under .querylab/test, or the server that QUERYLAB_TEST_CONNECTION names. Fixtures acquire and release
/// it; when the last one releases it, an embedded server this run started is stopped (a later fixture
/// starts it again), so no test run leaves a server behind.
/// </summary>
public static class TestServer
{
    public const string EnvironmentVariable = "QUERYLAB_TEST_CONNECTION";

    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static LabServer? _server;
    private static int _users;

    public static async Task<LabServer> AcquireAsync()
    {
        await Gate.WaitAsync();
        try
        {
            _server ??= await StartAsync();
            _users++;
            return _server;
        }
        finally
        {
            Gate.Release();
        }
    }

    public static async Task ReleaseAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (--_users == 0 && _server is not null)
            {
                await _server.DisposeAsync();
                _server = null;
            }
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<LabServer> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            return await LabServer.ConnectAsync(external, CancellationToken.None);
        }

        var binaries = await ServerBinaries.FindAsync(ServerBinaries.SearchPlaces.FromEnvironment(), CancellationToken.None);
        var embedded = new EmbeddedServer(LabFixture.TestHome, binaries, TextWriter.Null);

        // A server a previous, killed test run left behind is stopped first, so this run owns its server.
        await embedded.StopAsync(CancellationToken.None);
        return await LabServer.StartEmbeddedAsync(embedded, keepRunning: false, CancellationToken.None);
    }
}
