using System.Globalization;
using static QueryLab.Seed.Migrations.LintRules;

namespace QueryLab.Seed.Migrations;

/// <summary>
/// <c>querylab migrate --check</c>: finds statements in pending migrations that destroy data, take long
/// write-blocking locks on tables that already hold data, or would fail at run time.
/// </summary>
public static partial class MigrationLinter
{
    /// <summary>Whether the text carries the <see cref="MigrationFile.NoTransactionMarker"/> line comment.</summary>
    public static bool RunsOutsideTransaction(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        SqlStatementSplitter.Split(sql, out var comments);
        var marker = MigrationFile.NoTransactionMarker[2..].Trim();
        return comments.Any(c => c.Trim().Equals(marker, StringComparison.OrdinalIgnoreCase));
    }

    /// <param name="pending">the files to check, in the order they will run.</param>
    /// <param name="existingTables">tables ("querylab.shipments") that exist before <paramref name="pending"/> runs;
    /// a table created by a pending file counts as new from that statement on.</param>
    public static IReadOnlyList<LintFinding> Lint(IReadOnlyList<MigrationFile> pending, IReadOnlySet<string> existingTables)
    {
        ArgumentNullException.ThrowIfNull(pending);
        ArgumentNullException.ThrowIfNull(existingTables);
        var run = new Run(existingTables);
        for (var i = 0; i < pending.Count; i++)
        {
            run.LintFile(i, pending[i]);
        }

        return run.Finish();
    }

    private sealed partial class Run(IReadOnlySet<string> existingTables)
    {
        private const string NoTransactionFix =
            "Put it in its own migration file that starts with the line `" + MigrationFile.NoTransactionMarker + "`.";

        private readonly HashSet<string> _existing = existingTables
            .Select(t => t.Contains('.', StringComparison.Ordinal) ? t : SqlCursor.DefaultSchema + "." + t)
            .ToHashSet(StringComparer.Ordinal);

        private readonly HashSet<string> _created = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _createdIndexTable = new(StringComparer.Ordinal);
        private readonly HashSet<string> _notValidInFile = new(StringComparer.Ordinal);
        private readonly List<(int File, int Seq, LintFinding Finding)> _findings = [];
        private readonly List<ColumnChange> _drops = [];
        private readonly List<ColumnChange> _adds = [];
        private int _seq;
        private int _fileIndex;
        private string _file = "";
        private bool _outsideTransaction;
        private int _line;
        private int _statement;
        private bool _lockTimeoutSet;
        private bool _statementTimeoutSet;
        private bool _lockTimeoutReported;
        private bool _statementTimeoutReported;

        /// <summary>The existing table the current statement locks, and the lock's mode (for require-*-timeout).</summary>
        private (string Table, string Mode)? _locked;

        private sealed record ColumnChange(string Table, string Column, int FileIndex, string File, int Line, int Seq, int Statement);

        public void LintFile(int index, MigrationFile migration)
        {
            _fileIndex = index;
            _file = string.IsNullOrEmpty(migration.Path) ? $"{migration.Version}_{migration.Name}.sql" : Path.GetFileName(migration.Path);
            _outsideTransaction = migration.RunsOutsideTransaction;
            _notValidInFile.Clear();
            (_lockTimeoutSet, _statementTimeoutSet, _lockTimeoutReported, _statementTimeoutReported) = (false, false, false, false);
            foreach (var statement in SqlStatementSplitter.Split(migration.Sql))
            {
                _line = statement.Line;
                _statement++;
                _locked = null;
                var c = new SqlCursor(statement.Tokens);
                if (c.Accept("set"))
                {
                    Set(c);
                }
                else if (c.Accept("create"))
                {
                    Create(c);
                    CheckTimestampTypes(statement.Tokens);
                }
                else if (c.Accept("drop"))
                {
                    Drop(c);
                }
                else if (c.Accept("truncate"))
                {
                    Truncate(c);
                }
                else if (c.Accept("alter", "table"))
                {
                    AlterTable(c);
                    CheckTimestampTypes(statement.Tokens);
                }

                RequireTimeouts();
            }
        }

        public IReadOnlyList<LintFinding> Finish()
        {
            foreach (var drop in _drops)
            {
                // Later, or anywhere in the same ALTER TABLE: nothing can copy the data between the two.
                var add = _adds.FirstOrDefault(a => a.Table == drop.Table && (a.Seq > drop.Seq || a.Statement == drop.Statement));
                if (add is null)
                {
                    continue;
                }

                var where = add.File == drop.File ? "line " + add.Line.ToString(CultureInfo.InvariantCulture) : $"{add.File}:{add.Line.ToString(CultureInfo.InvariantCulture)}";
                _findings.Add((drop.FileIndex, drop.Seq, new LintFinding(DropThenAddColumn, drop.File, drop.Line,
                    $"{drop.Table} drops column {drop.Column} and adds column {add.Column} ({where}); a rename generated as drop + add destroys the column's data.",
                    $"Write ALTER TABLE {drop.Table} RENAME COLUMN {drop.Column} TO {add.Column}; instead of the drop and the add.")));
            }

            return _findings.OrderBy(f => f.File).ThenBy(f => f.Finding.Line).ThenBy(f => f.Seq).Select(f => f.Finding).ToList();
        }

        private void Report(string rule, string message, string fix) =>
            _findings.Add((_fileIndex, _seq++, new LintFinding(rule, _file, _line, message, fix)));

        private void Report(string rule, int line, LintSeverity severity, string message, string fix) =>
            _findings.Add((_fileIndex, _seq++, new LintFinding(rule, _file, line, message, fix, severity)));

        /// <summary>Advice for a file that runs outside a transaction: a statement that fails midway leaves the ones before it applied.</summary>
        private void Robust(string missing, string statement) =>
            Report(PreferRobustStmts, _line, LintSeverity.Info,
                $"{statement} without {missing} in a file that runs outside a transaction: if the file fails part way, running it again fails on this statement.",
                $"Write {statement.Split(' ')[0]} … {missing} …, so the file can be run again after a failure.");

        private void Create(SqlCursor c)
        {
            c.Accept("or", "replace");
            c.Accept("unique");
            if (c.Accept("index"))
            {
                CreateIndex(c);
                return;
            }

            _ = c.Accept("global") || c.Accept("local");
            _ = c.Accept("temporary") || c.Accept("temp") || c.Accept("unlogged");
            if (c.Accept("table") || c.Accept("materialized", "view"))
            {
                if (!c.Accept("if", "not", "exists") && _outsideTransaction)
                {
                    Robust("IF NOT EXISTS", "CREATE TABLE");
                }

                if (c.ReadQualifiedName() is { } name)
                {
                    // A foreign key to a table that exists takes SHARE ROW EXCLUSIVE on that table.
                    var referenced = c.ReferencedTables().FirstOrDefault(_existing.Contains);
                    if (referenced is not null)
                    {
                        _locked = (referenced, "SHARE ROW EXCLUSIVE");
                    }

                    _created.Add(name);
                    _existing.Remove(name);
                }
            }
        }

        private void CreateIndex(SqlCursor c)
        {
            var concurrently = c.Accept("concurrently");
            var ifNotExists = c.Accept("if", "not", "exists");
            var index = c.Is("on") ? null : c.ReadName();
            if (!ifNotExists && index is not null && _outsideTransaction)
            {
                Robust("IF NOT EXISTS", "CREATE INDEX");
            }

            if (!c.Accept("on"))
            {
                return;
            }

            c.Accept("only");
            if (c.ReadQualifiedName() is not { } table)
            {
                return;
            }

            if (index is not null)
            {
                _createdIndexTable[SchemaOf(table) + "." + index] = table;
            }

            if (_existing.Contains(table))
            {
                _locked = (table, concurrently ? "SHARE UPDATE EXCLUSIVE" : "SHARE");
            }

            if (concurrently && !_outsideTransaction)
            {
                Report(BanConcurrentIndexCreationInTransaction,
                    $"CREATE INDEX CONCURRENTLY on {table} cannot run inside a transaction block, and this file runs in one.",
                    NoTransactionFix);
            }
            else if (!concurrently && _existing.Contains(table))
            {
                Report(RequireConcurrentIndexCreation,
                    $"CREATE INDEX on existing table {table} holds a SHARE lock that blocks every write until the index is built.",
                    $"Write CREATE INDEX CONCURRENTLY … ON {table} … in a migration file that starts with `{MigrationFile.NoTransactionMarker}`.");
            }
        }

        private void Drop(SqlCursor c)
        {
            if (c.Accept("database"))
            {
                Report(BanDropDatabase, "DROP DATABASE destroys a whole database; a migration should never do it.",
                    "Drop databases by hand, outside the migrations.");
            }
            else if (c.Accept("table"))
            {
                if (!c.Accept("if", "exists") && _outsideTransaction)
                {
                    Robust("IF EXISTS", "DROP TABLE");
                }

                var dropped = new List<string>();
                foreach (var name in ReadNames(c))
                {
                    if (!_created.Remove(name))
                    {
                        dropped.Add(name);
                    }

                    _existing.Remove(name);
                }

                if (dropped.Count > 0)
                {
                    _locked = (dropped[0], "ACCESS EXCLUSIVE");
                    Report(BanDropTable,
                        $"DROP TABLE {string.Join(", ", dropped)} destroys the table and its data, and breaks code still using it.",
                        "Stop using the table in the application first, then drop it in a separate, later migration once no deployed code reads it.");
                }
            }
            else if (c.Accept("index"))
            {
                var concurrently = c.Accept("concurrently");
                if (!c.Accept("if", "exists") && _outsideTransaction)
                {
                    Robust("IF EXISTS", "DROP INDEX");
                }

                var names = ReadNames(c);
                var onOldTables = names.Where(n => !(_createdIndexTable.TryGetValue(n, out var t) && _created.Contains(t))).ToList();
                names.ForEach(n => _createdIndexTable.Remove(n));
                if (onOldTables.Count > 0)
                {
                    _locked = ("the table of " + onOldTables[0], concurrently ? "SHARE UPDATE EXCLUSIVE" : "ACCESS EXCLUSIVE");
                }

                if (concurrently && !_outsideTransaction)
                {
                    Report(ConcurrentIndexInTransaction,
                        "DROP INDEX CONCURRENTLY cannot run inside a transaction block, and this file runs in one.", NoTransactionFix);
                }
                else if (!concurrently && onOldTables.Count > 0)
                {
                    Report(RequireConcurrentIndexDeletion,
                        $"DROP INDEX {string.Join(", ", onOldTables)} takes an ACCESS EXCLUSIVE lock on its table, blocking reads and writes.",
                        $"Write DROP INDEX CONCURRENTLY … in a migration file that starts with `{MigrationFile.NoTransactionMarker}`.");
                }
            }
        }

        private void Truncate(SqlCursor c)
        {
            c.Accept("table");
            var parts = c.SplitRest();
            var cascade = parts[^1].ContainsTopLevel("cascade");
            var tables = parts.Select(p => p.Accept("only") ? p.ReadQualifiedName() : p.ReadQualifiedName())
                .OfType<string>().Where(t => !_created.Contains(t)).ToList();
            if (tables.Count == 0)
            {
                return;
            }

            var list = string.Join(", ", tables);
            if (tables.Any(_existing.Contains))
            {
                _locked = (tables.First(_existing.Contains), "ACCESS EXCLUSIVE");
            }

            if (cascade)
            {
                Report(BanTruncateCascade,
                    $"TRUNCATE {list} CASCADE also empties every table with a foreign key to it, recursively.",
                    "Name every table to empty explicitly without CASCADE, or DELETE … WHERE the rows you mean, in batches.");
            }
            else
            {
                Report(BanTruncate,
                    $"TRUNCATE {list} deletes every row under an ACCESS EXCLUSIVE lock.",
                    "DELETE … WHERE the rows you mean, in batches; a migration should not empty a table that holds data.");
            }
        }

        /// <summary>A comma-separated list of qualified names, as in DROP TABLE a, b CASCADE.</summary>
        private static List<string> ReadNames(SqlCursor c) => c.SplitRest().Select(p => p.ReadQualifiedName()).OfType<string>().ToList();

        private static string SchemaOf(string qualified) => qualified[..qualified.LastIndexOf('.')];
    }
}
