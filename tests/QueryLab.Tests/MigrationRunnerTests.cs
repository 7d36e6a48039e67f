using Npgsql;
using QueryLab.Seed;
using QueryLab.Seed.Migrations;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

[Collection(LabCollection.Name)]
public sealed class MigrationRunnerTests(LabFixture lab)
{
    private static string CopyMigrations()
    {
        var dir = Directory.CreateTempSubdirectory("querylab-migrations").FullName;
        foreach (var f in Directory.GetFiles(MigrationSet.DefaultDirectory, "*.sql"))
        {
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        }

        return dir;
    }

    private static async Task<long> CountAsync(NpgsqlDataSource ds, string sql)
    {
        await using var cmd = ds.CreateCommand(sql);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task Applies_pending_files_once_and_records_each_with_its_sha256()
    {
        await using var ds = NpgsqlDataSource.Create(await lab.CreateDatabaseAsync("ql_mig_ledger"));
        var files = MigrationSet.Load();
        var runner = new MigrationRunner(ds, files, TextWriter.Null);
        Assert.Equal(files.Files.Count, (await runner.ApplyAsync(false, "test", default)).Count);
        Assert.Empty(await runner.ApplyAsync(false, "test", default));
        Assert.Equal(files.Files.Count, await CountAsync(ds, "SELECT count(*) FROM querylab.schema_migrations"));
        await using var cmd = ds.CreateCommand("SELECT sha256 FROM querylab.schema_migrations WHERE version = '0001'");
        Assert.Equal(MigrationSet.Sha256(files.Files[0]), ((string)(await cmd.ExecuteScalarAsync())!).Trim());
    }

    [Fact]
    public async Task Dry_run_prints_the_sql_and_changes_nothing()
    {
        await using var ds = NpgsqlDataSource.Create(await lab.CreateDatabaseAsync("ql_mig_dry"));
        var log = new StringWriter();
        var pending = await new MigrationRunner(ds, MigrationSet.Load(), log).ApplyAsync(dryRun: true, "test", default);
        Assert.NotEmpty(pending);
        Assert.Contains("CREATE TABLE querylab.shipments", log.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(ds, "SELECT count(*) FROM pg_namespace WHERE nspname = 'querylab'"));
    }

    [Fact]
    public async Task An_applied_file_edited_since_is_refused_and_nothing_runs()
    {
        await using var ds = NpgsqlDataSource.Create(await lab.CreateDatabaseAsync("ql_mig_edited"));
        var dir = CopyMigrations();
        await new MigrationRunner(ds, MigrationSet.Load(dir), TextWriter.Null).ApplyAsync(false, "test", default);
        var first = Directory.GetFiles(dir, "0001_*.sql").Single();
        await File.AppendAllTextAsync(first, "\n-- a harmless-looking edit\n");
        await File.WriteAllTextAsync(Path.Combine(dir, "9999_later.sql"), "CREATE TABLE querylab.later (id int PRIMARY KEY);");
        var ex = await Assert.ThrowsAsync<LabException>(() => new MigrationRunner(ds, MigrationSet.Load(dir), TextWriter.Null).ApplyAsync(false, "test", default));
        Assert.Equal(ExitCode.BadInput, ex.Code);
        Assert.Contains("was edited after it was applied", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(ds, "SELECT count(*) FROM pg_tables WHERE schemaname = 'querylab' AND tablename = 'later'"));
    }

    [Fact]
    public async Task An_applied_file_missing_from_disk_is_refused()
    {
        await using var ds = NpgsqlDataSource.Create(await lab.CreateDatabaseAsync("ql_mig_missing"));
        var dir = CopyMigrations();
        await new MigrationRunner(ds, MigrationSet.Load(dir), TextWriter.Null).ApplyAsync(false, "test", default);
        File.Delete(Directory.GetFiles(dir, "0002_*.sql").Single());
        var ex = await Assert.ThrowsAsync<LabException>(() => new MigrationRunner(ds, MigrationSet.Load(dir), TextWriter.Null).ApplyAsync(false, "test", default));
        Assert.Contains("is missing from", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_file_is_rolled_back_and_not_recorded()
    {
        await using var ds = NpgsqlDataSource.Create(await lab.CreateDatabaseAsync("ql_mig_fail"));
        var dir = CopyMigrations();
        await File.WriteAllTextAsync(Path.Combine(dir, "0090_broken.sql"), "CREATE TABLE querylab.half (id int);\nSELECT * FROM querylab.no_such_table;");
        var ex = await Assert.ThrowsAsync<LabException>(() => new MigrationRunner(ds, MigrationSet.Load(dir), TextWriter.Null).ApplyAsync(false, "test", default));
        Assert.Contains("0090_broken.sql failed and was rolled back", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(ds, "SELECT count(*) FROM pg_tables WHERE schemaname = 'querylab' AND tablename = 'half'"));
        Assert.Equal(Directory.GetFiles(dir, "*.sql").Length - 1, await CountAsync(ds, "SELECT count(*) FROM querylab.schema_migrations")); // every file but the broken one
    }

    [Fact]
    public async Task A_no_transaction_file_can_create_an_index_concurrently()
    {
        await using var ds = NpgsqlDataSource.Create(await lab.CreateDatabaseAsync("ql_mig_concurrent"));
        var dir = CopyMigrations();
        await File.WriteAllTextAsync(
            Path.Combine(dir, "0090_carrier_name_idx.sql"),
            "-- querylab:no-transaction\nCREATE INDEX CONCURRENTLY carriers_name_idx ON querylab.carriers (name);\n");
        // What the lint asks for: timeouts first. Sent as one command, the three would be one pipeline, and CONCURRENTLY fails in it (25001).
        await File.WriteAllTextAsync(
            Path.Combine(dir, "0091_carrier_code_idx.sql"),
            "-- querylab:no-transaction\nSET lock_timeout = '1s';\nSET statement_timeout = '1min';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS carriers_code_idx ON querylab.carriers (code);\n");
        await new MigrationRunner(ds, MigrationSet.Load(dir), TextWriter.Null).ApplyAsync(false, "test", default);
        Assert.Equal(1, await CountAsync(ds, "SELECT count(*) FROM pg_indexes WHERE indexname = 'carriers_name_idx'"));
        Assert.Equal(1, await CountAsync(ds, "SELECT count(*) FROM pg_indexes WHERE indexname = 'carriers_code_idx'"));
    }

    [Fact]
    public async Task A_querylab_schema_it_did_not_create_is_never_touched()
    {
        var cs = await lab.CreateDatabaseAsync("ql_mig_foreign");
        await using var ds = NpgsqlDataSource.Create(cs);
        await using (var cmd = ds.CreateCommand("CREATE SCHEMA querylab; CREATE TABLE querylab.theirs (id int); CREATE SCHEMA app; CREATE TABLE app.orders (id int)"))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        var ex = await Assert.ThrowsAsync<LabException>(() => new MigrationRunner(ds, MigrationSet.Load(), TextWriter.Null).ApplyAsync(false, "test", default));
        Assert.Equal(ExitCode.BadInput, ex.Code);
        Assert.Contains("did not create", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, await CountAsync(ds, "SELECT count(*) FROM pg_tables WHERE schemaname = 'querylab'"));
    }

    [Fact]
    public async Task Other_schemas_of_a_database_are_left_alone()
    {
        var cs = await lab.CreateDatabaseAsync("ql_mig_shared");
        await using var ds = NpgsqlDataSource.Create(cs);
        await using (var cmd = ds.CreateCommand("CREATE SCHEMA app; CREATE TABLE app.orders (id int); INSERT INTO app.orders VALUES (1), (2)"))
        {
            await cmd.ExecuteNonQueryAsync();
        }

        await new MigrationRunner(ds, MigrationSet.Load(), TextWriter.Null).ApplyAsync(false, "test", default);
        Assert.Equal(2, await CountAsync(ds, "SELECT count(*) FROM app.orders"));
        Assert.Equal(0, await CountAsync(ds, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"));
    }
}
