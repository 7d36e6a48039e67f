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

    private Task RunAdminAsync(bool dropFirst, CancellationToken ct) => PgbenchProcess.ResetDatabaseAsync(_dataSource, PgbenchDatabase, dropFirst, ct);

    private static async Task<(TimeSpan Elapsed, string Steps)> RunPgbenchAsync(
        PgbenchOptions options, NpgsqlConnectionStringBuilder settings, int scale, CancellationToken ct)
    {
        var result = await PgbenchProcess.RunAsync(
            options.PgbenchPath, settings, options.Password ?? settings.Password, PgbenchDatabase,
            ["-i", "-q", "-s", scale.ToString(CultureInfo.InvariantCulture)], "querylab-pgbench-compare", ct);
        if (result.ExitCode != 0)
        {
            throw new SeedException($"pgbench -i exited with code {result.ExitCode}: {result.LastLine}");
        }

        // "done in 12.34 s (drop tables 0.00 s, create tables 0.01 s, client-side generate 9.87 s, vacuum 1.01 s, primary keys 1.45 s)."
        var done = DoneLine().Match(result.Output);
        return done.Success
            ? (TimeSpan.FromSeconds(double.Parse(done.Groups[1].Value, CultureInfo.InvariantCulture)), done.Groups[2].Value)
            : (result.Elapsed, "");
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
