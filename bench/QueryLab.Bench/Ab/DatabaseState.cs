using Npgsql;
using QueryLab.Seed.Seeding;

namespace QueryLab.Bench.Ab;

/// <summary>A relation of the querylab schema as one side's migrations made it: its columns (name and type, in order), and for a view its definition and the relations it reads.</summary>
public sealed record RelationState(string Name, bool IsView, IReadOnlyList<string> Columns, string? Definition, IReadOnlyList<string> Reads);

/// <summary>An index of the querylab schema: the relation it indexes and its definition from <c>USING …</c> on (<c>btree (tracking_number)</c>).</summary>
public sealed record IndexState(string Name, string Table, bool Unique, string Definition);

/// <summary>
/// What one side's database holds after the side seeded it, as the server and the side's manifest say it: the manifest
/// (scale, seed, generator version, row counts, table checksums), the relations, indexes and applied migrations.
/// </summary>
public sealed record DatabaseState(
    SeedManifest? Manifest,
    IReadOnlyDictionary<string, RelationState> Relations,
    IReadOnlyDictionary<string, IndexState> Indexes,
    IReadOnlyDictionary<string, string> Migrations)
{
    private const string ColumnsSql = """
        SELECT c.relname, c.relkind IN ('v', 'm'), a.attname, format_type(a.atttypid, a.atttypmod),
               CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE n.nspname = 'querylab' AND c.relkind IN ('r', 'p', 'v', 'm')
        ORDER BY c.relname, a.attnum
        """;

    private const string ReadsSql = """
        SELECT DISTINCT v.relname, t.relname
        FROM pg_rewrite r
        JOIN pg_class v ON v.oid = r.ev_class
        JOIN pg_namespace n ON n.oid = v.relnamespace
        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
        JOIN pg_class t ON t.oid = d.refobjid
        WHERE n.nspname = 'querylab' AND t.oid <> v.oid
        ORDER BY 1, 2
        """;

    private const string IndexesSql = """
        SELECT i.relname, t.relname, x.indisunique, pg_get_indexdef(i.oid)
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'querylab'
        ORDER BY 1
        """;

    /// <summary>Reads a side's database; the manifest is null when the side's seed wrote none this QueryLab can read.</summary>
    public static async Task<DatabaseState> ReadAsync(string connectionString, CancellationToken ct)
    {
        await using var ds = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false });
        SeedManifest? manifest;
        try
        {
            manifest = await SeedManifest.ReadAsync(ds, ct);
        }
        catch (Exception ex) when (ex is SeedException or PostgresException)
        {
            manifest = null;
        }

        await using var conn = await ds.OpenConnectionAsync(ct);
        var columns = new Dictionary<string, (bool IsView, List<string> Columns, string? Definition)>(StringComparer.Ordinal);
        await foreach (var r in RowsAsync(new NpgsqlCommand(ColumnsSql, conn), ct))
        {
            var name = r.GetString(0);
            if (!columns.TryGetValue(name, out var rel))
            {
                rel = (r.GetBoolean(1), [], r.IsDBNull(4) ? null : r.GetString(4).Trim());
                columns[name] = rel;
            }

            rel.Columns.Add($"{r.GetString(2)} {r.GetString(3)}");
        }

        var reads = new List<(string View, string Table)>();
        await foreach (var r in RowsAsync(new NpgsqlCommand(ReadsSql, conn), ct))
        {
            reads.Add((r.GetString(0), r.GetString(1)));
        }

        var indexes = new Dictionary<string, IndexState>(StringComparer.Ordinal);
        await foreach (var r in RowsAsync(new NpgsqlCommand(IndexesSql, conn), ct))
        {
            var def = r.GetString(3);
            var at = def.IndexOf(" USING ", StringComparison.Ordinal);
            indexes[r.GetString(0)] = new IndexState(r.GetString(0), r.GetString(1), r.GetBoolean(2), at < 0 ? def : def[(at + " USING ".Length)..]);
        }

        var migrations = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            await foreach (var r in RowsAsync(new NpgsqlCommand("SELECT version || '_' || name, sha256 FROM querylab.schema_migrations ORDER BY version", conn), ct))
            {
                migrations[r.GetString(0)] = r.GetString(1);
            }
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn)
        {
            // A ledger of another shape (a base from another era): its migrations are not listed, the rest is judged.
            migrations.Clear();
        }

        var relations = columns.ToDictionary(
            c => c.Key,
            c => new RelationState(c.Key, c.Value.IsView, c.Value.Columns, c.Value.Definition, reads.Where(x => x.View == c.Key).Select(x => x.Table).ToList()),
            StringComparer.Ordinal);
        return new DatabaseState(manifest, relations, indexes, migrations);
    }

    /// <summary>Where two databases' schemas differ (relations, columns, indexes, applied migrations), one phrase; null when they agree.</summary>
    public static string? SchemaDifference(DatabaseState expected, DatabaseState actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        static string Relation(RelationState r) => $"{r.Name}({string.Join(", ", r.Columns)}){r.Definition}";
        static string Index(IndexState i) => $"{i.Name} on {i.Table}{(i.Unique ? " unique" : "")} {i.Definition}";
        var parts = new (string What, IEnumerable<string> Expected, IEnumerable<string> Actual)[]
        {
            ("relations", expected.Relations.Values.Select(Relation), actual.Relations.Values.Select(Relation)),
            ("indexes", expected.Indexes.Values.Select(Index), actual.Indexes.Values.Select(Index)),
            ("migrations", expected.Migrations.Select(m => $"{m.Key} {m.Value}"), actual.Migrations.Select(m => $"{m.Key} {m.Value}")),
        };
        foreach (var (what, e, a) in parts)
        {
            var missing = e.Except(a, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var extra = a.Except(e, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            if (missing.Count + extra.Count > 0)
            {
                return $"its {what} differ from those of the head's own database: {string.Join("; ", missing.Select(m => "missing " + m).Concat(extra.Select(x => "extra " + x)))}";
            }
        }

        return null;
    }

    /// <summary>The rows of a command (which it disposes), one reader position at a time.</summary>
    private static async IAsyncEnumerable<NpgsqlDataReader> RowsAsync(NpgsqlCommand command, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await using var cmd = command;
        await using var reader = await cmd.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            yield return reader;
        }
    }
}
