using System.Globalization;
using System.Text;

namespace QueryLab.Bench.Compare;

/// <summary>
/// What a GitHub Actions job shows: <c>::error</c> annotations for regressions and <c>::warning</c> for what
/// weakens the comparison (printed when GITHUB_ACTIONS is true or GITHUB_STEP_SUMMARY is set), and the
/// verdict with the regressions table appended to the job summary (GITHUB_STEP_SUMMARY).
/// </summary>
public static class GitHubActions
{
    public static bool Enabled(Func<string, string?> env)
    {
        ArgumentNullException.ThrowIfNull(env);
        return string.Equals(env("GITHUB_ACTIONS"), "true", StringComparison.OrdinalIgnoreCase) || env("GITHUB_STEP_SUMMARY") is { Length: > 0 };
    }

    public static void Annotate(CompareReport r, TextWriter o)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(o);
        foreach (var w in r.Warnings)
        {
            Warning(o, "QueryLab compare", w);
        }

        foreach (var c in r.Regressions)
        {
            var what = c.Statement is null ? c.Metric : c.Metric + " of one statement";
            Error(o, $"QueryLab regression: {c.Scenario} / {c.Variant}", $"{CompareMarkdown.Kind(c.Kind)} {what}: {c.BaselineText} → {c.CandidateText}, {c.ChangeText}");
        }
    }

    public static void Error(TextWriter o, string title, string message)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.WriteLine($"::error title={Property(title)}::{Data(message)}");
    }

    public static void Warning(TextWriter o, string title, string message)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.WriteLine($"::warning title={Property(title)}::{Data(message)}");
    }

    /// <summary>The verdict and the regressions table, for the job summary.</summary>
    public static string Summary(CompareReport r, string comparePath)
    {
        ArgumentNullException.ThrowIfNull(r);
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"## QueryLab compare — {r.Candidate.RunId} against {r.Baseline.RunId}");
        md.AppendLine();
        md.AppendLine(CompareMarkdown.Verdict(r));
        md.AppendLine();
        foreach (var w in r.Warnings)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"> **Warning:** {w}");
            md.AppendLine();
        }

        if (r.Regressions.Count > 0)
        {
            CompareMarkdown.Table(md, r.Regressions, "");
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"Full comparison: `{comparePath}`");
        md.AppendLine();
        return md.ToString();
    }

    /// <summary>Appends to the job summary; a summary that cannot be written is reported, not fatal.</summary>
    public static void AppendSummary(string path, string markdown, TextWriter err)
    {
        ArgumentNullException.ThrowIfNull(err);
        try
        {
            File.AppendAllText(path, markdown);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            err.WriteLine($"warning: could not append to GITHUB_STEP_SUMMARY ({path}): {ex.Message}");
        }
    }

    // Workflow commands: the message escapes %, CR and LF; a property also ':' and ','.
    private static string Data(string s) =>
        s.Replace("%", "%25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);

    private static string Property(string s) =>
        Data(s).Replace(":", "%3A", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal);
}
