using System.Text.RegularExpressions;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;

namespace QueryLab.Tests.Reports;

/// <summary>What a reviewer relies on in a run folder's report.md and scenarios/*.md, checked the way a code host follows links.</summary>
internal static partial class ReportFolder
{
    /// <summary>
    /// report.md links to scenarios/&lt;name&gt;.md of every scenario of the run, each exists, and every relative link of
    /// report.md and of the scenario files reaches a file or folder of the run and, when it names an anchor, a heading there.
    /// </summary>
    public static void AssertLinksResolve(string run, RunResults results)
    {
        var report = File.ReadAllText(Path.Combine(run, "report.md"));
        foreach (var s in results.Scenarios)
        {
            Assert.Contains($"details: [scenarios/{s.Name}.md](scenarios/{s.Name}.md)", report, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(run, "scenarios", s.Name + ".md")), $"scenarios/{s.Name}.md");
        }

        Assert.Equal(
            results.Scenarios.Select(s => s.Name + ".md").Order(StringComparer.Ordinal),
            Directory.GetFiles(Path.Combine(run, "scenarios")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var file in Directory.GetFiles(Path.Combine(run, "scenarios"), "*.md").Append(Path.Combine(run, "report.md")))
        {
            var links = Links().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value).Where(l => !l.Contains("://", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(links);
            foreach (var link in links)
            {
                var (path, anchor) = link.Split('#') is [var p, var a] ? (p, a) : (link, null);
                var target = path.Length == 0 ? file : Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, path));
                Assert.True(
                    Path.GetFullPath(target).StartsWith(Path.GetFullPath(run), StringComparison.Ordinal) && (File.Exists(target) || Directory.Exists(target)),
                    $"{Path.GetRelativePath(run, file)} links to {link}, which is not in the run folder");
                if (anchor is not null)
                {
                    Assert.Contains(anchor, Headings(File.ReadAllText(target)));
                }
            }
        }
    }

    /// <summary>The anchors a code host gives the headings of a Markdown file (lower case, spaces as '-', punctuation dropped).</summary>
    public static IReadOnlyList<string> Headings(string markdown) =>
        Heading().Matches(markdown).Select(m => Punctuation().Replace(m.Groups[1].Value.Trim().ToLowerInvariant(), "").Replace(' ', '-')).ToList();

    /// <summary>The run with every statement's SQL and every plan tree <paramref name="times"/> as long.</summary>
    public static RunResults Inflated(RunResults r, int times) => r with
    {
        Scenarios = r.Scenarios.Select(s => s with
        {
            Variants = s.Variants.Select(v => v.Profile is null ? v : v with
            {
                Profile = v.Profile with
                {
                    DistinctStatements = v.Profile.DistinctStatements.Select(st => st with
                    {
                        Sql = string.Join("\nUNION ALL\n", Enumerable.Repeat(st.Sql, times)),
                        Plan = st.Plan is null ? null : st.Plan with { Tree = string.Concat(Enumerable.Repeat(st.Plan.Tree, times)) },
                        GenericPlan = st.GenericPlan is null ? null : st.GenericPlan with { Tree = string.Concat(Enumerable.Repeat(st.GenericPlan.Tree, times)) },
                    }).ToList(),
                },
            }).ToList(),
        }).ToList(),
    };

    /// <summary>Every distinct statement of the run, formatted as the scenario file prints it, with its plan tree.</summary>
    public static IEnumerable<(ScenarioResult Scenario, string Variant, string Sql, string? Tree)> Statements(RunResults r) =>
        r.Scenarios.SelectMany(s => s.Variants.SelectMany(v => (v.Profile?.DistinctStatements ?? [])
            .Select(st => (s, v.Name, SqlFormatter.Format(st.Sql), st.Plan?.Tree.TrimEnd()))));

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex Links();

    [GeneratedRegex(@"^#{1,6} (.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{N} _-]")]
    private static partial Regex Punctuation();
}
