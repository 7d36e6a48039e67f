using System.CommandLine;
using QueryLab.Bench.Lab;

namespace QueryLab.Bench.Cli;

/// <summary><c>querylab migrate [--dry-run] [--check]</c>: apply, preview or lint the schema's SQL files.</summary>
public static class MigrateCommand
{
    public static readonly Option<bool> DryRun = new("--dry-run") { Description = "Print the SQL of the pending migrations instead of running it." };

    public static readonly Option<bool> Check = new("--check")
    {
        Description = "Lint the pending migrations for changes that destroy data or lock production tables (squawk's rule names); exit 1 on findings.",
    };

    private static readonly string[] Formats = ["text", "github"];

    public static readonly CheckedOption<LintFormat> Format = new("--format", ParseFormat, Formats)
    {
        Description = "How --check prints its findings: text (default), or github for GitHub Actions annotations (::warning file=…,line=…,title=rule::…) on a pull request.",
    };

    public static readonly Option<string?> Folder = new("--migrations")
    {
        Description = "Read migration files from this folder instead of the ones shipped with QueryLab (seed/Migrations).",
    };

    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("migrate", "Apply pending seed/Migrations/*.sql files in order, each recorded with its SHA-256 in querylab.schema_migrations.");
        cmd.Options.Add(DryRun);
        cmd.Options.Add(Check);
        cmd.Options.Add(Folder);
        cmd.Options.Add(Format);
        cmd.SetAction((pr, ct) =>
        {
            if (pr.GetResult(Format) is not null && !pr.GetValue(Check))
            {
                throw Seed.LabException.BadInput("--format applies to --check only: add --check, or leave --format out");
            }

            return Migration.RunAsync(new MigrateOptions(CommonOptions.Server(pr, ctx), pr.GetValue(Folder), pr.GetValue(Check), pr.GetValue(DryRun), pr.GetValue(Format)), ctx, ct);
        });
        return cmd;
    }

    private static LintFormat ParseFormat(string value) => value.Trim().ToLowerInvariant() switch
    {
        "text" => LintFormat.Text,
        "github" => LintFormat.GitHub,
        _ => throw Seed.LabException.BadInput($"--format '{value}' is not a lint format; the formats are: {string.Join(", ", Formats)}"),
    };
}
