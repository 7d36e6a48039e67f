using System.Diagnostics;
using Npgsql;

namespace QueryLab.Seed.Migrations;

/// <summary>An applied migration as the ledger records it.</summary>
public sealed record AppliedMigration(string Version, string Name, string Sha256, DateTimeOffset AppliedAt);

/// <summary>Where a database stands against the files: what is applied, what is pending.</summary>
public sealed record MigrationStatus(bool SchemaExists, bool LedgerExists, IReadOnlyList<AppliedMigration> Applied, IReadOnlyList<MigrationFile> Pending);

/// <summary>
/// Applies <c>seed/Migrations/*.sql</c> in order, each in its own transaction (unless the file opts out
/// with <c>-- querylab:no-transaction</c>), and records each in <c>querylab.schema_migrations</c> with its
/// SHA-256. The ledger is also QueryLab's proof of ownership: a <c>querylab</c> schema without it was not
/// made by QueryLab, and is never touched.
/// </summary>
public sealed class MigrationRunner(NpgsqlDataSource dataSource, MigrationSet files, TextWriter log)
{
    public const string Schema = "querylab";
    private const long AdvisoryLockKey = 0x5175_6572_794C_6D01; // "QueryLm" + 1: migrations

    public async Task<MigrationStatus> StatusAsync(CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        return await StatusAsync(conn, ct);
    }

    private async Task<MigrationStatus> StatusAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'querylab'), to_regclass('querylab.schema_migrations') IS NOT NULL", conn);
        bool schemaExists, ledgerExists;
        await using (var r = await cmd.ExecuteReaderAsync(ct))
        {
            await r.ReadAsync(ct);
            schemaExists = r.GetBoolean(0);
            ledgerExists = r.GetBoolean(1);
        }

        var applied = new List<AppliedMigration>();
        if (ledgerExists)
        {
            await using var q = new NpgsqlCommand("SELECT version, name, sha256, applied_at FROM querylab.schema_migrations ORDER BY version", conn);
            await using var r = await q.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                applied.Add(new AppliedMigration(r.GetString(0), r.GetString(1), r.GetString(2), r.GetFieldValue<DateTimeOffset>(3)));
            }
        }

        var appliedVersions = applied.Select(a => a.Version).ToHashSet(StringComparer.Ordinal);
        return new MigrationStatus(schemaExists, ledgerExists, applied, files.Files.Where(f => !appliedVersions.Contains(f.Version)).ToList());
    }

    /// <summary>Checks ownership and that no applied file was edited or removed. Throws a LabException that says what to do.</summary>
    public static void CheckConsistent(MigrationStatus status, MigrationSet files, string databaseDescription)
    {
        if (status.SchemaExists && !status.LedgerExists)
        {
            throw LabException.BadInput(
                $"database {databaseDescription} already has a schema named 'querylab' that QueryLab did not create (no querylab.schema_migrations ledger); "
                + "QueryLab will not touch it: point --connection at another database, or drop that schema yourself if it is a leftover");
        }

        var byVersion = files.Files.ToDictionary(f => f.Version, StringComparer.Ordinal);
        foreach (var a in status.Applied)
        {
            if (!byVersion.TryGetValue(a.Version, out var f))
            {
                throw LabException.BadInput($"migration {a.Version}_{a.Name}.sql was applied to {databaseDescription} but is missing from {files.Directory}; restore it from git");
            }

            var sha = MigrationSet.Sha256(f);
            if (!string.Equals(sha, a.Sha256, StringComparison.Ordinal))
            {
                throw LabException.BadInput(
                    $"migration {Path.GetFileName(f.Path)} was edited after it was applied (sha256 {a.Sha256[..12]}… in the ledger, {sha[..12]}… on disk); "
                    + "restore the applied text from git and put the change in a new migration file");
            }
        }
    }

    /// <summary>Applies pending migrations (or, with <paramref name="dryRun"/>, prints the SQL it would run). Returns what it applied.</summary>
    public async Task<IReadOnlyList<MigrationFile>> ApplyAsync(bool dryRun, string databaseDescription, CancellationToken ct)
    {
        await using var conn = await dataSource.OpenConnectionAsync(ct);
        if (!dryRun)
        {
            // Two runs at once would both see the same pending files; the second waits for the first.
            await using var lockCmd = new NpgsqlCommand("SELECT pg_advisory_lock($1)", conn);
            lockCmd.Parameters.AddWithValue(AdvisoryLockKey);
            await lockCmd.ExecuteNonQueryAsync(ct);
        }

        var status = await StatusAsync(conn, ct);
        CheckConsistent(status, files, databaseDescription);
        if (status.Pending.Count == 0)
        {
            log.WriteLine($"migrations: up to date ({status.Applied.Count} applied)");
            return [];
        }

        if (dryRun)
        {
            if (!status.LedgerExists)
            {
                log.WriteLine("-- would create schema querylab and its ledger querylab.schema_migrations");
            }

            foreach (var f in status.Pending)
            {
                log.WriteLine($"-- {Path.GetFileName(f.Path)} ({(MigrationSet.RunsOutsideTransaction(f) ? "outside a transaction" : "in a transaction")})");
                log.WriteLine(f.Sql.TrimEnd());
                log.WriteLine();
            }

            return status.Pending;
        }

        if (!status.LedgerExists)
        {
            await using var tx = await conn.BeginTransactionAsync(ct);
            await using var create = new NpgsqlCommand(
                """
                CREATE SCHEMA IF NOT EXISTS querylab;
                CREATE TABLE querylab.schema_migrations (
                    version      text        PRIMARY KEY,
                    name         text        NOT NULL,
                    sha256       char(64)    NOT NULL,
                    applied_at   timestamptz NOT NULL DEFAULT now(),
                    duration_ms  integer     NOT NULL
                );
                COMMENT ON SCHEMA querylab IS 'Created and owned by QueryLab; see querylab.schema_migrations.';
                """,
                conn,
                tx);
            await create.ExecuteNonQueryAsync(ct);
            await tx.CommitAsync(ct);
        }

        foreach (var f in status.Pending)
        {
            var sw = Stopwatch.StartNew();
            var outside = MigrationSet.RunsOutsideTransaction(f);
            try
            {
                await using var tx = outside ? null : await conn.BeginTransactionAsync(ct);
                // In a transaction the file is one command. Outside one, each statement is sent on its own: Npgsql sends a
                // multi-statement command as one pipeline, an implicit transaction in which CREATE INDEX CONCURRENTLY fails (25001).
                foreach (var sql in outside ? SqlStatementSplitter.Split(f.Sql).Select(s => s.TextIn(f.Sql)) : [f.Sql])
                {
#pragma warning disable CA2100 // The reviewed migration file is the SQL to run; nothing from user input reaches it.
                    await using var run = new NpgsqlCommand(sql, conn, tx);
#pragma warning restore CA2100
                    run.CommandTimeout = 0;
                    await run.ExecuteNonQueryAsync(ct);
                }

                await using (var record = new NpgsqlCommand(
                    "INSERT INTO querylab.schema_migrations (version, name, sha256, duration_ms) VALUES ($1, $2, $3, $4)", conn, tx))
                {
                    record.Parameters.AddWithValue(f.Version);
                    record.Parameters.AddWithValue(f.Name);
                    record.Parameters.AddWithValue(MigrationSet.Sha256(f));
                    record.Parameters.AddWithValue((int)sw.ElapsedMilliseconds);
                    await record.ExecuteNonQueryAsync(ct);
                }

                if (tx is not null)
                {
                    await tx.CommitAsync(ct);
                }
            }
            catch (PostgresException ex)
            {
                throw LabException.BadInput(
                    $"migration {Path.GetFileName(f.Path)} failed and was rolled back{(outside ? " (it runs outside a transaction: check what it left)" : "")}: "
                    + $"{ex.SqlState} {ex.MessageText}{(ex.Position > 0 ? $" at character {ex.Position}" : "")}; fix the file and run again",
                    ex);
            }

            log.WriteLine($"migrations: applied {Path.GetFileName(f.Path)} in {sw.ElapsedMilliseconds} ms");
        }

        return status.Pending;
    }
}
