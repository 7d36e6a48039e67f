using QueryLab.Bench.Exits;
using QueryLab.Seed.Migrations;

namespace QueryLab.Bench.Lab;

/// <summary>How <c>migrate --check</c> prints its findings: for a person, or as GitHub Actions annotations on the pull request's lines.</summary>
public enum LintFormat
{
    Text,
    GitHub,
}

/// <summary>What <c>querylab migrate</c> was asked: the server, the folder of --migrations (null: the files shipped with QueryLab), --check (and its --format), --dry-run.</summary>
public sealed record MigrateOptions(ServerChoice Server, string? Folder, bool Check, bool DryRun, LintFormat Format = LintFormat.Text);

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
            return await CheckAsync(ds, files, lab.Description, options.Format, ctx, ct);
        }

        var runner = new MigrationRunner(ds, files, ctx.Out);
        await runner.ApplyAsync(options.DryRun, lab.Description, ct);
        return 0;
    }

    private static async Task<int> CheckAsync(Npgsql.NpgsqlDataSource ds, MigrationSet files, string where, LintFormat format, LabContext ctx, CancellationToken ct)
    {
        var status = await new MigrationRunner(ds, files, ctx.Out).StatusAsync(ct);
        MigrationRunner.CheckConsistent(status, files, where);
        var findings = MigrationLinter.Lint(status.Pending, await ExistingTablesAsync(ds, ct));
        var paths = status.Pending.ToDictionary(f => Path.GetFileName(f.Path), f => ctx.Display(SourceOf(f.Path, ctx)), StringComparer.Ordinal);
        foreach (var f in findings)
        {
            if (format == LintFormat.GitHub)
            {
                ctx.Out.WriteLine(f.GitHubAnnotation(paths.TryGetValue(f.File, out var p) ? p : f.File));
                continue;
            }

            var info = f.Severity == LintSeverity.Info ? " (info)" : "";
            ctx.Out.WriteLine($"{Path.GetFileName(f.File)}:{f.Line}: {f.Rule}{info}: {f.Message}");
            ctx.Out.WriteLine($"    fix: {f.Fix}");
        }

        var warnings = findings.Count(f => f.Severity == LintSeverity.Warning);
        ctx.Out.WriteLine($"migrate --check: {status.Pending.Count} pending file(s), {warnings} warning(s), {findings.Count - warnings} info");
        return ExitCodes.Code(ExitCodes.If(warnings > 0, Ending.LintFindings));
    }

    /// <summary>
    /// Where a pull request has the file: the shipped migrations are read from the build's copy (bin/…/Migrations), whose
    /// source is the repository's seed/Migrations; any other folder is its own.
    /// </summary>
    private static string SourceOf(string path, LabContext ctx)
    {
        var full = Path.GetFullPath(path);
        var source = Path.Combine(ctx.RepositoryRoot, "seed", "Migrations", Path.GetFileName(full));
        var shipped = string.Equals(Path.GetDirectoryName(full), Path.GetFullPath(MigrationSet.DefaultDirectory).TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal);
        return shipped && File.Exists(source) ? source : full;
    }

    /// <summary>The tables of the querylab schema ("querylab.shipments"): what the lint's lock rules apply to.</summary>
    public static async Task<IReadOnlySet<string>> ExistingTablesAsync(Npgsql.NpgsqlDataSource ds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ds);
        var existing = new HashSet<string>(StringComparer.Ordinal);
        await using var cmd = ds.CreateCommand("SELECT 'querylab.' || tablename FROM pg_tables WHERE schemaname = 'querylab'");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            existing.Add(r.GetString(0));
        }

        return existing;
    }
}
