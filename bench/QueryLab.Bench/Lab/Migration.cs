using QueryLab.Bench.Exits;
using QueryLab.Seed.Migrations;

namespace QueryLab.Bench.Lab;

/// <summary>What <c>querylab migrate</c> was asked: the server, the folder of --migrations (null: the files shipped with QueryLab), --check, --dry-run.</summary>
public sealed record MigrateOptions(ServerChoice Server, string? Folder, bool Check, bool DryRun);

/// <summary><c>querylab migrate</c>: apply, preview or lint the pending SQL files.</summary>
public static class Migration
{
    public static async Task<int> RunAsync(MigrateOptions options, LabContext ctx, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ctx);
        await using var lab = await LabSession.OpenAsync(options.Server, ctx, keepRunning: false, ct);
        await using var ds = lab.CreateDataSource();
        var files = MigrationSet.Load(options.Folder);
        if (options.Check)
        {
            return await CheckAsync(ds, files, lab.Description, ctx, ct);
        }

        var runner = new MigrationRunner(ds, files, ctx.Out);
        await runner.ApplyAsync(options.DryRun, lab.Description, ct);
        return 0;
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
