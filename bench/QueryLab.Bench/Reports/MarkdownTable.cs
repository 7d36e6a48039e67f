using System.Text;

namespace QueryLab.Bench.Reports;

/// <summary>A column of a <see cref="MarkdownTable"/>: its heading and whether figures line up on the right.</summary>
public sealed record Column(string Heading, bool Right = false)
{
    public static implicit operator Column(string heading) => new(heading);

    /// <summary>A column of figures, aligned right (<c>---:</c>).</summary>
    public static Column Figures(string heading) => new(heading, Right: true);
}

/// <summary>
/// The one Markdown writer of report.md, compare.md and load.md: tables whose cells are escaped here (a '|' in a
/// statement or an error message cannot split a row, a line break cannot end one), inline code, and text.
/// Cells are Markdown: emphasis, links and code spans are kept as given.
/// </summary>
public sealed class MarkdownTable(params Column[] columns)
{
    private readonly List<string> _rows = [];

    public int Count => _rows.Count;

    /// <summary>One row; fewer cells than columns leaves the rest empty.</summary>
    /// <exception cref="ArgumentException">More cells than columns.</exception>
    public MarkdownTable Row(params string?[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Length > columns.Length)
        {
            throw new ArgumentException($"a row of {cells.Length} cells in a table of {columns.Length} columns", nameof(cells));
        }

        _rows.Add(Line(cells.Concat(Enumerable.Repeat("", columns.Length - cells.Length)).Select(c => Markdown.Cell(c ?? ""))));
        return this;
    }

    /// <summary>The heading, the alignment line and the rows, then a blank line.</summary>
    public void WriteTo(StringBuilder md)
    {
        ArgumentNullException.ThrowIfNull(md);
        md.AppendLine(Line(columns.Select(c => Markdown.Cell(c.Heading))));
        md.AppendLine(Line(columns.Select(c => c.Right ? "---:" : "---")));
        foreach (var r in _rows)
        {
            md.AppendLine(r);
        }

        md.AppendLine();
    }

    private static string Line(IEnumerable<string> cells) => "|" + string.Concat(cells.Select(c => c.Length == 0 ? " |" : $" {c} |"));
}

/// <summary>Escaping and small pieces of Markdown, the same in every report.</summary>
public static class Markdown
{
    /// <summary>Text made safe for a table cell: '|' escaped, line breaks made spaces.</summary>
    public static string Cell(string s) =>
        (s ?? "").Replace("|", "\\|", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    /// <summary>Inline code; a backtick inside is kept by a longer fence.</summary>
    public static string Code(string s) => (s ?? "").Contains('`', StringComparison.Ordinal) ? $"`` {s} ``" : $"`{s}`";

    /// <summary>A heading's anchor as code hosts make it (lower case; the names here have no spaces).</summary>
    public static string Anchor(string heading) => (heading ?? "").ToLowerInvariant();

    /// <summary>"took 8.5 min" from a start and an end, or "unfinished".</summary>
    public static string Took(DateTimeOffset started, DateTimeOffset? finished) =>
        finished is { } f ? $"took {(f - started).TotalMinutes.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} min" : "unfinished";

    /// <summary>A commit as the reports show it: "`0123456789ab` with uncommitted changes on main", or "unknown".</summary>
    public static string Commit(string? commit, bool dirty = false, string? branch = null) =>
        commit is null ? "unknown" : $"`{commit[..Math.Min(12, commit.Length)]}`{(dirty ? " with uncommitted changes" : "")}{(branch is null ? "" : $" on {branch}")}";
}
