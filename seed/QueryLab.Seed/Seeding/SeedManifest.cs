using System.Text.Json;
using Npgsql;

namespace QueryLab.Seed.Seeding;

/// <summary>What a seeded database says it holds: the row of querylab.seed_manifest.</summary>
public sealed partial record SeedManifest(
    string Scale,
    int Seed,
    string GeneratorVersion,
    string Status,
    DateTime ReferenceTime,
    IReadOnlyDictionary<string, long> RowCounts,
    IReadOnlyDictionary<string, string> TableChecksums,
    DateTime StartedAt,
    DateTime? FinishedAt)
{
    public const string Complete = "complete";
    public const string Incomplete = "incomplete";

    public bool IsComplete => Status == Complete;

    /// <summary>The manifest, or null when the database has never been seeded.</summary>
    /// <exception cref="SeedException">The querylab schema has not been migrated.</exception>
    public static async Task<SeedManifest?> ReadAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await ReadAsync(conn, ct);
    }

    internal static async Task<SeedManifest?> ReadAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        const string sql = """
            SELECT scale, seed, generator_version, status, reference_time, row_counts::text, table_checksums::text,
                   started_at, finished_at
            FROM querylab.seed_manifest WHERE id = 1
            """;
        try
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            await using var reader = await cmd.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                return null;
            }

            return new SeedManifest(
                reader.GetString(0),
                reader.GetInt32(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.GetDateTime(4),
                JsonSerializer.Deserialize<Dictionary<string, long>>(reader.GetString(5)) ?? [],
                JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(6)) ?? [],
                reader.GetDateTime(7),
                reader.IsDBNull(8) ? null : reader.GetDateTime(8));
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            throw new SeedException("the querylab schema is missing or not migrated (no querylab.seed_manifest); run the migrations first", e);
        }
    }

    public override string ToString() => $"scale {Scale} seed {Seed} (generator v{GeneratorVersion}, {Status})";
}
