using System.Globalization;
using QueryLab.Seed;

namespace QueryLab.Bench.Results;

/// <summary>
/// A run's folder under reports/. Everything is written into a hidden temporary folder and renamed into
/// place only when the run is complete, so an interrupted run never leaves a folder that looks finished;
/// then reports/latest is refreshed (also by rename) to hold a copy of it.
/// </summary>
public sealed class RunFolder
{
    private RunFolder(string reportsDir, string runId)
    {
        ReportsDir = reportsDir;
        RunId = runId;
        WorkDir = Path.Combine(reportsDir, $".{runId}.partial");
        var latestId = Path.Combine(reportsDir, "latest", "RUN_ID");
        PreviousLatest = File.Exists(latestId) ? File.ReadAllText(latestId).Trim() : null;
    }

    public string ReportsDir { get; }

    public string RunId { get; }

    /// <summary>Where the run writes while it is going on.</summary>
    public string WorkDir { get; }

    /// <summary>Where the run is once complete.</summary>
    public string FinalDir => Path.Combine(ReportsDir, RunId);

    public static RunFolder Create(string reportsDir, string label, DateTimeOffset now)
    {
        var runId = $"{now.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{label}";
        try
        {
            Directory.CreateDirectory(reportsDir);
            var folder = new RunFolder(reportsDir, runId);
            Directory.CreateDirectory(folder.WorkDir);
            var probe = Path.Combine(folder.WorkDir, ".write-test");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return folder;
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw NotWritable(reportsDir, ex);
        }
    }

    /// <summary>
    /// Exit 2 unless a run can be written under <paramref name="reportsDir"/> (created if missing): checked before the
    /// server is opened, so a folder that is not writable costs no seed and no measurement.
    /// </summary>
    public static void CheckWritable(string reportsDir)
    {
        var probe = Path.Combine(reportsDir, $".write-test-{Guid.NewGuid():N}");
        try
        {
            var created = !Directory.Exists(reportsDir);
            Directory.CreateDirectory(reportsDir);
            File.WriteAllText(probe, "");
            File.Delete(probe);
            if (created)
            {
                Directory.Delete(reportsDir); // a run refused later (no seed, a busy server) leaves no empty folder behind
            }
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw NotWritable(reportsDir, ex);
        }
    }

    private static LabException NotWritable(string reportsDir, Exception ex) =>
        LabException.BadInput($"cannot write to the reports folder {reportsDir} ({ex.Message}); make it writable or pass --reports with another folder", ex);

    /// <summary>The run reports/latest held when this run started (its RUN_ID), or null when there was none.</summary>
    public string? PreviousLatest { get; }

    /// <summary>What an interrupted or failed run leaves, as it is now: for the line printed when a run is interrupted.</summary>
    public string DescribeUnfinished()
    {
        var work = Directory.Exists(WorkDir) ? $"its temporary folder {WorkDir} is left, hidden" : "its temporary folder was removed";
        var latest = Path.Combine(ReportsDir, "latest");
        var still = PreviousLatest is not null ? $"{latest} still holds the run {PreviousLatest}" : Directory.Exists(latest) ? $"{latest} is unchanged" : $"there is no {latest} yet";
        return $"the run {RunId} was not completed ({work}; no {FinalDir} was written); {still}";
    }

    public string PathOf(string relative) => Path.Combine(WorkDir, relative);

    /// <summary>
    /// Moves the finished run into place and, with <paramref name="updateLatest"/>, points reports/latest at a copy of it
    /// (runs that hold no results.json, such as a load run, leave reports/latest to the last bench).
    /// </summary>
    public string Complete(bool updateLatest = true)
    {
        Directory.Move(WorkDir, FinalDir);
        if (!updateLatest)
        {
            return FinalDir;
        }

        var latest = Path.Combine(ReportsDir, "latest");
        var staging = Path.Combine(ReportsDir, ".latest.partial");
        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }

        CopyDirectory(FinalDir, staging);
        File.WriteAllText(Path.Combine(staging, "RUN_ID"), RunId + "\n");
        if (Directory.Exists(latest))
        {
            var old = Path.Combine(ReportsDir, ".latest.old");
            if (Directory.Exists(old))
            {
                Directory.Delete(old, recursive: true);
            }

            Directory.Move(latest, old);
            Directory.Move(staging, latest);
            Directory.Delete(old, recursive: true);
        }
        else
        {
            Directory.Move(staging, latest);
        }

        return FinalDir;
    }

    /// <summary>Removes what an interrupted or failed run wrote.</summary>
    public void Abandon()
    {
        try
        {
            if (Directory.Exists(WorkDir))
            {
                Directory.Delete(WorkDir, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: a hidden .partial folder is never mistaken for a run.
        }
    }

    /// <summary>Copies a folder with everything under it into <paramref name="to"/> (created).</summary>
    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from))
        {
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }

        foreach (var d in Directory.GetDirectories(from))
        {
            CopyDirectory(d, Path.Combine(to, Path.GetFileName(d)));
        }
    }
}
