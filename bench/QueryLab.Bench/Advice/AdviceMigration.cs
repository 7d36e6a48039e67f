using System.Globalization;
using System.Text.RegularExpressions;
using QueryLab.Seed;

namespace QueryLab.Bench.Advice;

/// <summary>
/// <c>--write-migration DIR</c>: each recommended index as the next migration file of the folder, in the no-transaction
/// form (<c>CREATE INDEX CONCURRENTLY</c> cannot run in a transaction, nor beside another statement), one index a file,
/// so that <c>querylab migrate --check --migrations DIR</c> passes it and <c>migrate</c> applies it.
/// </summary>
public static partial class AdviceMigration
{
    /// <summary>Exit 2 unless <paramref name="dir"/> is a folder of migrations a file can be written to; checked before the server is opened.</summary>
    public static string Check(string dir)
    {
        ArgumentNullException.ThrowIfNull(dir);
        if (!Directory.Exists(dir))
        {
            throw LabException.BadInput($"--write-migration {dir}: no such folder; name the folder of the migration files (seed/Migrations)");
        }

        var probe = Path.Combine(dir, $".querylab-write-test-{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}");
        try
        {
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw LabException.BadInput($"--write-migration {dir}: the folder is not writable ({ex.Message}); make it writable or name another");
        }

        return dir;
    }

    /// <summary>Writes one file per recommended candidate, numbered after the highest in the folder; returns their paths.</summary>
    public static IReadOnlyList<string> Write(string dir, IReadOnlyList<CandidateProof> recommended, string runId)
    {
        ArgumentNullException.ThrowIfNull(recommended);
        var next = Directory.GetFiles(dir, "*.sql")
            .Select(f => Numbered().Match(Path.GetFileName(f)))
            .Where(m => m.Success)
            .Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .DefaultIfEmpty(0)
            .Max() + 1;
        var written = new List<string>();
        foreach (var c in recommended)
        {
            var path = Path.Combine(dir, $"{next.ToString("0000", CultureInfo.InvariantCulture)}_{c.Name}.sql");
            var text = "-- querylab:no-transaction\n"
                + $"-- Recommended by querylab advise (run {runId}) for {string.Join(", ", c.Reads.Where(r => r.Verdict == Timing.DuetVerdict.Faster).Select(r => r.Operation))}:\n"
                + $"-- {c.Why.Replace('\n', ' ')}\n"
                + $"-- Built in {Reports.Units.Ms(c.BuildMs ?? 0)} on the lab ({Reports.Units.Bytes(c.SizeBytes)}); CONCURRENTLY does not block writes while it builds.\n"
                + "-- Bounded like every migration (require-lock-timeout, require-statement-timeout): the build may take 20× what it took on the\n"
                + "-- lab, at least a minute. A build stopped by either leaves an INVALID index: DROP INDEX CONCURRENTLY IF EXISTS it, then run this again.\n"
                + "SET lock_timeout = '1s';\n"
                + $"SET statement_timeout = '{StatementBound(c.BuildMs).ToString(CultureInfo.InvariantCulture)}s';\n"
                + c.CreateConcurrently + "\n"
                + "RESET statement_timeout;\n"
                + "RESET lock_timeout;\n";
            var tmp = path + ".tmp";
            File.WriteAllText(tmp, text);
            File.Move(tmp, path);
            written.Add(path);
            next++;
        }

        return written;
    }

    /// <summary>The statement_timeout the file sets for the build: 20× the lab's build time, at least 60 s, in whole seconds.</summary>
    public static long StatementBound(double? buildMs) => Math.Max(60, (long)Math.Ceiling((buildMs ?? 0) * 20 / 1000));

    [GeneratedRegex(@"^(\d{4})_[a-z0-9_]+\.sql$")]
    private static partial Regex Numbered();
}
