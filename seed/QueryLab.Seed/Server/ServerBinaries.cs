using System.Globalization;
using System.Text.RegularExpressions;

namespace QueryLab.Seed.Server;

/// <summary>The PostgreSQL server binaries QueryLab runs its embedded cluster with.</summary>
public sealed partial record ServerBinaries(string BinDir, int MajorVersion, string VersionText)
{
    public const int OldestSupportedMajor = 13;

    public string Initdb => Path.Combine(BinDir, "initdb");

    public string PgCtl => Path.Combine(BinDir, "pg_ctl");

    public string Postgres => Path.Combine(BinDir, "postgres");

    /// <summary>pgbench beside the server, else the one on PATH, else null.</summary>
    public string? Pgbench => File.Exists(Path.Combine(BinDir, "pgbench")) ? Path.Combine(BinDir, "pgbench") : FindOnPath("pgbench");

    /// <summary>Where to look, in order: <c>QUERYLAB_PG_BIN</c>, PATH, <c>pg_config --bindir</c>, the newest <c>/usr/lib/postgresql/*/bin</c>.</summary>
    public sealed record SearchPlaces(string? ExplicitBinDir, string? PathVariable, bool AskPgConfig, string DistroRoot)
    {
        public static SearchPlaces FromEnvironment() => new(
            Environment.GetEnvironmentVariable("QUERYLAB_PG_BIN"),
            Environment.GetEnvironmentVariable("PATH"),
            AskPgConfig: true,
            DistroRoot: "/usr/lib/postgresql");
    }

    public static async Task<ServerBinaries> FindAsync(SearchPlaces places, CancellationToken ct)
    {
        var tried = new List<string>();
        var tooOld = new List<string>();
        foreach (var dir in await CandidatesAsync(places, tried, ct))
        {
            if (await ProbeAsync(dir, ct) is { } found)
            {
                if (found.MajorVersion < OldestSupportedMajor)
                {
                    tooOld.Add($"{dir} holds PostgreSQL {found.MajorVersion}");
                    continue;
                }

                return found;
            }
        }

        if (tooOld.Count > 0)
        {
            throw LabException.Environment(
                $"the PostgreSQL server binaries found are older than QueryLab supports ({string.Join(", ", tooOld.Distinct())}; QueryLab needs {OldestSupportedMajor} or newer); "
                + "install newer ones (Debian: apt-get install postgresql) and set QUERYLAB_PG_BIN to their folder, or pass --connection to use a server you have");
        }

        throw LabException.Environment(
            "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found"
            + (tried.Count > 0 ? $" (looked in {string.Join(", ", tried.Distinct())})" : "")
            + $"; install them (Debian: apt-get install postgresql) or set QUERYLAB_PG_BIN to their folder, or pass --connection to use a server you have");
    }

    /// <summary>The binaries in <paramref name="dir"/> and their major (postgres --version), or null when it holds no initdb, pg_ctl and postgres that run.</summary>
    public static async Task<ServerBinaries?> ProbeAsync(string dir, CancellationToken ct)
    {
        if (!File.Exists(Path.Combine(dir, "initdb")) || !File.Exists(Path.Combine(dir, "pg_ctl")) || !File.Exists(Path.Combine(dir, "postgres")))
        {
            return null;
        }

        var v = await ProcessRunner.RunAsync(Path.Combine(dir, "postgres"), ["--version"], ct: ct);
        var m = VersionPattern().Match(v.StdOut);
        return v.Succeeded && m.Success ? new ServerBinaries(dir, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), v.StdOut.Trim()) : null;
    }

    private static async Task<IReadOnlyList<string>> CandidatesAsync(SearchPlaces places, List<string> tried, CancellationToken ct)
    {
        var dirs = new List<string>();
        if (!string.IsNullOrWhiteSpace(places.ExplicitBinDir))
        {
            // An explicit choice is the only choice: silently falling back would hide a typo.
            tried.Add(places.ExplicitBinDir + " (QUERYLAB_PG_BIN)");
            return [places.ExplicitBinDir];
        }

        foreach (var p in (places.PathVariable ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(p, "initdb")))
            {
                dirs.Add(p);
            }
        }

        tried.Add("PATH");
        if (places.AskPgConfig)
        {
            var pgConfig = FindOnPath("pg_config", places.PathVariable);
            if (pgConfig is not null)
            {
                try
                {
                    var r = await ProcessRunner.RunAsync(pgConfig, ["--bindir"], ct: ct);
                    if (r.Succeeded && r.StdOut.Trim().Length > 0)
                    {
                        dirs.Add(r.StdOut.Trim());
                    }
                }
                catch (LabException)
                {
                    // pg_config that cannot run is not a server.
                }
            }

            tried.Add("pg_config --bindir");
        }

        if (Directory.Exists(places.DistroRoot))
        {
            var newest = Directory.GetDirectories(places.DistroRoot)
                .Select(d => (dir: d, ok: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var n), n))
                .Where(x => x.ok)
                .OrderByDescending(x => x.n)
                .Select(x => Path.Combine(x.dir, "bin"));
            dirs.AddRange(newest);
        }

        tried.Add(Path.Combine(places.DistroRoot, "*", "bin"));
        return dirs;
    }

    public static string? FindOnPath(string name, string? pathVariable = null)
    {
        foreach (var p in (pathVariable ?? Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var f = Path.Combine(p, name);
            if (File.Exists(f))
            {
                return f;
            }
        }

        return null;
    }

    [GeneratedRegex(@"\(PostgreSQL\)\s+(\d+)")]
    private static partial Regex VersionPattern();
}
