using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace QueryLab.Seed.Seeding;

/// <summary>--compare-pgbench: pgbench -i in a scratch database of the same server, timed beside the seed.</summary>
public sealed partial class Seeder
{
    /// <summary>The scratch database pgbench loads; created and dropped by the comparison, never the user's.</summary>
    public const string PgbenchDatabase = "querylab_pgbench_compare";

    /// <summary>Rows of pgbench_accounts per unit of pgbench's scale factor.</summary>
    public const int PgbenchRowsPerScale = 100_000;

    public Task<PgbenchComparison> CompareWithPgbenchAsync(string pgbenchPath, SeedOutcome seeded, CancellationToken ct) =>
        CompareWithPgbenchAsync(new PgbenchOptions(pgbenchPath), seeded, ct);

    /// <summary>Runs <c>pgbench -i -s N</c>, N chosen so its rows match the seed's, and prints both rates.</summary>
    /// <exception cref="SeedException">The seed was a no-op, pgbench failed, or the scratch database cannot be created.</exception>
    public async Task<PgbenchComparison> CompareWithPgbenchAsync(PgbenchOptions options, SeedOutcome seeded, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(seeded);
        if (seeded.WasNoOp)
        {
            throw new SeedException("this run loaded nothing (the database already held the data); pass --force to reseed so both loads are timed");
        }

        var scale = Math.Max(1, (int)Math.Round(seeded.TotalRows / (double)PgbenchRowsPerScale));
        var settings = new NpgsqlConnectionStringBuilder(_dataSource.ConnectionString);
        _console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Comparing with pgbench -i -s {scale} ({(long)scale * PgbenchRowsPerScale:N0} accounts) in scratch database {PgbenchDatabase}…"));

        await RunAdminAsync(dropFirst: true, ct);
        try
        {
            var (elapsed, steps) = await RunPgbenchAsync(options, settings, scale, ct);
            var bytes = await PgbenchBytesAsync(settings, ct);
            var comparison = new PgbenchComparison(
                scale,
                ((long)scale * PgbenchRowsPerScale) + (scale * 10L) + scale,
                elapsed,
                bytes,
                steps,
                seeded.TotalRows,
                seeded.LoadAndBuildElapsed,
                seeded.Phases.FirstOrDefault(p => p.Name == SeedPhase.Load)?.Elapsed ?? TimeSpan.Zero,
                seeded.TotalBytes);
            _console.Write(comparison.Format());
            return comparison;
        }
        finally
        {
            await RunAdminAsync(dropFirst: false, CancellationToken.None);
        }
    }

    private async Task RunAdminAsync(bool dropFirst, CancellationToken ct)
    {
        try
        {
            await using var conn = await _dataSource.OpenConnectionAsync(ct);
            await using (var drop = new NpgsqlCommand("DROP DATABASE IF EXISTS querylab_pgbench_compare WITH (FORCE)", conn))
            {
                await drop.ExecuteNonQueryAsync(ct);
            }

            if (dropFirst)
            {
                await using var create = new NpgsqlCommand("CREATE DATABASE querylab_pgbench_compare", conn);
                await create.ExecuteNonQueryAsync(ct);
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new SeedException(
                $"the pgbench comparison needs a role that may create databases (CREATEDB) for its scratch database {PgbenchDatabase}: {e.MessageText}", e);
        }
    }

    private static async Task<(TimeSpan Elapsed, string Steps)> RunPgbenchAsync(
        PgbenchOptions options, NpgsqlConnectionStringBuilder settings, int scale, CancellationToken ct)
    {
        var start = new ProcessStartInfo(options.PgbenchPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-i", "-q", "-s", scale.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        if (!string.IsNullOrEmpty(settings.Host))
        {
            start.ArgumentList.Add("-h");
            start.ArgumentList.Add(settings.Host);
        }

        start.ArgumentList.Add("-p");
        start.ArgumentList.Add(settings.Port.ToString(CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(settings.Username))
        {
            start.ArgumentList.Add("-U");
            start.ArgumentList.Add(settings.Username);
        }

        start.ArgumentList.Add(PgbenchDatabase);
        var password = options.Password ?? settings.Password;
        if (!string.IsNullOrEmpty(password))
        {
            start.Environment["PGPASSWORD"] = password; // never on the command line, where ps would show it
        }

        start.Environment["PGAPPNAME"] = "querylab-pgbench-compare";

        using var process = Process.Start(start) ?? throw new SeedException($"could not start {options.PgbenchPath}");
        var started = Stopwatch.GetTimestamp();
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var output = (await stdout) + (await stderr);
        if (process.ExitCode != 0)
        {
            var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
            throw new SeedException($"pgbench -i exited with code {process.ExitCode}: {last}");
        }

        // "done in 12.34 s (drop tables 0.00 s, create tables 0.01 s, client-side generate 9.87 s, vacuum 1.01 s, primary keys 1.45 s)."
        var done = DoneLine().Match(output);
        return done.Success
            ? (TimeSpan.FromSeconds(double.Parse(done.Groups[1].Value, CultureInfo.InvariantCulture)), done.Groups[2].Value)
            : (elapsed, "");
    }

    private async Task<long> PgbenchBytesAsync(NpgsqlConnectionStringBuilder settings, CancellationToken ct)
    {
        const string sql = """
            SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
            WHERE c.relkind = 'r' AND c.relname IN ('pgbench_accounts', 'pgbench_branches', 'pgbench_tellers', 'pgbench_history')
            """;
        await using var own = await _dataSource.OpenConnectionAsync(ct);
        var scratch = new NpgsqlConnectionStringBuilder(settings.ConnectionString) { Database = PgbenchDatabase, Pooling = false };
        await using var conn = own.CloneWith(scratch.ConnectionString); // keeps the data source's password
        await conn.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (long)(await cmd.ExecuteScalarAsync(ct))!;
    }

    [GeneratedRegex(@"done in ([0-9.]+) s \(([^)]*)\)")]
    private static partial Regex DoneLine();
}
