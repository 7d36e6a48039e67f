using Npgsql;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>
/// A server older than QueryLab supports, for real: PostgreSQL 12 binaries (see <see cref="OldPostgres"/>), as a
/// server named by --connection and as the binaries of the embedded server.
/// </summary>
public sealed class OldServerTests
{
    [Fact]
    public async Task A_PostgreSQL_12_server_named_by_connection_is_refused_with_exit_3_naming_both_versions()
    {
        await using var pg12 = await OldPostgres.Cluster.StartAsync();

        // The server is real and really 12.
        await using (var conn = new NpgsqlConnection(pg12.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SHOW server_version_num", conn);
            Assert.StartsWith("12", (string)(await cmd.ExecuteScalarAsync())!, StringComparison.Ordinal);
        }

        var url = $"postgres://querylab:{pg12.Password}@127.0.0.1:{pg12.Port}/postgres";
        foreach (var connection in new[] { pg12.ConnectionString, url })
        {
            var r = await CliRunner.RunAsync(null, "verify", "--connection", connection);
            Assert.True(r.ExitCode == 3, r.All);
            var line = Assert.Single(r.Err.Trim().Split('\n'));
            Assert.Equal(
                $"error: querylab@127.0.0.1:{pg12.Port}/postgres runs PostgreSQL {OldPostgres.Version}; QueryLab needs 13 or newer: upgrade it, or point --connection (QUERYLAB_CONNECTION, DATABASE_URL) at a newer server",
                line);
            Assert.DoesNotContain(pg12.Password, r.All, StringComparison.Ordinal);
        }

        // Nothing was created on it: QueryLab refused before migrating.
        await using (var conn = new NpgsqlConnection(pg12.ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_namespace WHERE nspname = 'querylab'", conn);
            Assert.Equal(0L, (long)(await cmd.ExecuteScalarAsync())!);
        }
    }

    [Fact]
    public async Task PostgreSQL_12_binaries_in_QUERYLAB_PG_BIN_are_refused_before_a_cluster_is_made()
    {
        var bin = await OldPostgres.BinDirAsync();
        var home = Path.Combine(Path.GetTempPath(), "querylab-pg12-home", Guid.NewGuid().ToString("N"));
        try
        {
            var r = await CliRunner.RunAsync(new Dictionary<string, string?> { ["QUERYLAB_HOME"] = home, ["QUERYLAB_PG_BIN"] = bin }, "server", "start");
            Assert.True(r.ExitCode == 3, r.All);
            var line = Assert.Single(r.Err.Trim().Split('\n'));
            Assert.Equal(
                $"error: the PostgreSQL server binaries found are older than QueryLab supports ({bin} holds PostgreSQL 12; QueryLab needs 13 or newer); "
                + "install newer ones (Debian: apt-get install postgresql) and set QUERYLAB_PG_BIN to their folder, or pass --connection to use a server you have",
                line);
            Assert.False(File.Exists(Path.Combine(home, "server.json")));
            Assert.False(Directory.Exists(Path.Combine(home, "cluster")));
        }
        finally
        {
            if (Directory.Exists(home))
            {
                Directory.Delete(home, recursive: true);
            }
        }
    }
}
