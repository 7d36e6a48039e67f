using static QueryLab.Seed.Migrations.LintRules;

namespace QueryLab.Seed.Migrations;

public static partial class MigrationLinter
{
    /// <summary>SET lock_timeout / statement_timeout, the column types of CREATE and ALTER TABLE.</summary>
    private sealed partial class Run
    {
        /// <summary>SET [SESSION | LOCAL] lock_timeout | statement_timeout …: from here on the file's statements are bounded.</summary>
        private void Set(SqlCursor c)
        {
            _ = c.Accept("session") || c.Accept("local");
            var name = c.ReadName();
            if (c.AcceptSymbol('.'))
            {
                return; // a custom setting such as app.lock_timeout bounds nothing
            }

            _lockTimeoutSet |= name == "lock_timeout";
            _statementTimeoutSet |= name == "statement_timeout";
        }

        /// <summary>
        /// A statement that locks a table that already exists, with no lock_timeout (or statement_timeout) set before it in
        /// its file: reported once per file each, on the first such statement, as squawk does.
        /// </summary>
        private void RequireTimeouts()
        {
            if (_locked is not { } locked)
            {
                return;
            }

            if (!_lockTimeoutSet && !_lockTimeoutReported)
            {
                _lockTimeoutReported = true;
                Report(RequireLockTimeout,
                    $"This statement waits for a {locked.Mode} lock on {locked.Table} with no lock_timeout: while it waits behind a long transaction it holds its place in the lock queue, and every later query on the table waits behind it.",
                    "Start the file with SET lock_timeout = '1s'; and retry the migration when it times out.");
            }

            if (!_statementTimeoutSet && !_statementTimeoutReported)
            {
                _statementTimeoutReported = true;
                Report(RequireStatementTimeout,
                    $"This statement holds a {locked.Mode} lock on {locked.Table} for as long as it runs, and nothing bounds how long that is.",
                    "Start the file with SET statement_timeout = '5s'; (longer for a statement measured to need it: querylab migrate --rehearse says how long).");
            }
        }

        /// <summary>A column of type timestamp (without time zone): squawk's prefer-timestamp-tz, at the line of the type.</summary>
        private void CheckTimestampTypes(IReadOnlyList<SqlToken> tokens)
        {
            for (var k = 0; k < tokens.Count; k++)
            {
                if (!tokens[k].IsWord("timestamp") || (k > 0 && tokens[k - 1].IsWord("default")))
                {
                    continue;
                }

                var j = k + 1;
                if (j < tokens.Count && tokens[j].IsSymbol('('))
                {
                    while (j < tokens.Count && !tokens[j].IsSymbol(')'))
                    {
                        j++;
                    }

                    j++;
                }

                var withZone = j + 2 < tokens.Count && tokens[j].IsWord("with") && tokens[j + 1].IsWord("time") && tokens[j + 2].IsWord("zone");
                var literal = j < tokens.Count && tokens[j].Kind == SqlTokenKind.String;
                if (!withZone && !literal)
                {
                    Report(PreferTimestampTz, tokens[k].Line, LintSeverity.Warning,
                        "A timestamp column (without time zone) drops the UTC offset: 21:11+02 and 21:11-06 are stored as the same time, eight hours apart.",
                        "Use timestamptz (timestamp with time zone).");
                }
            }
        }
    }
}
