using System.CommandLine;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Rehearsal;
using QueryLab.Queries.Catalog;
using QueryLab.Seed;

namespace QueryLab.Bench.Cli;

/// <summary>
/// <c>querylab migrate [--dry-run] [--check [--format github]] [--rehearse …]</c>: apply, preview, lint or rehearse the schema's
/// SQL files. A rehearsal's options are read once into a <see cref="RehearsalPlan"/>.
/// </summary>
public static class MigrateCommand
{
    public static readonly Option<bool> DryRun = new("--dry-run") { Description = "Print the SQL of the pending migrations instead of running it." };

    public static readonly Option<bool> Check = new("--check")
    {
        Description = "Lint the pending migrations for changes that destroy data or lock production tables (squawk's rule names); exit 1 on warnings.",
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

    public static readonly Option<bool> Rehearse = new("--rehearse")
    {
        Description = "Rehearse the pending migrations on a copy of the seeded lab under the catalog's traffic: per statement its duration, locks, who waited and for how long, rewrites, WAL; exit 1 when a statement blocked the traffic longer than --max-block. The lab is not touched; the copy is dropped.",
    };

    public static readonly CheckedOption<IReadOnlyList<IScenario>> Scenario = new("--scenario", RehearsalPlan.SelectScenarios, aliases: "-s")
    {
        Description = "With --rehearse: the scenarios whose baselines make the traffic (name or glob, comma-separated). Default: " + string.Join(",", RehearsalPlan.DefaultScenarios) + ".",
    };

    public static readonly CheckedOption<int?> Clients = new("--clients", t => RehearsalPlan.ParseClients(t))
    {
        Description = $"With --rehearse: concurrent clients of the traffic, each on one scenario in turn. Default {RehearsalPlan.DefaultClients}.",
    };

    public static readonly CheckedOption<TimeSpan?> MaxBlock = new("--max-block", t => RehearsalPlan.ParseDuration(t, "--max-block", allowZero: true))
    {
        Description = "With --rehearse: the longest a request may wait for a statement before the rehearsal fails (exit 1): 1s, 500ms, 0. Default 1s.",
    };

    public static readonly CheckedOption<TimeSpan?> Steady = new("--steady", t => RehearsalPlan.ParseDuration(t, "--steady", allowZero: false))
    {
        Description = "With --rehearse: how long the traffic is measured before the migration starts, after its warm-up. Default 5s.",
    };

    public static readonly CheckedOption<TimeSpan?> After = new("--after", t => RehearsalPlan.ParseDuration(t, "--after", allowZero: false))
    {
        Description = "With --rehearse: how long the traffic runs on after the migration. Default 5s.",
    };

    private static readonly Option[] RehearseOnly = [Scenario, Clients, MaxBlock, Steady, After, CommonOptions.Reports];

    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("migrate", "Apply pending seed/Migrations/*.sql files in order, each recorded with its SHA-256 in querylab.schema_migrations; or lint (--check) or rehearse them (--rehearse).");
        cmd.Options.Add(DryRun);
        cmd.Options.Add(Check);
        cmd.Options.Add(Folder);
        cmd.Options.Add(Format);
        cmd.Options.Add(Rehearse);
        foreach (var o in RehearseOnly)
        {
            cmd.Options.Add(o);
        }

        cmd.SetAction((pr, ct) =>
        {
            var rehearse = pr.GetValue(Rehearse);
            if (pr.GetResult(Format) is not null && !pr.GetValue(Check))
            {
                throw LabException.BadInput("--format applies to --check only: add --check, or leave --format out");
            }

            if (rehearse && (pr.GetValue(Check) || pr.GetValue(DryRun)))
            {
                throw LabException.BadInput("--rehearse applies the migrations to a copy and measures them; --check and --dry-run do not run them: give one of the three");
            }

            if (!rehearse && RehearseOnly.FirstOrDefault(o => pr.GetResult(o) is not null) is { } alone)
            {
                throw LabException.BadInput($"{alone.Name} applies to --rehearse only: add --rehearse, or leave {alone.Name} out");
            }

            if (rehearse)
            {
                var plan = new RehearsalPlan(
                    pr.GetValue(Folder),
                    pr.GetValue(Scenario) ?? RehearsalPlan.SelectScenarios(null),
                    pr.GetValue(Clients) ?? RehearsalPlan.DefaultClients,
                    pr.GetValue(MaxBlock) ?? RehearsalPlan.DefaultMaxBlock,
                    pr.GetValue(Steady) ?? RehearsalPlan.DefaultSteady,
                    pr.GetValue(After) ?? RehearsalPlan.DefaultAfter);
                var reports = CommonOptions.ReportsDir(pr, ctx); // before the server is opened, as bench does
                return RehearsalSession.RunVerbAsync(plan, CommonOptions.Server(pr, ctx), reports, CommonOptions.CommandLine(pr), ctx, ct);
            }

            return Migration.RunAsync(new MigrateOptions(CommonOptions.Server(pr, ctx), pr.GetValue(Folder), pr.GetValue(Check), pr.GetValue(DryRun), pr.GetValue(Format)), ctx, ct);
        });
        return cmd;
    }

    private static LintFormat ParseFormat(string value) => value.Trim().ToLowerInvariant() switch
    {
        "text" => LintFormat.Text,
        "github" => LintFormat.GitHub,
        _ => throw LabException.BadInput($"--format '{value}' is not a lint format; the formats are: {string.Join(", ", Formats)}"),
    };
}
