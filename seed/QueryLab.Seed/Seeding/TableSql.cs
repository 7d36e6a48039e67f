using Npgsql;

namespace QueryLab.Seed.Seeding;

/// <summary>The per-table statements that cannot take the table as a parameter, each written out as a constant.</summary>
internal static class TableSql
{
    /// <summary>Each row's 64-bit hash summed exactly, then md5 of the sum: see <see cref="TableChecksums"/>.</summary>
    private const string Hash = "count(*), md5(count(*) || ':' || coalesce(sum(hash_record_extended(t, 0)::numeric), 0))";

    public static NpgsqlCommand Truncate(string table, NpgsqlConnection conn, NpgsqlTransaction tx) => table switch
    {
        "carriers" => new NpgsqlCommand("TRUNCATE querylab.carriers", conn, tx),
        "shipments" => new NpgsqlCommand("TRUNCATE querylab.shipments", conn, tx),
        "tracking_events" => new NpgsqlCommand("TRUNCATE querylab.tracking_events", conn, tx),
        "transactions" => new NpgsqlCommand("TRUNCATE querylab.transactions", conn, tx),
        _ => throw Unknown(table),
    };

    public static NpgsqlCommand Vacuum(string table, NpgsqlConnection conn) => WithoutTimeout(table switch
    {
        "carriers" => new NpgsqlCommand("VACUUM (ANALYZE) querylab.carriers", conn),
        "shipments" => new NpgsqlCommand("VACUUM (ANALYZE) querylab.shipments", conn),
        "tracking_events" => new NpgsqlCommand("VACUUM (ANALYZE) querylab.tracking_events", conn),
        "transactions" => new NpgsqlCommand("VACUUM (ANALYZE) querylab.transactions", conn),
        _ => throw Unknown(table),
    });

    public static NpgsqlCommand Checksum(string table, NpgsqlConnection conn) => WithoutTimeout(table switch
    {
        "carriers" => new NpgsqlCommand("SELECT " + Hash + " FROM querylab.carriers t", conn),
        "shipments" => new NpgsqlCommand("SELECT " + Hash + " FROM querylab.shipments t", conn),
        "tracking_events" => new NpgsqlCommand("SELECT " + Hash + " FROM querylab.tracking_events t", conn),
        "transactions" => new NpgsqlCommand("SELECT " + Hash + " FROM querylab.transactions t", conn),
        _ => throw Unknown(table),
    });

    private static NpgsqlCommand WithoutTimeout(NpgsqlCommand cmd)
    {
        cmd.CommandTimeout = 0;
        return cmd;
    }

    private static ArgumentOutOfRangeException Unknown(string table) =>
        new(nameof(table), table, "not a seeded table");
}
