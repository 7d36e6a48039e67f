using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using QueryLab.Queries.Model;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>The EF Core model and the migrated database must agree: tables, columns, types, nullability, indexes.</summary>
[Collection(LabCollection.Name)]
public sealed class EfModelSchemaTests(LabFixture lab)
{
    private static readonly HashSet<string> Bookkeeping = ["schema_migrations", "seed_manifest", "seed_deferred_ddl"];

    [Fact]
    public async Task Ef_model_matches_the_migrated_schema()
    {
        var db = await ReadDatabaseAsync();
        var ef = ReadEfModel();
        Assert.Equal(db.Columns.Keys.Order(), ef.Columns.Keys.Order());
        foreach (var (key, dbCol) in db.Columns)
        {
            var efCol = ef.Columns[key];
            Assert.True(dbCol.Type == efCol.Type, $"{key}: database {dbCol.Type}, EF {efCol.Type}");
            if (!dbCol.IsView)
            {
                Assert.True(dbCol.Nullable == efCol.Nullable, $"{key}: database nullable={dbCol.Nullable}, EF nullable={efCol.Nullable}");
            }
        }

        Assert.Equal(db.Indexes.Order(), ef.Indexes.Order());
    }

    [Fact]
    public async Task A_drifted_column_is_caught()
    {
        // The comparison itself must be able to fail: a database whose column differs is noticed.
        var cs = await lab.CreateDatabaseAsync("ql_ef_drift");
        await using (var ds = NpgsqlDataSource.Create(cs))
        {
            await new QueryLab.Seed.Migrations.MigrationRunner(ds, QueryLab.Seed.Migrations.MigrationSet.Load(), TextWriter.Null).ApplyAsync(false, "t", default);
            await using var alter = ds.CreateCommand("ALTER TABLE querylab.shipments ALTER COLUMN origin TYPE text");
            await alter.ExecuteNonQueryAsync();
        }

        var db = await ReadDatabaseAsync(cs);
        Assert.NotEqual(ReadEfModel().Columns["shipments.origin"].Type, db.Columns["shipments.origin"].Type);
    }

    private sealed record Col(string Type, bool Nullable, bool IsView);

    private sealed record Shape(Dictionary<string, Col> Columns, List<string> Indexes);

    private async Task<Shape> ReadDatabaseAsync(string? connectionString = null)
    {
        await using var ds = NpgsqlDataSource.Create(connectionString ?? lab.ConnectionString);
        var cols = new Dictionary<string, Col>();
        await using (var cmd = ds.CreateCommand(
            """
            SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull, c.relkind = 'm'
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = 'querylab' AND c.relkind IN ('r', 'm')
            """))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                if (!Bookkeeping.Contains(r.GetString(0)))
                {
                    cols[$"{r.GetString(0)}.{r.GetString(1)}"] = new Col(r.GetString(2), r.GetBoolean(3), r.GetBoolean(4));
                }
            }
        }

        var indexes = new List<string>();
        await using (var cmd = ds.CreateCommand(
            """
            SELECT t.relname, i.relname, x.indisunique, x.indisprimary,
                   (SELECT string_agg(a.attname || CASE WHEN (x.indoption[k.n - 1] & 1) = 1 THEN ' desc' ELSE '' END, ',' ORDER BY k.n)
                    FROM unnest(x.indkey) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = 'querylab' AND t.relkind = 'r'
            """))
        await using (var r = await cmd.ExecuteReaderAsync())
        {
            while (await r.ReadAsync())
            {
                if (!Bookkeeping.Contains(r.GetString(0)))
                {
                    indexes.Add(r.GetBoolean(3) ? $"{r.GetString(0)} primary key ({r.GetString(4)})" : $"{r.GetString(0)} {r.GetString(1)}{(r.GetBoolean(2) ? " unique" : "")} ({r.GetString(4)})");
                }
            }
        }

        return new Shape(cols, indexes);
    }

    private Shape ReadEfModel()
    {
        var options = new DbContextOptionsBuilder<LabDbContext>().UseNpgsql(lab.ConnectionString).Options;
        using var ctx = new LabDbContext(options);
        var cols = new Dictionary<string, Col>();
        var indexes = new List<string>();
        var model = ctx.GetService<Microsoft.EntityFrameworkCore.Metadata.IDesignTimeModel>().Model;
        foreach (var e in model.GetEntityTypes())
        {
            var isView = e.GetViewName() is not null;
            var name = e.GetTableName() ?? e.GetViewName()!;
            var store = isView ? StoreObjectIdentifier.View(name, e.GetViewSchema()) : StoreObjectIdentifier.Table(name, e.GetSchema());
            foreach (var p in e.GetProperties())
            {
                cols[$"{name}.{p.GetColumnName(store)}"] = new Col(p.GetColumnType(), p.IsNullable, isView);
            }

            if (isView)
            {
                continue;
            }

            var pk = e.FindPrimaryKey()!;
            indexes.Add($"{name} primary key ({string.Join(',', pk.Properties.Select(p => p.GetColumnName(store)))})");
            foreach (var i in e.GetIndexes())
            {
                var columns = i.Properties.Select((p, k) => p.GetColumnName(store) + (i.IsDescending is { } d && d.Count > k && d[k] ? " desc" : ""));
                indexes.Add($"{name} {i.GetDatabaseName()}{(i.IsUnique ? " unique" : "")} ({string.Join(',', columns)})");
            }
        }

        return new Shape(cols, indexes);
    }
}
