using System.Text.RegularExpressions;
using QueryLab.Bench.Exits;
using QueryLab.Seed;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>The one place exit codes are decided (ExitCodes), and the README's exit-code tables saying the same.</summary>
[Trait("Category", "Serverless")]
public partial class ExitCodeTests
{
    /// <summary>How README.md's "Exit codes" table names each ending, in the row of its code.</summary>
    private static readonly Dictionary<Ending, string> ReadmeWords = new()
    {
        [Ending.Done] = "success",
        [Ending.VerificationFailed] = "a verification mismatch",
        [Ending.LintFindings] = "lint findings",
        [Ending.Regression] = "a regression found by `compare`",
        [Ending.ConnectionsLeftOpen] = "connections left open by a `load` run",
        [Ending.TrafficBlocked] = "a statement of `migrate --rehearse` that made the traffic wait longer than `--max-block`",
        [Ending.Bug] = "an unexpected error (a bug in QueryLab)",
        [Ending.BadInput] = "bad input or configuration",
        [Ending.CannotCompare] = "runs that cannot be compared",
        [Ending.Environment] = "the environment failed",
        [Ending.Interrupted] = "interrupted (Ctrl+C or SIGTERM)",
    };

    private static readonly string[] Readme = File.ReadAllLines(Path.Combine(LabFixture.RepoRoot, "README.md"));

    private static readonly string[] Verbs = ["server", "migrate", "seed", "verify", "bench", "run", "report", "load", "explain", "advise", "compare", "baseline", "ab", "upgrade"];

    [Fact]
    public void Every_ending_has_a_code_and_the_README_names_it_in_that_codes_row()
    {
        var table = TableAfter("## Exit codes");
        var rows = table.ToDictionary(r => int.Parse(r[0], System.Globalization.CultureInfo.InvariantCulture), r => r[1]);

        Assert.Equal(Enum.GetValues<Ending>().Select(ExitCodes.Code).Distinct().Order(), rows.Keys.Order());
        foreach (var ending in Enum.GetValues<Ending>())
        {
            var row = rows[ExitCodes.Code(ending)];
            Assert.True(row.Contains(ReadmeWords[ending], StringComparison.Ordinal), $"README's exit {ExitCodes.Code(ending)} does not say \"{ReadmeWords[ending]}\" ({ending}): {row}");
        }
    }

    [Fact]
    public void Each_verbs_exit_table_lists_only_codes_that_verb_can_end_with()
    {
        var checkedTables = 0;
        for (var i = 0; i < Readme.Length; i++)
        {
            if (!Readme[i].StartsWith("| exit |", StringComparison.Ordinal))
            {
                continue;
            }

            var verb = VerbAbove(i);
            var allowed = ExitCodes.EndingsOf(verb).Select(ExitCodes.Code).ToHashSet();
            foreach (var row in Rows(i))
            {
                var code = int.Parse(row[0], System.Globalization.CultureInfo.InvariantCulture);
                Assert.True(allowed.Contains(code), $"README says `{verb}` exits {code} ({row[1]}); ExitCodes.EndingsOf(\"{verb}\") has {string.Join(", ", allowed.Order())}");
            }

            checkedTables++;
        }

        Assert.True(checkedTables >= 2, $"found {checkedTables} '| exit |' tables in README.md (run --baseline and load at least)");
    }

    [Fact]
    public void Load_lists_every_code_it_can_end_with()
    {
        var load = Array.FindIndex(Readme, l => l.StartsWith("### `querylab load", StringComparison.Ordinal));
        var header = Array.FindIndex(Readme, load, l => l.StartsWith("| exit |", StringComparison.Ordinal));
        var listed = Rows(header).Select(r => int.Parse(r[0], System.Globalization.CultureInfo.InvariantCulture)).Order();

        Assert.Equal(ExitCodes.EndingsOf("load").Where(e => e != Ending.Bug).Select(ExitCodes.Code).Distinct().Order(), listed);
    }

    [Fact]
    public void The_codes_said_in_words_for_bench_and_ab_are_theirs()
    {
        foreach (var verb in new[] { "bench", "ab" })
        {
            var start = Array.FindIndex(Readme, l => l.StartsWith($"### `querylab {verb}", StringComparison.Ordinal));
            var end = Array.FindIndex(Readme, start + 1, l => l.StartsWith("### ", StringComparison.Ordinal));
            var said = SaidCode().Matches(string.Join(' ', Readme[start..end]))
                .Select(m => int.Parse(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture))
                .ToList();

            Assert.NotEmpty(said);
            Assert.All(said, c => Assert.Contains(c, ExitCodes.EndingsOf(verb).Select(ExitCodes.Code)));
        }
    }

    [Fact]
    public void When_something_goes_wrong_uses_only_the_codes_there_are()
    {
        var codes = Enum.GetValues<Ending>().Select(ExitCodes.Code).ToHashSet();
        var rows = TableAfter("## When something goes wrong");

        Assert.True(rows.Count > 30, $"the table has {rows.Count} rows");
        foreach (var row in rows)
        {
            foreach (Match m in Number().Matches(row[1]))
            {
                Assert.Contains(int.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture), codes);
            }
        }
    }

    [Fact]
    public void Several_endings_of_one_run_exit_with_the_highest_code()
    {
        Assert.Equal(0, ExitCodes.Code(Ending.Done, Ending.Done));
        Assert.Equal(1, ExitCodes.Code(Ending.VerificationFailed, Ending.Regression));
        Assert.Equal(1, ExitCodes.Code(Ending.Done, Ending.Regression));
        Assert.Equal(Ending.Done, ExitCodes.If(false, Ending.LintFindings));
    }

    [Theory]
    [InlineData(false, 2, ExitCode.BadInput)]
    [InlineData(false, 3, ExitCode.Environment)]
    [InlineData(false, 130, ExitCode.Interrupted)]
    [InlineData(false, 1, ExitCode.BadInput)]
    [InlineData(true, 3, ExitCode.BadInput)]
    [InlineData(true, 130, ExitCode.BadInput)]
    public void A_failed_bench_of_ab_passes_on_the_heads_input_environment_and_interrupt_and_nothing_of_the_base(bool isBase, int code, ExitCode expected) =>
        Assert.Equal(expected, ExitCodes.OfFailedBench(isBase, code));

    /// <summary>The rows (cells without the outer pipes, split on unescaped '|') of the first table after a heading.</summary>
    private static List<string[]> TableAfter(string heading)
    {
        var at = Array.FindIndex(Readme, l => l == heading);
        Assert.True(at >= 0, $"README.md has no '{heading}'");
        var header = Array.FindIndex(Readme, at, l => l.StartsWith('|'));
        return Rows(header);
    }

    private static List<string[]> Rows(int header)
    {
        var rows = new List<string[]>();
        for (var i = header + 2; i < Readme.Length && Readme[i].StartsWith('|'); i++)
        {
            var cells = CellSplit().Split(Readme[i].Trim().Trim('|')).Select(c => c.Trim()).ToArray();
            if (!cells[0].StartsWith("**", StringComparison.Ordinal))
            {
                rows.Add(cells); // not a section row ("| **Connection** | | |")
            }
        }

        return rows;
    }

    private static string VerbAbove(int line)
    {
        for (var i = line; i >= 0; i--)
        {
            if (Readme[i].StartsWith("### `querylab ", StringComparison.Ordinal))
            {
                return Verbs.First(v => Readme[i].StartsWith($"### `querylab {v}", StringComparison.Ordinal));
            }
        }

        throw new InvalidOperationException($"no verb heading above README.md line {line + 1}");
    }

    [GeneratedRegex(@"(?<!\\)\|")]
    private static partial Regex CellSplit();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Number();

    /// <summary>"0 no regression", "1 a regression", "2 cannot compare", "130 interrupted"; "exit 2", "exits 2", "exit code is 1".</summary>
    [GeneratedRegex(@"\b(\d+) (?:no regression|a regression|a verification|cannot compare|runs that|interrupted)|\bexit(?:s| code is)? (\d+)", RegexOptions.IgnoreCase)]
    private static partial Regex SaidCode();
}
