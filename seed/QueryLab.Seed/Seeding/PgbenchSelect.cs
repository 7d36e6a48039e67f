using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;

namespace QueryLab.Seed.Seeding;

/// <summary>What <c>pgbench -S -M prepared -c 1</c> measured: the median transaction time over its 1-second windows, and their range.</summary>
public sealed record PgbenchSelectResult(double MedianNs, double MinNs, double MaxNs, int Windows);

/// <summary>
/// The server's own floor for a one-row lookup: <c>pgbench -i -s 1</c> into a scratch database, then
/// <c>pgbench -S -M prepared -c 1</c> for a few seconds with a progress line a second; the scratch database is dropped
/// afterwards, whatever happens.
/// </summary>
public static partial class PgbenchSelect
{
    public const string Database = "querylab_pgbench_floor";

    public static async Task<PgbenchSelectResult> RunAsync(NpgsqlDataSource dataSource, string pgbenchPath, string? password, TimeSpan duration, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var settings = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        await PgbenchProcess.ResetDatabaseAsync(dataSource, Database, create: true, ct);
        try
        {
            var init = await PgbenchProcess.RunAsync(pgbenchPath, settings, password, Database, ["-i", "-q", "-s", "1"], "querylab-pgbench-floor", ct);
            if (init.ExitCode != 0)
            {
                throw new SeedException($"pgbench -i exited with code {init.ExitCode}: {init.LastLine}");
            }

            var seconds = Math.Max(2, (int)Math.Round(duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            var run = await PgbenchProcess.RunAsync(pgbenchPath, settings, password, Database, ["-S", "-M", "prepared", "-c", "1", "-n", "-T", seconds, "-P", "1"], "querylab-pgbench-floor", ct);
            if (run.ExitCode != 0)
            {
                throw new SeedException($"pgbench -S exited with code {run.ExitCode}: {run.LastLine}");
            }

            return Parse(run.Output) ?? throw new SeedException($"pgbench -S printed no progress lines: {run.LastLine}");
        }
        finally
        {
            await PgbenchProcess.ResetDatabaseAsync(dataSource, Database, create: false, CancellationToken.None);
        }
    }

    /// <summary>Reads pgbench's progress lines (<c>progress: 1.0 s, 7234.1 tps, lat 0.138 ms stddev 0.020, 0 failed</c>).</summary>
    public static PgbenchSelectResult? Parse(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var ns = Progress().Matches(output)
            .Select(m => double.Parse(m.Groups["tps"].Value, CultureInfo.InvariantCulture))
            .Where(tps => tps > 0)
            .Select(tps => 1e9 / tps)
            .Order()
            .ToList();
        if (ns.Count == 0)
        {
            return null;
        }

        var median = ns.Count % 2 == 1 ? ns[ns.Count / 2] : (ns[(ns.Count / 2) - 1] + ns[ns.Count / 2]) / 2;
        return new PgbenchSelectResult(median, ns[0], ns[^1], ns.Count);
    }

    [GeneratedRegex(@"progress: [0-9.]+ s, (?<tps>[0-9.]+) tps")]
    private static partial Regex Progress();
}
