using QueryLab.Seed.Migrations;

namespace QueryLab.Tests;

[Trait("Category", "Serverless")]
public class MigrationLintTests
{
    /// <summary>Tables an earlier, already applied migration created.</summary>
    private static readonly HashSet<string> Existing = ["querylab.shipments", "querylab.carriers"];

    private static IReadOnlyList<LintFinding> Lint(string sql, IReadOnlySet<string>? existing = null) =>
        MigrationLinter.Lint([new MigrationFile("0003", "change", "/repo/seed/Migrations/0003_change.sql", sql)], existing ?? Existing);

    private static LintFinding Single(IReadOnlyList<LintFinding> findings, string rule)
    {
        var hit = Assert.Single(findings, f => f.Rule == rule);
        Assert.False(string.IsNullOrWhiteSpace(hit.Message));
        Assert.False(string.IsNullOrWhiteSpace(hit.Fix));
        Assert.DoesNotContain('\n', hit.Message + hit.Fix);
        return hit;
    }

    [Theory]
    [InlineData("ban-drop-table", 3, "SELECT 1;\n\nDROP TABLE IF EXISTS querylab.shipments CASCADE;")]
    [InlineData("ban-drop-table", 1, "drop table carriers, querylab.shipments;")]
    [InlineData("ban-drop-column", 2, "SELECT 1;\nALTER TABLE shipments\n    DROP COLUMN origin;")]
    [InlineData("ban-drop-column", 1, "alter table only \"querylab\".\"shipments\" drop if exists \"Origin\" cascade;")]
    [InlineData("ban-truncate", 2, "-- empty it\nTRUNCATE shipments;")]
    [InlineData("ban-truncate-cascade", 1, "TRUNCATE TABLE ONLY querylab.shipments, carriers RESTART IDENTITY CASCADE;")]
    [InlineData("require-concurrent-index-creation", 2, "\nCREATE INDEX shipments_origin_idx ON querylab.shipments (origin);")]
    [InlineData("require-concurrent-index-creation", 1, "create unique index if not exists on only Shipments using btree (lower(origin));")]
    [InlineData("require-concurrent-index-deletion", 1, "DROP INDEX IF EXISTS querylab.shipments_status_idx;")]
    [InlineData("ban-concurrent-index-creation-in-transaction", 1, "CREATE INDEX CONCURRENTLY shipments_origin_idx ON shipments (origin);")]
    [InlineData("concurrent-index-in-transaction", 1, "DROP INDEX CONCURRENTLY querylab.shipments_status_idx;")]
    [InlineData("changing-column-type", 1, "ALTER TABLE shipments ALTER COLUMN origin TYPE text;")]
    [InlineData("changing-column-type", 2, "/* widen */\nALTER TABLE querylab.shipments ALTER origin SET DATA TYPE varchar(200);")]
    [InlineData("adding-required-field", 1, "ALTER TABLE shipments ADD COLUMN region text NOT NULL;")]
    [InlineData("adding-required-field", 1, "ALTER TABLE shipments ADD IF NOT EXISTS region text CHECK (region <> '') NOT NULL;")]
    [InlineData("adding-not-nullable-field", 1, "ALTER TABLE shipments ALTER COLUMN delivered_at SET NOT NULL;")]
    [InlineData("adding-foreign-key-constraint", 1, "ALTER TABLE shipments ADD CONSTRAINT shipments_carrier_fk FOREIGN KEY (carrier_id) REFERENCES carriers (id);")]
    [InlineData("adding-foreign-key-constraint", 1, "ALTER TABLE shipments ADD COLUMN return_carrier_id integer REFERENCES querylab.carriers (id);")]
    [InlineData("constraint-missing-not-valid", 1, "ALTER TABLE shipments ADD CONSTRAINT shipments_weight_max CHECK (weight_grams < 1000000);")]
    [InlineData("constraint-missing-not-valid", 2, "ALTER TABLE shipments ADD CONSTRAINT w CHECK (weight_grams < 1000000) NOT VALID;\nALTER TABLE shipments VALIDATE CONSTRAINT w;")]
    [InlineData("disallowed-unique-constraint", 1, "ALTER TABLE carriers ADD CONSTRAINT carriers_name_key UNIQUE (name);")]
    [InlineData("renaming-column", 2, "SET lock_timeout = '1s';\nALTER TABLE shipments RENAME COLUMN origin TO origin_city;")]
    [InlineData("renaming-column", 1, "ALTER TABLE querylab.shipments RENAME origin TO origin_city;")]
    [InlineData("renaming-table", 1, "ALTER TABLE IF EXISTS querylab.carriers RENAME TO couriers;")]
    [InlineData("require-lock-timeout", 2, "SET statement_timeout = '5s';\nCREATE INDEX i ON shipments (origin);\nALTER TABLE shipments ADD COLUMN note text;")]
    [InlineData("require-lock-timeout", 2, "SET lock_timeout.x = 1;\nALTER TABLE shipments ADD COLUMN note text;")]
    [InlineData("require-lock-timeout", 1, "CREATE TABLE querylab.notes (id int, shipment_id uuid REFERENCES querylab.shipments (id));")]
    [InlineData("require-statement-timeout", 2, "SET LOCAL lock_timeout = '1s';\nALTER TABLE carriers ADD COLUMN region text;")]
    [InlineData("prefer-timestamp-tz", 3, "CREATE TABLE querylab.audit (\n  id int,\n  at timestamp(3) NOT NULL);")]
    [InlineData("prefer-timestamp-tz", 1, "ALTER TABLE shipments ALTER COLUMN delivered_at TYPE timestamp without time zone;")]
    [InlineData("prefer-robust-stmts", 2, "-- querylab:no-transaction\nCREATE INDEX CONCURRENTLY shipments_origin_idx ON shipments (origin);")]
    [InlineData("prefer-robust-stmts", 2, "-- querylab:no-transaction\nALTER TABLE shipments ADD COLUMN note text;")]
    [InlineData("adding-field-with-default", 1, "ALTER TABLE shipments ADD COLUMN k uuid NOT NULL DEFAULT gen_random_uuid();")]
    [InlineData("adding-field-with-default", 1, "ALTER TABLE shipments ADD COLUMN kg numeric GENERATED ALWAYS AS (weight_grams / 1000.0) STORED;")]
    [InlineData("ban-drop-database", 1, "DROP DATABASE lab;")]
    public void Flags_the_rule_at_the_statement_line(string rule, int line, string sql)
    {
        var finding = Single(Lint(sql), rule);
        Assert.Equal(line, finding.Line);
        Assert.Equal("0003_change.sql", finding.File);
    }

    [Theory]
    [InlineData("ban-drop-table", "CREATE TABLE querylab.scratch (id int);\nDROP TABLE querylab.scratch;")]
    [InlineData("ban-drop-column", "ALTER TABLE shipments DROP CONSTRAINT shipments_weight_check;")]
    [InlineData("ban-drop-column", "CREATE TABLE querylab.scratch (id int, x int);\nALTER TABLE querylab.scratch DROP COLUMN x;")]
    [InlineData("ban-truncate", "CREATE TABLE querylab.scratch (id int);\nTRUNCATE querylab.scratch;")]
    [InlineData("ban-truncate-cascade", "TRUNCATE shipments;")]
    [InlineData("require-concurrent-index-creation", "CREATE TABLE querylab.zones (id int);\nCREATE INDEX zones_id_idx ON querylab.zones (id);")]
    [InlineData("require-concurrent-index-creation", "-- querylab:no-transaction\nCREATE INDEX CONCURRENTLY shipments_origin_idx ON shipments (origin);")]
    [InlineData("require-concurrent-index-creation", "CREATE INDEX elsewhere_idx ON querylab.not_yet_created (id);")]
    [InlineData("require-concurrent-index-deletion", "-- querylab:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS querylab.shipments_status_idx;")]
    [InlineData("require-concurrent-index-deletion", "CREATE TABLE querylab.zones (id int);\nCREATE INDEX zones_id_idx ON querylab.zones (id);\nDROP INDEX zones_id_idx;")]
    [InlineData("ban-concurrent-index-creation-in-transaction", "-- querylab:no-transaction\nCREATE INDEX CONCURRENTLY shipments_origin_idx ON shipments (origin);")]
    [InlineData("changing-column-type", "ALTER TABLE shipments ALTER COLUMN status SET DEFAULT 'pending';")]
    [InlineData("changing-column-type", "CREATE TABLE querylab.zones (id int);\nALTER TABLE querylab.zones ALTER COLUMN id TYPE bigint;")]
    [InlineData("adding-required-field", "ALTER TABLE shipments ADD COLUMN region text DEFAULT 'eu' NOT NULL;")]
    [InlineData("adding-required-field", "ALTER TABLE shipments ADD COLUMN region text CHECK (region IS NOT NULL);")]
    [InlineData("adding-required-field", "ALTER TABLE shipments ADD COLUMN seq bigint GENERATED BY DEFAULT AS IDENTITY NOT NULL;")]
    [InlineData("adding-not-nullable-field", "ALTER TABLE shipments ALTER COLUMN delivered_at DROP NOT NULL;")]
    [InlineData("adding-foreign-key-constraint", "ALTER TABLE shipments ADD CONSTRAINT shipments_carrier_fk FOREIGN KEY (carrier_id) REFERENCES carriers (id) NOT VALID;")]
    [InlineData("constraint-missing-not-valid", "ALTER TABLE shipments ADD CONSTRAINT shipments_weight_max CHECK (weight_grams < 1000000) NOT VALID;")]
    [InlineData("disallowed-unique-constraint", "ALTER TABLE carriers ADD CONSTRAINT carriers_name_key UNIQUE USING INDEX carriers_name_idx;")]
    [InlineData("renaming-column", "CREATE TABLE querylab.zones (id int, n text);\nALTER TABLE querylab.zones RENAME COLUMN n TO name;")]
    [InlineData("renaming-column", "ALTER TABLE shipments RENAME CONSTRAINT a TO b;")]
    [InlineData("renaming-table", "CREATE TABLE querylab.zones (id int);\nALTER TABLE querylab.zones RENAME TO areas;")]
    [InlineData("require-lock-timeout", "SET lock_timeout = '1s';\nCREATE INDEX i ON shipments (origin);")]
    [InlineData("require-lock-timeout", "SET SESSION lock_timeout TO '1s';\nALTER TABLE shipments ADD COLUMN note text;")]
    [InlineData("require-lock-timeout", "CREATE TABLE querylab.zones (id int);\nCREATE INDEX zones_id_idx ON querylab.zones (id);")]
    [InlineData("require-statement-timeout", "SET statement_timeout = '5s';\nALTER TABLE carriers ADD COLUMN region text;")]
    [InlineData("prefer-timestamp-tz", "CREATE TABLE querylab.audit (at timestamptz, b timestamp with time zone, c timestamp(3) with time zone);")]
    [InlineData("prefer-timestamp-tz", "ALTER TABLE shipments ALTER COLUMN delivered_at SET DEFAULT timestamp '2026-01-01';")]
    [InlineData("prefer-robust-stmts", "CREATE INDEX shipments_origin_idx ON querylab.zones (origin);\nALTER TABLE shipments ADD COLUMN note text;")]
    [InlineData("prefer-robust-stmts", "-- querylab:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS i ON shipments (origin);\nDROP INDEX CONCURRENTLY IF EXISTS querylab.i;")]
    [InlineData("adding-field-with-default", "ALTER TABLE shipments ADD COLUMN source text DEFAULT 'scanner';")]
    [InlineData("adding-field-with-default", "ALTER TABLE shipments ADD COLUMN seen_at timestamptz DEFAULT now();")]
    public void Does_not_flag_the_safe_form(string rule, string sql) =>
        Assert.DoesNotContain(Lint(sql), f => f.Rule == rule);

    [Fact]
    public void Prefer_robust_stmts_is_advice_and_the_rest_are_warnings()
    {
        var findings = Lint("-- querylab:no-transaction\nSET lock_timeout = '1s';\nSET statement_timeout = '1min';\nDROP INDEX querylab.shipments_status_idx;");
        Assert.Equal(LintSeverity.Info, Single(findings, "prefer-robust-stmts").Severity);
        Assert.Equal(LintSeverity.Warning, Single(findings, "require-concurrent-index-deletion").Severity);
    }

    [Fact]
    public void A_github_annotation_names_the_file_line_and_rule_with_its_data_escaped()
    {
        var warning = new LintFinding("renaming-column", "0090_x.sql", 7, "100% breaks, old: new", "Fix it,\nthen go");
        Assert.Equal("::warning file=seed/Migrations/0090_x.sql,line=7,title=renaming-column::100%25 breaks, old: new Fix: Fix it,%0Athen go",
            warning.GitHubAnnotation("seed/Migrations/0090_x.sql"));
        var info = warning with { Severity = LintSeverity.Info };
        Assert.StartsWith("::notice file=a%2Cb.sql,line=7,", info.GitHubAnnotation("a,b.sql"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_drop_and_an_add_on_one_table_is_a_rename_that_destroys_data()
    {
        var findings = MigrationLinter.Lint(
        [
            new MigrationFile("0003", "drop_origin", "0003_drop_origin.sql", "-- generated\nALTER TABLE querylab.shipments DROP COLUMN origin;"),
            new MigrationFile("0004", "add_origin_city", "0004_add_origin_city.sql", "ALTER TABLE shipments ADD COLUMN origin_city varchar(100);"),
        ], Existing);

        Single(findings, "ban-drop-column");
        var rename = Single(findings, "drop-then-add-column");
        Assert.Equal(("0003_drop_origin.sql", 2), (rename.File, rename.Line));
        Assert.Contains("RENAME COLUMN origin TO origin_city", rename.Fix, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ALTER TABLE shipments ADD COLUMN origin_city text;\nUPDATE shipments SET origin_city = origin;\nALTER TABLE shipments DROP COLUMN origin;")]
    [InlineData("ALTER TABLE shipments DROP COLUMN origin;\nALTER TABLE carriers ADD COLUMN origin text;")]
    public void Add_before_drop_or_on_another_table_is_not_a_rename(string sql) =>
        Assert.DoesNotContain(Lint(sql), f => f.Rule == "drop-then-add-column");

    [Fact]
    public void Each_action_of_one_alter_table_is_checked()
    {
        var findings = Lint("ALTER TABLE shipments\n  ADD COLUMN note text,\n  DROP COLUMN origin,\n  ALTER COLUMN status TYPE text,\n  ADD CONSTRAINT c CHECK (weight_grams > 1);");
        // ADD and DROP in one statement: nothing can copy the data in between, so it counts as drop + add.
        // No timeouts set in the file: its first statement on an existing table is also flagged for them.
        Assert.Equal(["ban-drop-column", "drop-then-add-column", "changing-column-type", "constraint-missing-not-valid", "require-lock-timeout", "require-statement-timeout"],
            findings.Select(f => f.Rule));
        Assert.All(findings, f => Assert.Equal(1, f.Line));
    }

    [Fact]
    public void Comments_strings_and_function_bodies_are_not_statements()
    {
        const string sql = """
            -- DROP TABLE querylab.shipments;
            /* DROP TABLE querylab.shipments; /* nested */ TRUNCATE shipments; */
            SELECT 'DROP TABLE querylab.shipments; TRUNCATE shipments';
            SELECT E'it\'s; DROP TABLE querylab.shipments', 'don''t; DROP TABLE querylab.carriers';
            DO $$ BEGIN EXECUTE 'DROP TABLE querylab.shipments'; END $$;
            CREATE FUNCTION querylab.f() RETURNS void LANGUAGE sql AS $body$ TRUNCATE querylab.shipments; $body$;
            COMMENT ON TABLE querylab.shipments IS 'never DROP TABLE this';
            SELECT "DROP TABLE" FROM querylab.shipments;
            """;
        Assert.Empty(Lint(sql));
    }

    [Fact]
    public void Lines_count_through_comments_and_literals()
    {
        const string sql = "/* one\ntwo */ SELECT 'three\nfour';\n-- five\n\n  DROP\n  TABLE shipments;";
        Assert.Equal(6, Single(Lint(sql), "ban-drop-table").Line);
    }

    [Fact]
    public void A_renamed_existing_table_stays_existing()
    {
        var findings = Lint("ALTER TABLE shipments RENAME TO parcels;\nCREATE INDEX parcels_origin_idx ON parcels (origin);");
        Assert.Equal(2, Single(findings, "require-concurrent-index-creation").Line);
    }

    [Fact]
    public void A_table_created_by_an_earlier_pending_file_is_new()
    {
        var findings = MigrationLinter.Lint(
        [
            new MigrationFile("0003", "zones", "0003_zones.sql", "CREATE TABLE querylab.zones (id int PRIMARY KEY, name text);"),
            new MigrationFile("0004", "zones_name", "0004_zones_name.sql", "CREATE INDEX zones_name_idx ON zones (name);\nALTER TABLE zones ADD COLUMN code text NOT NULL;"),
        ], Existing);
        Assert.Empty(findings);
    }

    [Theory]
    [InlineData("-- querylab:no-transaction\nCREATE INDEX CONCURRENTLY i ON shipments (origin);", true)]
    [InlineData("CREATE INDEX CONCURRENTLY i ON shipments (origin); --   QueryLab:No-Transaction  ", true)]
    [InlineData("SELECT '-- querylab:no-transaction';", false)]
    [InlineData("-- querylab:no-transactions please\nSELECT 1;", false)]
    public void The_no_transaction_marker_is_a_line_comment(string sql, bool outside)
    {
        Assert.Equal(outside, MigrationLinter.RunsOutsideTransaction(sql));
        Assert.Equal(outside, new MigrationFile("0003", "x", "0003_x.sql", sql).RunsOutsideTransaction);
    }

    [Fact]
    public void The_shipped_migrations_lint_clean()
    {
        var files = MigrationFile.LoadDirectory(Path.Combine(AppContext.BaseDirectory, "Migrations"));
        Assert.Equal(["0001", "0002"], files.Select(f => f.Version).Take(2));
        Assert.Equal("lab_schema", files[0].Name);
        Assert.Empty(MigrationLinter.Lint(files, new HashSet<string>()));
        Assert.All(files, f => Assert.False(f.RunsOutsideTransaction));
    }

    [Fact]
    public void The_splitter_gives_each_statement_its_first_line()
    {
        var statements = SqlStatementSplitter.Split("SELECT 1;;\n\n  SELECT $x$;$x$,\n 2;\nSELECT 3");
        Assert.Equal([1, 3, 5], statements.Select(s => s.Line));
    }

    [Fact]
    public void The_splitter_gives_each_statement_its_text()
    {
        const string sql = "-- head\nSET lock_timeout = '1s';\nCREATE INDEX i ON t (a) -- why\n;\nSELECT ';' , $x$;$x$";
        Assert.Equal(["SET lock_timeout = '1s'", "CREATE INDEX i ON t (a) -- why", "SELECT ';' , $x$;$x$"],
            SqlStatementSplitter.Split(sql).Select(s => s.TextIn(sql)));
    }
}
