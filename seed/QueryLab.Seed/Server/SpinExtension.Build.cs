using System.Globalization;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace QueryLab.Seed.Server;

/// <summary>
/// Where <see cref="SpinExtension"/> looks for the tools that build its module: folders holding <c>pg_config</c>
/// (the first whose major matches the server's and whose server headers are installed wins) and folders holding a
/// C compiler (<c>cc</c>, <c>gcc</c> or <c>clang</c>).
/// </summary>
public sealed record SpinBuildTools(IReadOnlyList<string> PgConfigFolders, IReadOnlyList<string> CompilerFolders)
{
    /// <summary>pg_config in the embedded server's bin folder, else on PATH, else in /usr/lib/postgresql/&lt;major&gt;/bin; the compiler on PATH.</summary>
    public static SpinBuildTools For(LabServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        var pgConfig = new List<string>();
        if (server.Embedded is { } embedded)
        {
            pgConfig.Add(embedded.Binaries.BinDir);
        }

        pgConfig.AddRange(path);
        pgConfig.Add(Path.Combine("/usr/lib/postgresql", server.ServerMajorVersion.ToString(CultureInfo.InvariantCulture), "bin"));
        return new SpinBuildTools(pgConfig.Distinct().ToList(), path);
    }
}

public static partial class SpinExtension
{
    private const string ResourceName = "QueryLab.Seed.Server.Spin.querylab_spin.c";
    private static readonly string[] CompilerNames = ["cc", "gcc", "clang"];

    /// <summary>The flags, beyond the include folder; part of the cache key.</summary>
    private static readonly string[] CompileFlags = OperatingSystem.IsMacOS()
        ? ["-bundle", "-undefined", "dynamic_lookup", "-fPIC", "-O2", "-fno-strict-aliasing", "-fwrapv", "-Wall"]
        : ["-shared", "-fPIC", "-O2", "-fno-strict-aliasing", "-fwrapv", "-Wall"];

    private sealed record PgConfig(string Path, string Version, string IncludeDirServer);

    private static async Task<SpinExtensionResult> BuildAsync(LabServer server, string home, SpinBuildTools tools, CancellationToken ct)
    {
        if (OperatingSystem.IsWindows())
        {
            return Unavailable("a server-side delay is built with a C compiler on Linux or macOS; this is Windows");
        }

        var major = server.ServerMajorVersion;
        var (pgConfig, missing) = await FindPgConfigAsync(tools.PgConfigFolders, major, ct);
        if (pgConfig is null)
        {
            return Unavailable(missing!);
        }

        var compiler = tools.CompilerFolders.SelectMany(d => CompilerNames.Select(n => Path.Combine(d, n))).FirstOrDefault(File.Exists);
        if (compiler is null)
        {
            return Unavailable("no C compiler (cc, gcc or clang) on PATH to build the server-side delay module: install gcc (Debian: apt-get install gcc)");
        }

        var source = ReadSource();
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join('\n', Convert.ToHexString(SHA256.HashData(source)), pgConfig.Version, server.ServerVersionNum.ToString(CultureInfo.InvariantCulture), string.Join(' ', CompileFlags)))))[..16];
        var fileName = $"querylab_spin-{key}.so";
        string? unreadable = null;
        foreach (var dir in new[] { Path.Combine(home, "extensions"), "/var/tmp/querylab/extensions" })
        {
            var target = Path.Combine(dir, fileName);
            if (!File.Exists(target))
            {
                var failed = await CompileAsync(compiler, pgConfig, source, dir, target, ct);
                if (failed is not null)
                {
                    return Unavailable(failed);
                }
            }

            if (await ServerUserCanReadAsync(target, ct))
            {
                return new SpinExtensionResult(target, null);
            }

            unreadable ??= target;
        }

        return Unavailable($"the '{ProcessRunner.ServerOsUser}' OS user cannot read the delay module ({unreadable}, nor under /var/tmp/querylab/extensions)");
    }

    private static SpinExtensionResult Unavailable(string reason) => new(null, reason);

    private static async Task<(PgConfig? Found, string? Missing)> FindPgConfigAsync(IReadOnlyList<string> folders, int major, CancellationToken ct)
    {
        var other = new List<string>();
        string? noHeaders = null;
        foreach (var file in folders.Select(d => Path.Combine(d, "pg_config")).Where(File.Exists).Distinct())
        {
            var version = await RunQuietAsync(file, "--version", ct);
            var m = version is null ? null : PgConfigVersion().Match(version);
            if (m is not { Success: true })
            {
                continue;
            }

            if (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) != major)
            {
                other.Add($"{file} is PostgreSQL {m.Groups[1].Value}");
                continue;
            }

            var include = await RunQuietAsync(file, "--includedir-server", ct);
            if (include is null || !File.Exists(Path.Combine(include, "postgres.h")))
            {
                noHeaders ??= $"{file} has no server headers ({Path.Combine(include ?? "?", "postgres.h")} is missing)";
                continue;
            }

            return (new PgConfig(file, version!, include), null);
        }

        var install = $"install postgresql-server-dev-{major.ToString(CultureInfo.InvariantCulture)} (Debian) to build the server-side delay module";
        if (noHeaders is not null)
        {
            return (null, $"{noHeaders}: {install}");
        }

        var places = folders.Count <= 4 ? string.Join(", ", folders) : $"{string.Join(", ", folders.Take(3))} and {(folders.Count - 3).ToString(CultureInfo.InvariantCulture)} more";
        var seen = other.Count > 0 ? $"; other majors: {string.Join(", ", other)}" : "";
        return (null, $"no pg_config for PostgreSQL {major.ToString(CultureInfo.InvariantCulture)} (looked in {places}{seen}): {install}; PostgreSQL builds that ship no headers (the npm ones) cannot take it");
    }

    private static async Task<string?> RunQuietAsync(string file, string argument, CancellationToken ct)
    {
        try
        {
            var r = await ProcessRunner.RunAsync(file, [argument], timeout: TimeSpan.FromSeconds(30), ct: ct);
            return r.Succeeded && r.StdOut.Trim().Length > 0 ? r.StdOut.Trim() : null;
        }
        catch (LabException)
        {
            return null;
        }
    }

    private static byte[] ReadSource()
    {
        using var s = typeof(SpinExtension).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"{ResourceName} is not embedded in {typeof(SpinExtension).Assembly.GetName().Name}");
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    /// <summary>Compiles into a temporary name beside the target, then renames it, so a concurrent run never loads half a file. Null when it worked.</summary>
    [UnsupportedOSPlatform("windows")]
    private static async Task<string?> CompileAsync(string compiler, PgConfig pgConfig, byte[] source, string dir, string target, CancellationToken ct)
    {
        const UnixFileMode readable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        var work = Directory.CreateTempSubdirectory("querylab-spin");
        try
        {
            Directory.CreateDirectory(dir, readable);
            var c = Path.Combine(work.FullName, "querylab_spin.c");
            await File.WriteAllBytesAsync(c, source, ct);
            var tmp = Path.Combine(dir, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
            var r = await ProcessRunner.RunAsync(compiler, [.. CompileFlags, "-I", pgConfig.IncludeDirServer, "-o", tmp, c], timeout: TimeSpan.FromMinutes(2), ct: ct);
            if (!r.Succeeded)
            {
                File.Delete(tmp);
                return $"{Path.GetFileName(compiler)} could not build the server-side delay module against {pgConfig.IncludeDirServer}: {r.LastLine}";
            }

            File.SetUnixFileMode(tmp, readable);
            File.Move(tmp, target, overwrite: true);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"cannot write the server-side delay module to {dir}: {ex.Message}";
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>As root the server runs as the postgres OS user, who may not reach the home; otherwise it runs as this user.</summary>
    private static async Task<bool> ServerUserCanReadAsync(string file, CancellationToken ct)
    {
        if (!ProcessRunner.IsRoot)
        {
            return true;
        }

        var r = await ProcessRunner.RunAsync("test", ["-r", file], asServerUser: true, ct: ct);
        return r.Succeeded;
    }

    [GeneratedRegex(@"PostgreSQL\s+(\d+)")]
    private static partial Regex PgConfigVersion();
}
