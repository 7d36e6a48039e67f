using System.Diagnostics;

namespace QueryLab.Tests.Infrastructure;

/// <summary>
/// A test that builds the server-side delay module (seed/QueryLab.Seed/Server/Spin): skipped, saying what to install,
/// when this machine has no C compiler or no PostgreSQL server headers. Every other failure is a failure.
/// </summary>
public sealed class SpinFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Missing = new(FindMissing);

    /// <summary>Why querylab_spin cannot be built here (null: it can), for a test that checks where calibrate's delay went.</summary>
    public static string? WhyNot => Missing.Value;

    public SpinFactAttribute()
    {
        if (Missing.Value is { } missing)
        {
            Skip = missing;
        }
    }

    private static string? FindMissing()
    {
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        if (!path.Any(d => new[] { "cc", "gcc", "clang" }.Any(n => File.Exists(Path.Combine(d, n)))))
        {
            return "no C compiler (cc, gcc or clang) on PATH to build querylab_spin: apt-get install gcc (.ci/run installs it)";
        }

        var distro = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")) : [];
        var headers = path.Concat(distro)
            .Select(d => Path.Combine(d, "pg_config"))
            .Where(File.Exists)
            .Select(IncludeDirServer)
            .Any(dir => dir is not null && File.Exists(Path.Combine(dir, "postgres.h")));
        return headers ? null
            : "no PostgreSQL server headers (pg_config --includedir-server/postgres.h) to build querylab_spin: apt-get install postgresql-server-dev-<major> (.ci/run installs it)";
    }

    private static string? IncludeDirServer(string pgConfig)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(pgConfig, "--includedir-server") { RedirectStandardOutput = true, RedirectStandardError = true });
            if (p is null)
            {
                return null;
            }

            var output = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return p.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}

/// <summary>A theory that builds querylab_spin: skipped, like <see cref="SpinFactAttribute"/>, when it cannot be built here.</summary>
public sealed class SpinTheoryAttribute : TheoryAttribute
{
    public SpinTheoryAttribute()
    {
        if (SpinFactAttribute.WhyNot is { } missing)
        {
            Skip = missing;
        }
    }
}
