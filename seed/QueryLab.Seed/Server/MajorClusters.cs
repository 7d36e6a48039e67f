using System.Globalization;

namespace QueryLab.Seed.Server;

/// <summary>
/// The embedded clusters of other PostgreSQL majors (the upgrade lab), beside the default one: one per major under the
/// QueryLab home's <c>clusters/&lt;major&gt;/</c>, each an <see cref="EmbeddedServer"/> with the same settings, created once
/// and reused. The binaries of a major come from a folder the user names (<c>--pg-bin 17=DIR</c>, checked to be that
/// major) or from the npm package of that major (<see cref="PackageCache"/>); the folder a cluster was last run with is
/// remembered beside it (<c>bin-dir</c>), so <c>server status --pg 17</c> finds it again without downloading anything.
/// </summary>
public sealed class MajorClusters(string home, PackageCache packages, TextWriter log)
{
    private const string BinDirFile = "bin-dir";

    public PackageCache Packages { get; } = packages;

    /// <summary>The QueryLab home of a major's cluster: <c>clusters/&lt;major&gt;</c>.</summary>
    public string HomeOf(int major) => Path.Combine(Path.GetFullPath(home), "clusters", major.ToString(CultureInfo.InvariantCulture));

    /// <summary>Whether a cluster of that major was created (its state file exists).</summary>
    public bool Exists(int major) => File.Exists(Path.Combine(HomeOf(major), "server.json"));

    /// <summary>
    /// The binaries of <paramref name="major"/>: those in <paramref name="binDir"/> (exit 2 when they are not that major's),
    /// else the npm package's (downloaded, checked and cached on first use; exit 2 for a major with no package, 3 when the
    /// download fails or its checksum does not match).
    /// </summary>
    public async Task<ServerBinaries> BinariesAsync(int major, string? binDir, CancellationToken ct)
    {
        ServerBinaries binaries;
        if (binDir is not null)
        {
            var full = Path.GetFullPath(binDir);
            binaries = await ServerBinaries.ProbeAsync(full, ct)
                ?? throw LabException.BadInput($"--pg-bin {major}={binDir}: {full} holds no PostgreSQL server binaries that run (initdb, pg_ctl, postgres); give the bin folder of PostgreSQL {major} (Debian: /usr/lib/postgresql/{major}/bin), or leave --pg-bin out to download them");
            if (binaries.MajorVersion != major)
            {
                throw LabException.BadInput($"--pg-bin {major}={binDir} holds PostgreSQL {binaries.MajorVersion}, not {major}; give the bin folder of PostgreSQL {major}, or leave --pg-bin {major}=… out to download them");
            }
        }
        else
        {
            var package = PostgresPackage.Of(major);
            var dir = await Packages.BinDirAsync(package, ct);
            binaries = await ServerBinaries.ProbeAsync(dir, ct)
                ?? throw LabException.Environment($"the cached PostgreSQL {package.Version} in {dir} does not run (postgres --version failed); remove {Path.GetDirectoryName(Path.GetDirectoryName(dir))} and run again to download it anew");
            if (binaries.MajorVersion != major)
            {
                throw LabException.Environment($"the cached package of PostgreSQL {major} in {dir} holds PostgreSQL {binaries.MajorVersion}; remove it and run again");
            }
        }

        if (ProcessRunner.IsRoot && !(await ProcessRunner.RunAsync("test", ["-x", binaries.Postgres], asServerUser: true, ct: ct)).Succeeded)
        {
            throw LabException.Environment($"the '{ProcessRunner.ServerOsUser}' OS user cannot run {binaries.Postgres}; put the binaries (or the QueryLab home, QUERYLAB_HOME) where other users can enter");
        }

        return binaries;
    }

    /// <summary>The cluster of a major, run with <paramref name="binaries"/>; the folder is remembered for status and destroy.</summary>
    public EmbeddedServer Server(ServerBinaries binaries)
    {
        ArgumentNullException.ThrowIfNull(binaries);
        var h = HomeOf(binaries.MajorVersion);
        Directory.CreateDirectory(h);
        File.WriteAllText(Path.Combine(h, BinDirFile), binaries.BinDir + "\n");
        return new EmbeddedServer(h, binaries, log);
    }

    /// <summary>
    /// The cluster of a major as it is, for <c>server status|stop|destroy --pg</c>: null when none was created; run with
    /// the binaries it last ran with (or the cached package), never downloading.
    /// </summary>
    public async Task<EmbeddedServer?> ExistingAsync(int major, CancellationToken ct)
    {
        if (!Exists(major))
        {
            return null;
        }

        var h = HomeOf(major);
        var remembered = File.Exists(Path.Combine(h, BinDirFile)) ? File.ReadAllText(Path.Combine(h, BinDirFile)).Trim() : null;
        var cached = PostgresPackage.Supported.FirstOrDefault(p => p.Major == major) is { } package ? Packages.CachedBinDir(package) : null;
        foreach (var dir in new[] { remembered, cached }.OfType<string>())
        {
            if (await ServerBinaries.ProbeAsync(dir, ct) is { } b && b.MajorVersion == major)
            {
                return new EmbeddedServer(h, b, log);
            }
        }

        throw LabException.Environment(
            $"the PostgreSQL {major} cluster in {h} was run with binaries that are gone ({remembered ?? "none remembered"}); run `querylab upgrade --pg …,{major}` (with --pg-bin {major}=DIR if they were yours) to fetch them again");
    }
}
