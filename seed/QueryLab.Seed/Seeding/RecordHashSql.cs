using System.Globalization;
using System.Numerics;

namespace QueryLab.Seed.Seeding;

/// <summary>
/// <c>hash_record_extended(t, 0)</c> — new in PostgreSQL 14 — written out as SQL that PostgreSQL 13 runs and that gives
/// the same value for the same row. hash_record_extended calls, column by column in attnum order, the extended hash
/// function of the column type's default hash operator class with the seed (0 for a NULL) and folds them as
/// <c>result = result * 31 + hash</c> in unsigned 64-bit arithmetic (rowtypes.c). Those per-type functions exist since
/// PostgreSQL 11 and are the ones hash partitioning relies on, so they stay the same across majors; the fold is done
/// here in numeric, exactly, and reduced modulo 2^64 into int8's range once per row.
/// <para>
/// The columns are written out below, not read from the catalog at run time: a migration that adds, drops or retypes a
/// column of a seeded table must change this list, and a test (<c>ChecksumTests</c>) fails until it does — it compares
/// the list with pg_attribute and this expression with hash_record_extended on a 14+ server.
/// </para>
/// </summary>
internal static class RecordHashSql
{
    /// <summary>A seeded table's columns in attnum order, each with its type as <c>format_type(atttypid, NULL)</c> prints it.</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<(string Name, string Type)>> Columns =
        new Dictionary<string, IReadOnlyList<(string Name, string Type)>>(StringComparer.Ordinal)
        {
            ["carriers"] =
            [
                ("id", "integer"), ("code", "character varying"), ("name", "character varying"), ("country_code", "character"),
                ("tracking_format", "character varying"), ("created_at", "timestamp with time zone"),
            ],
            ["shipments"] =
            [
                ("id", "uuid"), ("tracking_number", "character varying"), ("status", "character varying"), ("carrier_id", "integer"),
                ("origin", "character varying"), ("destination", "character varying"), ("weight_grams", "integer"),
                ("created_at", "timestamp with time zone"), ("updated_at", "timestamp with time zone"), ("delivered_at", "timestamp with time zone"),
            ],
            ["tracking_events"] =
            [
                ("id", "bigint"), ("shipment_id", "uuid"), ("occurred_at", "timestamp with time zone"), ("status", "character varying"),
                ("location", "character varying"),
            ],
            ["transactions"] =
            [
                ("id", "bigint"), ("shipment_id", "uuid"), ("amount", "numeric"), ("currency", "character"),
                ("occurred_at", "timestamp with time zone"),
            ],
        };

    private static readonly BigInteger TwoTo64 = BigInteger.One << 64;
    private static readonly BigInteger TwoTo63 = BigInteger.One << 63;

    /// <summary>The row hash of <paramref name="table"/> (aliased <c>t</c>) as a numeric expression: hash_record_extended(t, 0)::numeric.</summary>
    public static string RowHash(string table)
    {
        var columns = Columns[table];
        var fold = $"{Hash(columns[0])}::numeric";
        foreach (var column in columns.Skip(1))
        {
            fold = $"({fold} * 31 + {Hash(column)})";
        }

        // |fold| < 2^63 · 31^n, so adding 2^64 · 31^n (a multiple of 2^64) makes it positive without changing it modulo 2^64;
        // the extra 2^63 shifts [0, 2^64) onto int8's [-2^63, 2^63) once the remainder is taken.
        var bias = (TwoTo64 * BigInteger.Pow(31, columns.Count)) + TwoTo63;
        return string.Create(CultureInfo.InvariantCulture, $"(mod({fold} + {bias}, {TwoTo64}) - {TwoTo63})");
    }

    /// <summary>The extended hash, seed 0, that the column type's default hash opclass names (pg_amproc, support function 2).</summary>
    private static string Hash((string Name, string Type) column)
    {
        var c = "t." + column.Name;
        var call = column.Type switch
        {
            "integer" => $"hashint4extended({c}, 0)",
            "bigint" => $"hashint8extended({c}, 0)",
            "character varying" or "text" => $"hashtextextended({c}, 0)",
            "character" => $"hashbpcharextended({c}, 0)",
            "uuid" => $"uuid_hash_extended({c}, 0)",
            "numeric" => $"hash_numeric_extended({c}, 0)",
            // timestamptz_ops hashes the stored int8 with timestamp_hash_extended; AT TIME ZONE INTERVAL '0' hands it that
            // same int8 as a timestamp (no zone lookup, no shift), which SQL needs to call it.
            "timestamp with time zone" => $"timestamp_hash_extended({c} AT TIME ZONE INTERVAL '0', 0)",
            _ => throw new InvalidOperationException($"no extended hash written out for {column.Type} ({column.Name})"),
        };
        return $"coalesce({call}, 0)";
    }
}
