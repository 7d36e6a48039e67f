using System.Text.RegularExpressions;
using QueryLab.Seed.Migrations;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>
/// QueryLab's lint against squawk's on a corpus of migration files (tests/QueryLab.Tests/LintCorpus): squawk's findings
/// are in squawk-findings.txt, written by compare-with-squawk.sh (squawk itself is not needed here); every finding one
/// side has and the other has not must be a row of SQUAWK.md, with its reason, and every row there must still hold.
/// </summary>
[Trait("Category", "Serverless")]
public sealed partial class SquawkParityTests
{
    private static readonly string Corpus = Path.Combine(LabFixture.RepoRoot, "tests", "QueryLab.Tests", "LintCorpus");

    /// <summary>The lab's tables: every corpus file is linted alone, as a pending file on a seeded lab.</summary>
    private static readonly HashSet<string> LabTables =
        ["querylab.carriers", "querylab.shipments", "querylab.tracking_events", "querylab.transactions"];

    [GeneratedRegex(@"^\|\s*(QueryLab only|squawk only)\s*\|\s*`(\d{4}_\w+\.sql:\d+ [a-z-]+)`\s*\|", RegexOptions.Multiline)]
    private static partial Regex DifferenceRow();

    private static SortedSet<string> QueryLabFindings() =>
        new(Directory.GetFiles(Corpus, "*.sql")
            .SelectMany(f => MigrationLinter.Lint([MigrationFile.Load(f)], LabTables))
            .Select(f => $"{f.File}:{f.Line} {f.Rule}"), StringComparer.Ordinal);

    [Fact]
    public void Every_difference_from_squawk_on_the_corpus_is_listed_with_its_reason()
    {
        var squawk = new SortedSet<string>(File.ReadAllLines(Path.Combine(Corpus, "squawk-findings.txt")).Where(l => l.Length > 0), StringComparer.Ordinal);
        var ours = QueryLabFindings();
        var listed = DifferenceRow().Matches(File.ReadAllText(Path.Combine(Corpus, "SQUAWK.md")))
            .Select(m => (Side: m.Groups[1].Value, Finding: m.Groups[2].Value)).ToList();

        var onlyOurs = ours.Except(squawk).ToList();
        var onlySquawk = squawk.Except(ours).ToList();
        Assert.True(squawk.Count > 10, "squawk-findings.txt looks empty: rerun compare-with-squawk.sh");
        var listedOurs = listed.Where(l => l.Side == "QueryLab only").Select(l => l.Finding).Order(StringComparer.Ordinal).ToList();
        var listedSquawk = listed.Where(l => l.Side == "squawk only").Select(l => l.Finding).Order(StringComparer.Ordinal).ToList();
        Assert.True(onlyOurs.SequenceEqual(listedOurs), $"QueryLab only, found: [{string.Join("; ", onlyOurs)}]; SQUAWK.md lists: [{string.Join("; ", listedOurs)}]");
        Assert.True(onlySquawk.SequenceEqual(listedSquawk), $"squawk only, found: [{string.Join("; ", onlySquawk)}]; SQUAWK.md lists: [{string.Join("; ", listedSquawk)}]");
    }

    [Fact]
    public void The_corpus_has_a_finding_of_every_squawk_hazard_rule_QueryLab_shares()
    {
        var ours = QueryLabFindings().Select(f => f[(f.IndexOf(' ', StringComparison.Ordinal) + 1)..]).ToHashSet(StringComparer.Ordinal);
        string[] shared =
        [
            LintRules.RequireConcurrentIndexCreation, LintRules.RequireConcurrentIndexDeletion, LintRules.ChangingColumnType,
            LintRules.RenamingColumn, LintRules.RenamingTable, LintRules.RequireLockTimeout, LintRules.RequireStatementTimeout,
            LintRules.PreferTimestampTz, LintRules.PreferRobustStmts, LintRules.BanDropColumn, LintRules.BanDropTable,
            LintRules.BanTruncateCascade, LintRules.ConstraintMissingNotValid, LintRules.DisallowedUniqueConstraint,
            LintRules.AddingNotNullableField, LintRules.AddingRequiredField, LintRules.DropThenAddColumn,
        ];
        Assert.Empty(shared.Except(ours));
    }
}
