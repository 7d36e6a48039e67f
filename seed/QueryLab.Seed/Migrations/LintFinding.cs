namespace QueryLab.Seed.Migrations;

/// <summary>
/// One problem in a pending migration. <see cref="Rule"/> uses squawk's rule name where one matches;
/// <see cref="Line"/> is the 1-based line where the statement starts; <see cref="Fix"/> says what to write instead.
/// </summary>
public sealed record LintFinding(string Rule, string File, int Line, string Message, string Fix)
{
    public override string ToString() => $"{File}:{Line}: {Rule}: {Message} Fix: {Fix}";
}

/// <summary>The rule names <see cref="MigrationLinter"/> reports: squawk's where one matches, QueryLab's own otherwise.</summary>
public static class LintRules
{
    public const string BanDropTable = "ban-drop-table";
    public const string BanDropColumn = "ban-drop-column";
    public const string BanTruncate = "ban-truncate";
    public const string BanTruncateCascade = "ban-truncate-cascade";
    public const string DropThenAddColumn = "drop-then-add-column";
    public const string RequireConcurrentIndexCreation = "require-concurrent-index-creation";
    public const string RequireConcurrentIndexDeletion = "require-concurrent-index-deletion";
    public const string ConcurrentIndexInTransaction = "concurrent-index-in-transaction";
    public const string ChangingColumnType = "changing-column-type";
    public const string AddingRequiredField = "adding-required-field";
    public const string AddingNotNullableField = "adding-not-nullable-field";
    public const string AddingForeignKeyConstraint = "adding-foreign-key-constraint";
    public const string ConstraintMissingNotValid = "constraint-missing-not-valid";
    public const string DisallowedUniqueConstraint = "disallowed-unique-constraint";
}
