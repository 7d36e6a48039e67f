using System.Globalization;
using Npgsql;

namespace QueryLab.Seed.Seeding;

public sealed partial record SeedManifest
{
    /// <summary>
    /// Recomputes every seeded table's row count and checksum on the server and names each that no longer matches this
    /// manifest ("querylab.shipments: 1,000 rows, checksum 12… (the manifest: 1,000 rows, 34…)"); empty when the data is
    /// what the seed wrote. What a verb that promised not to touch the lab (rehearse, advise) proves afterwards.
    /// </summary>
    public async Task<IReadOnlyList<string>> ChangedTablesAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var now = await QueryLab.Seed.Seeding.TableChecksums.ComputeAsync(dataSource, ct);
        var changed = new List<string>();
        foreach (var (table, sum) in now)
        {
            var rows = RowCounts.TryGetValue(table, out var r) ? r : -1;
            var checksum = TableChecksums.TryGetValue(table, out var c) ? c : "";
            if (rows != sum.Rows || !string.Equals(checksum, sum.Checksum, StringComparison.Ordinal))
            {
                changed.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{table}: {sum.Rows:N0} rows, checksum {Short(sum.Checksum)} (the manifest: {rows:N0} rows, {Short(checksum)})"));
            }
        }

        return changed;
    }

    private static string Short(string checksum) => checksum.Length > 12 ? checksum[..12] + "…" : checksum;
}
