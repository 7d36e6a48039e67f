using Npgsql;

namespace QueryLab.Seed.Seeding;

/// <summary>The per-table statements that cannot take the table as a parameter, each written out as a constant.</summary>
internal static class TableSql
{
    /// <summary>Each row's 64-bit hash summed exactly, then md5 of the sum: see <see cref="TableChecksums"/>.</summary>
    private const string Hash = "count(*), md5(count(*) || ':' || coalesce(sum(hash_record_extended(t, 0)::numeric), 0))";

    /// <summary>The oldest major with hash_record_extended; older ones compute it with <see cref="RecordHashSql"/>.</summary>
    public const int NativeRecordHashMajor = 14;

    /// <summary>The same checksum for PostgreSQL 13, table by table: hash_record_extended written out (<see cref="RecordHashSql"/>).</summary>
    private static readonly IReadOnlyDictionary<string, string> Checksum13 = GeneratorInfo.Tables.ToDictionary(
        t => t, t => $"SELECT count(*), md5(count(*) || ':' || coalesce(sum({RecordHashSql.RowHash(t)}), 0)) FROM querylab.{t} t", StringComparer.Ordinal);

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

    /// <summary>The table's row count and checksum: hash_record_extended on 14 and later, its written-out form on 13 (the same value).</summary>
    public static NpgsqlCommand Checksum(string table, NpgsqlConnection conn) =>
        Checksum(table, conn, native: conn.PostgreSqlVersion.Major >= NativeRecordHashMajor);

    /// <summary>The checksum with hash_record_extended itself (<paramref name="native"/>) or written out, whatever the major.</summary>
    internal static NpgsqlCommand Checksum(string table, NpgsqlConnection conn, bool native) => WithoutTimeout(!native
        ? FromConstants(Checksum13.TryGetValue(table, out var sql) ? sql : throw Unknown(table), conn)
        : table switch
        {
            "carriers" => new NpgsqlCommand("SELECT " + Hash + " FROM querylab.carriers t", conn),
            "shipments" => new NpgsqlCommand("SELECT " + Hash + " FROM querylab.shipments t", conn),
            "tracking_events" => new NpgsqlCommand("SELECT " + Hash + " FROM querylab.tracking_events t", conn),
            "transactions" => new NpgsqlCommand("SELECT " + Hash + " FROM querylab.transactions t", conn),
            _ => throw Unknown(table),
        });

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "Built once from QueryLab's constants (the seeded tables' names and RecordHashSql's columns); no input reaches it.")]
    private static NpgsqlCommand FromConstants(string sql, NpgsqlConnection conn) => new(sql, conn);

    private static NpgsqlCommand WithoutTimeout(NpgsqlCommand cmd)
    {
        cmd.CommandTimeout = 0;
        return cmd;
    }

    private static ArgumentOutOfRangeException Unknown(string table) =>
        new(nameof(table), table, "not a seeded table");
}
