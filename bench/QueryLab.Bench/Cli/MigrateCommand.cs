using System.CommandLine;
using QueryLab.Bench.Exits;
using QueryLab.Bench.Lab;
using QueryLab.Seed.Migrations;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Cli;

/// <summary><c>querylab migrate [--dry-run] [--check]</c>: apply, preview or lint the schema's SQL files.</summary>
public static class MigrateCommand
{
    public static readonly Option<bool> DryRun = new("--dry-run") { Description = "Print the SQL of the pending migrations instead of running it." };

    public static readonly Option<bool> Check = new("--check")
    {
        Description = "Lint the pending migrations for changes that destroy data or lock production tables (squawk's rule names); exit 1 on findings.",
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
        cmd.SetAction(async (pr, ct) =>
        {
            var choice = CommonOptions.Server(pr, ctx);
            await using var lab = await LabSession.OpenAsync(choice, ctx, keepRunning: false, ct);
            await using var ds = lab.CreateDataSource();
            var files = MigrationSet.Load(pr.GetValue(Folder));
            if (pr.GetValue(Check))
            {
                return await CheckAsync(ds, files, lab.Description, ctx, ct);
            }

            var runner = new MigrationRunner(ds, files, ctx.Out);
            await runner.ApplyAsync(pr.GetValue(DryRun), lab.Description, ct);
            return 0;
        });
        return cmd;
    }

    private static async Task<int> CheckAsync(Npgsql.NpgsqlDataSource ds, MigrationSet files, string where, LabContext ctx, CancellationToken ct)
    {
        var status = await new MigrationRunner(ds, files, ctx.Out).StatusAsync(ct);
        MigrationRunner.CheckConsistent(status, files, where);
        var existing = new HashSet<string>(StringComparer.Ordinal);
        await using (var cmd = ds.CreateCommand("SELECT 'querylab.' || tablename FROM pg_tables WHERE schemaname = 'querylab'"))
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                existing.Add(r.GetString(0));
            }
        }

        var findings = MigrationLinter.Lint(status.Pending, existing);
        foreach (var f in findings)
        {
            ctx.Out.WriteLine($"{Path.GetFileName(f.File)}:{f.Line}: {f.Rule}: {f.Message}");
            ctx.Out.WriteLine($"    fix: {f.Fix}");
        }

        ctx.Out.WriteLine($"migrate --check: {status.Pending.Count} pending file(s), {findings.Count} finding(s)");
        return ExitCodes.Code(ExitCodes.If(findings.Count > 0, Ending.LintFindings));
    }
}
