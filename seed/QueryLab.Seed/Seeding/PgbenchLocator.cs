namespace QueryLab.Seed.Seeding;

/// <summary>Finds the pgbench executable: next to the server binaries, on PATH, or in the usual install layouts.</summary>
public static class PgbenchLocator
{
    /// <param name="serverBinDirectory">The folder of the server's binaries (postgres, initdb), when known.</param>
    /// <exception cref="SeedException">pgbench is nowhere to be found.</exception>
    public static string Find(string? serverBinDirectory)
    {
        var name = OperatingSystem.IsWindows() ? "pgbench.exe" : "pgbench";
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(serverBinDirectory))
        {
            candidates.Add(Path.Combine(serverBinDirectory, name));
        }

        candidates.AddRange((Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)));
        candidates.AddRange(VersionedDirectories("/usr/lib/postgresql", "").Select(d => Path.Combine(d, "bin", name)));
        candidates.AddRange(VersionedDirectories("/usr", "pgsql-").Select(d => Path.Combine(d, "bin", name)));
        candidates.Add(Path.Combine("/usr/local/pgsql/bin", name));

        return candidates.FirstOrDefault(File.Exists) ?? throw new SeedException(
            "pgbench not found " + (string.IsNullOrEmpty(serverBinDirectory) ? "" : $"next to the server binaries ({serverBinDirectory}), ") +
            "on PATH or under /usr/lib/postgresql/*/bin; install the PostgreSQL package that ships it " +
            "(Debian/Ubuntu: postgresql-NN or postgresql-client-common + postgresql-NN; RHEL: postgresqlNN-contrib)");
    }

    /// <summary>Subfolders named prefix + major version, newest first.</summary>
    private static IEnumerable<string> VersionedDirectories(string parent, string prefix)
    {
        if (!Directory.Exists(parent))
        {
            return [];
        }

        return Directory.GetDirectories(parent, prefix + "*")
            .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d)[prefix.Length..], out var v) ? v : -1))
            .Where(x => x.Version > 0)
            .OrderByDescending(x => x.Version)
            .Select(x => x.Dir);
    }
}
