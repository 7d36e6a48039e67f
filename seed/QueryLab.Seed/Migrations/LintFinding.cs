namespace QueryLab.Seed.Migrations;

/// <summary>How much a lint finding matters: a warning fails <c>migrate --check</c> (exit 1); an info is advice.</summary>
public enum LintSeverity
{
    Warning,
    Info,
}

/// <summary>
/// One problem in a pending migration. <see cref="Rule"/> uses squawk's rule name where one matches;
/// <see cref="Line"/> is the 1-based line where the statement starts (for a column type, the column's line); <see cref="Fix"/> says what to write instead.
/// </summary>
public sealed record LintFinding(string Rule, string File, int Line, string Message, string Fix, LintSeverity Severity = LintSeverity.Warning)
{
    public override string ToString() => $"{File}:{Line}: {Rule}: {Message} Fix: {Fix}";

    /// <summary>
    /// The finding as a GitHub Actions workflow command (<c>::warning file=…,line=…,title=rule::message</c>; an info is a
    /// <c>::notice</c>), which a pull request shows on the line. <paramref name="path"/> is the file as the repository names it.
    /// </summary>
    public string GitHubAnnotation(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var level = Severity == LintSeverity.Info ? "notice" : "warning";
        return $"::{level} file={Property(path)},line={Line.ToString(System.Globalization.CultureInfo.InvariantCulture)},title={Property(Rule)}::{Data($"{Message} Fix: {Fix}")}";
    }

    // GitHub's escaping of workflow command data and properties (actions/toolkit, command.ts).
    private static string Data(string s) =>
        s.Replace("%", "%25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);

    private static string Property(string s) =>
        Data(s).Replace(":", "%3A", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal);
}

/// <summary>The rule names <see cref="MigrationLinter"/> reports: squawk's where one matches, QueryLab's own otherwise.</summary>
public static class LintRules
{
    public const string BanDropTable = "ban-drop-table";
    public const string BanDropColumn = "ban-drop-column";
    public const string BanDropDatabase = "ban-drop-database";
    public const string BanTruncate = "ban-truncate";
    public const string BanTruncateCascade = "ban-truncate-cascade";
    public const string DropThenAddColumn = "drop-then-add-column";
    public const string RenamingColumn = "renaming-column";
    public const string RenamingTable = "renaming-table";
    public const string RequireConcurrentIndexCreation = "require-concurrent-index-creation";
    public const string RequireConcurrentIndexDeletion = "require-concurrent-index-deletion";
    public const string BanConcurrentIndexCreationInTransaction = "ban-concurrent-index-creation-in-transaction";
    public const string ConcurrentIndexInTransaction = "concurrent-index-in-transaction";
    public const string AddingFieldWithDefault = "adding-field-with-default";
    public const string ChangingColumnType = "changing-column-type";
    public const string AddingRequiredField = "adding-required-field";
    public const string AddingNotNullableField = "adding-not-nullable-field";
    public const string AddingForeignKeyConstraint = "adding-foreign-key-constraint";
    public const string ConstraintMissingNotValid = "constraint-missing-not-valid";
    public const string DisallowedUniqueConstraint = "disallowed-unique-constraint";
    public const string RequireLockTimeout = "require-lock-timeout";
    public const string RequireStatementTimeout = "require-statement-timeout";
    public const string PreferTimestampTz = "prefer-timestamp-tz";
    public const string PreferRobustStmts = "prefer-robust-stmts";
}
