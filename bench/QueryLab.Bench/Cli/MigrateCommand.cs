using System.CommandLine;
using QueryLab.Seed.Migrations;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Cli;

/// <summary><c>querylab migrate [--dry-run] [--check]</c>: apply, preview or lint the schema's SQL files.</summary>
public static class MigrateCommand
{
    public static readonly Option<bool> DryRun = new("--dry-run") { Description = "Print the SQL of the pending migrations instead of running it." };

    public static Command Create(CliContext ctx)
    {
        var cmd = new Command("migrate", "Apply pending seed/Migrations/*.sql files in order, each recorded with its SHA-256 in querylab.schema_migrations.");
        cmd.Options.Add(DryRun);
        cmd.SetAction(async (pr, ct) =>
        {
            var choice = ServerChoice.Resolve(pr.GetValue(CommonOptions.Connection), ctx);
            await using var lab = await LabSession.OpenAsync(choice, ctx, keepRunning: false, ct);
            await using var ds = lab.CreateDataSource();
            var runner = new MigrationRunner(ds, MigrationSet.Load(), ctx.Out);
            await runner.ApplyAsync(pr.GetValue(DryRun), lab.Description, ct);
            return 0;
        });
        return cmd;
    }

    /// <summary>The migrate step of the pipeline (`run`): apply what is pending, say what was done.</summary>
    public static Task ApplyAsync(LabServer lab, Npgsql.NpgsqlDataSource ds, CliContext ctx, CancellationToken ct) =>
        new MigrationRunner(ds, MigrationSet.Load(), ctx.Out).ApplyAsync(dryRun: false, lab.Description, ct);
}
