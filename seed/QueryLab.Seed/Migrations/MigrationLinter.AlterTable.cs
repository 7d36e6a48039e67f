using static QueryLab.Seed.Migrations.LintRules;

namespace QueryLab.Seed.Migrations;

public static partial class MigrationLinter
{
    /// <summary>ALTER TABLE: each comma-separated action is checked on its own.</summary>
    private sealed partial class Run
    {
        private void AlterTable(SqlCursor c)
        {
            c.Accept("if", "exists");
            c.Accept("only");
            if (c.Is("all") || c.ReadQualifiedName() is not { } table)
            {
                return;
            }

            c.AcceptSymbol('*');
            var mode = 0;
            foreach (var action in c.SplitRest())
            {
                _seq++;
                mode = Math.Max(mode, action.Is("validate") || SetsStorageParameters(action) ? 1 : action.ContainsTopLevel("foreign", "key") && !action.Is("alter") ? 2 : 3);
                if (action.Accept("add"))
                {
                    if (action.Accept("constraint"))
                    {
                        AddConstraint(table, action.ReadName(), action);
                    }
                    else if (action.Is("primary") || action.Is("unique") || action.Is("check") || action.Is("foreign") || action.Is("exclude"))
                    {
                        AddConstraint(table, null, action);
                    }
                    else
                    {
                        AddColumn(table, action);
                    }
                }
                else if (action.Accept("drop"))
                {
                    DropColumn(table, action);
                }
                else if (action.Accept("alter"))
                {
                    AlterColumn(table, action);
                }
                else if (action.Accept("rename", "to") && action.ReadName() is { } newName)
                {
                    var renamed = SchemaOf(table) + "." + newName;
                    if (_existing.Contains(table))
                    {
                        Report(RenamingTable,
                            $"RENAME {table} TO {newName} keeps the data, but the deployed code that still uses {table} fails from the moment this commits (and new code that uses {newName} fails until it does).",
                            $"Rename in steps the code follows: CREATE VIEW {table} AS SELECT * FROM {renamed} in the same migration (old code keeps working), switch the code to {newName}, then drop the view; never as a drop + create, which loses the data.");
                    }

                    if (_existing.Remove(table))
                    {
                        _existing.Add(renamed);
                    }

                    if (_created.Remove(table))
                    {
                        _created.Add(renamed);
                    }
                }
                else if (action.Accept("rename") && !action.Is("constraint") && RenameColumn(table, action))
                {
                }
                else if (action.Accept("validate", "constraint") && action.ReadName() is { } name
                    && !_outsideTransaction && _notValidInFile.Contains(table + "." + name))
                {
                    Report(ConstraintMissingNotValid,
                        $"Constraint {name} on {table} is validated in the same transaction that added it NOT VALID, so the validating scan runs under the ADD's stronger lock.",
                        $"Move ALTER TABLE {table} VALIDATE CONSTRAINT {name}; to a later migration file.");
                }
            }

            if (_existing.Contains(table) && mode > 0)
            {
                _locked = (table, mode switch { 1 => "SHARE UPDATE EXCLUSIVE", 2 => "SHARE ROW EXCLUSIVE", _ => "ACCESS EXCLUSIVE" });
            }
        }

        /// <summary>Functions whose value a DEFAULT can store once for every row (PostgreSQL 11+ then does not rewrite the table).</summary>
        private static readonly HashSet<string> StableDefaults = new(StringComparer.Ordinal)
        {
            "now", "transaction_timestamp", "statement_timestamp", "current_timestamp", "current_date", "localtimestamp",
            "current_setting", "lower", "upper", "coalesce", "nullif", "make_interval", "to_timestamp", "array",
        };

        /// <summary>Why an ADD COLUMN rewrites the table: a DEFAULT that calls a volatile function, or a stored generated column; null when it does not.</summary>
        private static string? RewritingDefault(SqlCursor a)
        {
            var at = a.IndexOfTopLevel("default");
            if (at >= 0 && a.At(at + 1) is { Kind: SqlTokenKind.Word } f && a.At(at + 2) is { } open && open.IsSymbol('(') && !StableDefaults.Contains(f.Text))
            {
                return $"DEFAULT {f.Text}()";
            }

            return a.ContainsTopLevel("generated", "always") && a.ContainsTopLevel("stored") ? "GENERATED ALWAYS AS (…) STORED" : null;
        }

        /// <summary>SET (…) / RESET (…) of storage parameters (autovacuum, fillfactor): SHARE UPDATE EXCLUSIVE, not ACCESS EXCLUSIVE.</summary>
        private static bool SetsStorageParameters(SqlCursor a) =>
            (a.Is("set") || a.Is("reset")) && !new[] { "schema", "tablespace", "logged", "unlogged", "without", "access" }.Any(w => a.ContainsTopLevel(w));

        /// <summary>RENAME [COLUMN] a TO b: squawk's renaming-column, on a table that already exists.</summary>
        private bool RenameColumn(string table, SqlCursor a)
        {
            a.Accept("column");
            if (a.ReadName() is not { } column || !a.Accept("to") || a.ReadName() is not { } newName)
            {
                return false;
            }

            if (_existing.Contains(table))
            {
                Report(RenamingColumn,
                    $"RENAME COLUMN {column} TO {newName} on {table} keeps the data, but the deployed code that still reads or writes {column} fails from the moment this commits (and new code that uses {newName} fails until it does).",
                    $"Rename in steps the code follows: add {newName}, write both, backfill, switch reads, then drop {column} in a later migration; never as DROP COLUMN {column} + ADD COLUMN {newName}, which loses the data (drop-then-add-column).");
            }

            return true;
        }

        private void AddColumn(string table, SqlCursor a)
        {
            a.Accept("column");
            if (!a.Accept("if", "not", "exists") && _outsideTransaction)
            {
                Robust("IF NOT EXISTS", "ADD COLUMN");
            }

            if (a.ReadName() is not { } column)
            {
                return;
            }

            if (!_created.Contains(table))
            {
                _adds.Add(new ColumnChange(table, column, _fileIndex, _file, _line, _seq, _statement));
            }

            if (!_existing.Contains(table))
            {
                return;
            }

            var notNull = a.IndexOfTopLevel("not", "null");
            if (notNull >= 0 && !a.WordBefore(notNull, "is") && !a.ContainsTopLevel("default") && !a.ContainsTopLevel("generated"))
            {
                Report(AddingRequiredField,
                    $"ADD COLUMN {column} … NOT NULL without a DEFAULT fails on {table} as soon as it holds a row.",
                    $"Give it a default (ADD COLUMN {column} … NOT NULL DEFAULT …), or add it nullable, backfill, and add NOT NULL in a later migration.");
            }

            if (RewritingDefault(a) is { } why)
            {
                Report(AddingFieldWithDefault,
                    $"ADD COLUMN {column} … {why} on {table}: every row gets its own value, so the table and its indexes are rewritten under an ACCESS EXCLUSIVE lock.",
                    $"Add {column} without the default (or with a constant one: PostgreSQL 11+ stores it without a rewrite), then backfill it in batches and set the default afterwards.");
            }

            if (a.ContainsTopLevel("references"))
            {
                Report(AddingForeignKeyConstraint,
                    $"ADD COLUMN {column} … REFERENCES on {table} checks every row while holding SHARE ROW EXCLUSIVE locks on both tables.",
                    $"Add the column without REFERENCES, then ADD CONSTRAINT … FOREIGN KEY ({column}) REFERENCES … NOT VALID, and VALIDATE CONSTRAINT in a later migration.");
            }
        }

        private void AddConstraint(string table, string? name, SqlCursor a)
        {
            var notValid = a.ContainsTopLevel("not", "valid");
            if (notValid && name is not null)
            {
                _notValidInFile.Add(table + "." + name);
            }

            if (!_existing.Contains(table))
            {
                return;
            }

            var label = name ?? "<name>";
            if (a.Is("foreign") && !notValid)
            {
                Report(AddingForeignKeyConstraint,
                    $"Foreign key {label} on {table} is checked against every row while SHARE ROW EXCLUSIVE locks are held on both tables.",
                    $"Write ADD CONSTRAINT {label} FOREIGN KEY … NOT VALID; then ALTER TABLE {table} VALIDATE CONSTRAINT {label}; in a later migration.");
            }
            else if (a.Is("check") && !notValid)
            {
                Report(ConstraintMissingNotValid,
                    $"CHECK constraint {label} on {table} scans every row under an ACCESS EXCLUSIVE lock.",
                    $"Write ADD CONSTRAINT {label} CHECK (…) NOT VALID; then ALTER TABLE {table} VALIDATE CONSTRAINT {label}; in a later migration.");
            }
            else if (!notValid && a.Accept("not", "null"))
            {
                Report(AddingNotNullableField,
                    $"NOT NULL constraint {label} on {table} scans every row under an ACCESS EXCLUSIVE lock.",
                    $"Write ADD CONSTRAINT {label} NOT NULL … NOT VALID; then VALIDATE CONSTRAINT {label}; in a later migration.");
            }
            else if ((a.Is("unique") || a.Is("primary")) && !a.ContainsTopLevel("using", "index"))
            {
                Report(DisallowedUniqueConstraint,
                    $"Adding UNIQUE/PRIMARY KEY {label} to {table} builds its index under an ACCESS EXCLUSIVE lock.",
                    $"CREATE UNIQUE INDEX CONCURRENTLY in a `{MigrationFile.NoTransactionMarker}` file, then ADD CONSTRAINT {label} UNIQUE (or PRIMARY KEY) USING INDEX <that index>.");
            }
        }

        private void DropColumn(string table, SqlCursor a)
        {
            if (a.Is("constraint"))
            {
                return;
            }

            a.Accept("column");
            if (!a.Accept("if", "exists") && _outsideTransaction)
            {
                Robust("IF EXISTS", "DROP COLUMN");
            }

            if (a.ReadName() is not { } column || _created.Contains(table))
            {
                return;
            }

            Report(BanDropColumn,
                $"DROP COLUMN {column} destroys its data in {table} and breaks deployed code that still reads it.",
                "Stop reading and writing the column in the application first, then drop it in a separate, later migration.");
            _drops.Add(new ColumnChange(table, column, _fileIndex, _file, _line, _seq++, _statement));
        }

        private void AlterColumn(string table, SqlCursor a)
        {
            if (a.Is("constraint") || !_existing.Contains(table))
            {
                return;
            }

            a.Accept("column");
            if (a.ReadName() is not { } column)
            {
                return;
            }

            if (a.Accept("type") || a.Accept("set", "data", "type"))
            {
                Report(ChangingColumnType,
                    $"Changing the type of {table}.{column} takes an ACCESS EXCLUSIVE lock and, for most type changes, rewrites the table and its indexes.",
                    $"Add a new column of the new type, backfill it in batches, switch the application to it, then drop {column} in a later migration.");
            }
            else if (a.Accept("set", "not", "null"))
            {
                Report(AddingNotNullableField,
                    $"SET NOT NULL on {table}.{column} scans every row under an ACCESS EXCLUSIVE lock.",
                    $"ADD CONSTRAINT {column}_not_null CHECK ({column} IS NOT NULL) NOT VALID; VALIDATE it in a later migration; then SET NOT NULL skips the scan.");
            }
        }
    }
}
