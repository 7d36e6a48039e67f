using System.Globalization;
using System.Text;

namespace QueryLab.Seed.Seeding;

/// <summary>How to run pgbench for <see cref="Seeder.CompareWithPgbenchAsync(PgbenchOptions, SeedOutcome, CancellationToken)"/>.</summary>
/// <param name="PgbenchPath">The pgbench executable (<see cref="PgbenchLocator.Find"/>).</param>
public sealed record PgbenchOptions(string PgbenchPath)
{
    /// <summary>The password pgbench gets through PGPASSWORD. Default: the data source's, when its connection string
    /// keeps it (Persist Security Info=true); otherwise pgbench uses the inherited PGPASSWORD or the password file.</summary>
    public string? Password { get; init; }
}

/// <summary>
/// pgbench -i and the seeder, on the same server in the same run. MB are 10^6 bytes of pg_total_relation_size (heap,
/// TOAST, indexes) of the loaded tables. pgbench's time is its own "done in" (drop, create, generate, vacuum, primary
/// keys); the seeder's is load + keys and indexes + vacuum + view refresh + sequences (its checksums excluded).
/// </summary>
public sealed record PgbenchComparison(
    int PgbenchScale,
    long PgbenchRows,
    TimeSpan PgbenchElapsed,
    long PgbenchBytes,
    string PgbenchSteps,
    long SeederRows,
    TimeSpan SeederElapsed,
    TimeSpan SeederLoadElapsed,
    long SeederBytes)
{
    public double PgbenchRowsPerSecond => PerSecond(PgbenchRows, PgbenchElapsed);

    public double PgbenchMBPerSecond => PerSecond(PgbenchBytes / 1e6, PgbenchElapsed);

    public double SeederRowsPerSecond => PerSecond(SeederRows, SeederElapsed);

    public double SeederMBPerSecond => PerSecond(SeederBytes / 1e6, SeederElapsed);

    public string Format()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(inv, $"pgbench -i -s {PgbenchScale} against the seeder, same server:"));
        sb.AppendLine(string.Create(inv, $"  {"",-24}{"rows",13} {"seconds",9} {"rows/s",9} {"MB",9} {"MB/s",8}"));
        Row(sb, "pgbench -i", PgbenchRows, PgbenchElapsed, PgbenchBytes);
        Row(sb, "querylab seed", SeederRows, SeederElapsed, SeederBytes);
        Row(sb, "querylab seed, COPY only", SeederRows, SeederLoadElapsed, SeederBytes);
        if (PgbenchSteps.Length > 0)
        {
            sb.AppendLine("  pgbench steps: " + PgbenchSteps);
        }

        return sb.ToString();
    }

    private static void Row(StringBuilder sb, string name, long rows, TimeSpan elapsed, long bytes) =>
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"  {name,-24}{rows,13:N0} {elapsed.TotalSeconds,9:0.0} {TableProgress.Rate(PerSecond(rows, elapsed)),9} {bytes / 1e6,9:N0} {PerSecond(bytes / 1e6, elapsed),8:0.0}"));

    private static double PerSecond(double amount, TimeSpan elapsed) => elapsed > TimeSpan.Zero ? amount / elapsed.TotalSeconds : 0;
}
