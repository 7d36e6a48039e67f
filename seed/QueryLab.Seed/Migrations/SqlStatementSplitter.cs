using System.Globalization;

namespace QueryLab.Seed.Migrations;

public enum SqlTokenKind
{
    /// <summary>An unquoted word (keyword or identifier), folded to lower case as PostgreSQL folds it.</summary>
    Word,
    /// <summary>A "quoted identifier", case kept, quotes removed.</summary>
    QuotedIdentifier,
    /// <summary>A string constant ('…', E'…', $tag$…$tag$); its text is never interpreted.</summary>
    String,
    Number,
    /// <summary>Any other single character: ( ) , . * = and so on.</summary>
    Symbol,
}

public readonly record struct SqlToken(SqlTokenKind Kind, string Text, int Line)
{
    public bool IsWord(string word) => Kind == SqlTokenKind.Word && Text == word;
    public bool IsSymbol(char c) => Kind == SqlTokenKind.Symbol && Text.Length == 1 && Text[0] == c;
}

/// <summary>One statement: its tokens (comments dropped) and the 1-based line of its first token.</summary>
public sealed record SqlStatement(int Line, IReadOnlyList<SqlToken> Tokens)
{
    /// <summary>Where the statement's first token starts in the text it was split from.</summary>
    public int Start { get; init; }

    /// <summary>Where it ends: its terminating <c>;</c> (not included), or the end of the text.</summary>
    public int End { get; init; }

    /// <summary>The statement as written (comments inside it kept), without its <c>;</c>.</summary>
    public string TextIn(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        return sql[Start..End].Trim();
    }
}

/// <summary>
/// Splits a migration's text into statements on <c>;</c> outside quotes, dollar quotes and comments.
/// A small hand-written lexer: every loop advances at least one character, so no input makes it slow.
/// </summary>
public static class SqlStatementSplitter
{
    public static IReadOnlyList<SqlStatement> Split(string sql) => Split(sql, out _);

    /// <param name="lineComments">the text of every <c>--</c> comment, without the dashes.</param>
    public static IReadOnlyList<SqlStatement> Split(string sql, out IReadOnlyList<string> lineComments)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var statements = new List<SqlStatement>();
        var comments = new List<string>();
        var tokens = new List<SqlToken>();
        var line = 1;
        var i = 0;
        var statementStart = 0;
        while (i < sql.Length)
        {
            if (tokens.Count == 0)
            {
                statementStart = i; // until the statement's first token: then this is where it starts
            }

            var c = sql[i];
            var next = i + 1 < sql.Length ? sql[i + 1] : '\0';
            if (c == '\n')
            {
                line++;
                i++;
            }
            else if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (c == '-' && next == '-')
            {
                var end = sql.IndexOf('\n', i);
                end = end < 0 ? sql.Length : end;
                comments.Add(sql[(i + 2)..end]);
                i = end;
            }
            else if (c == '/' && next == '*')
            {
                i = SkipBlockComment(sql, i, ref line);
            }
            else if (c == ';')
            {
                if (tokens.Count > 0)
                {
                    statements.Add(new SqlStatement(tokens[0].Line, tokens) { Start = statementStart, End = i });
                    tokens = [];
                }
                i++;
            }
            else if (c == '\'')
            {
                tokens.Add(new SqlToken(SqlTokenKind.String, "", line));
                i = SkipQuoted(sql, i, '\'', backslashEscapes: false, ref line, out _);
            }
            else if (c == '"')
            {
                var start = line;
                i = SkipQuoted(sql, i, '"', backslashEscapes: false, ref line, out var text);
                tokens.Add(new SqlToken(SqlTokenKind.QuotedIdentifier, text, start));
            }
            else if (c == '$' && TryDollarTag(sql, i, out var tag))
            {
                tokens.Add(new SqlToken(SqlTokenKind.String, "", line));
                var end = sql.IndexOf(tag, i + tag.Length, StringComparison.Ordinal);
                end = end < 0 ? sql.Length : end + tag.Length;
                line += CountNewlines(sql, i, end);
                i = end;
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var start = i;
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] == '_' || sql[i] == '$'))
                {
                    i++;
                }

                if (i - start == 1 && (c == 'e' || c == 'E') && i < sql.Length && sql[i] == '\'')
                {
                    // E'…' escape string: a backslash escapes the next character, quote included.
                    tokens.Add(new SqlToken(SqlTokenKind.String, "", line));
                    i = SkipQuoted(sql, i, '\'', backslashEscapes: true, ref line, out _);
                }
                else
                {
                    tokens.Add(new SqlToken(SqlTokenKind.Word, sql[start..i].ToLower(CultureInfo.InvariantCulture), line));
                }
            }
            else if (char.IsDigit(c))
            {
                var start = i;
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] == '.' || sql[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new SqlToken(SqlTokenKind.Number, sql[start..i], line));
            }
            else
            {
                tokens.Add(new SqlToken(SqlTokenKind.Symbol, c.ToString(), line));
                i++;
            }
        }

        if (tokens.Count > 0)
        {
            statements.Add(new SqlStatement(tokens[0].Line, tokens) { Start = statementStart, End = sql.Length });
        }

        lineComments = comments;
        return statements;
    }

    /// <summary>Skips a /* … */ comment; PostgreSQL lets them nest.</summary>
    private static int SkipBlockComment(string sql, int i, ref int line)
    {
        var depth = 0;
        while (i < sql.Length)
        {
            if (sql[i] == '/' && i + 1 < sql.Length && sql[i + 1] == '*')
            {
                depth++;
                i += 2;
            }
            else if (sql[i] == '*' && i + 1 < sql.Length && sql[i + 1] == '/')
            {
                depth--;
                i += 2;
                if (depth == 0)
                {
                    return i;
                }
            }
            else
            {
                if (sql[i] == '\n')
                {
                    line++;
                }

                i++;
            }
        }

        return i;
    }

    /// <summary>Skips a quoted run starting at <paramref name="i"/> (the opening quote); a doubled quote is one quote.</summary>
    private static int SkipQuoted(string sql, int i, char quote, bool backslashEscapes, ref int line, out string text)
    {
        var sb = new System.Text.StringBuilder();
        i++;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (c == '\n')
            {
                line++;
            }

            if (backslashEscapes && c == '\\' && i + 1 < sql.Length)
            {
                if (sql[i + 1] == '\n')
                {
                    line++;
                }

                sb.Append(sql[i + 1]);
                i += 2;
            }
            else if (c == quote && i + 1 < sql.Length && sql[i + 1] == quote)
            {
                sb.Append(quote);
                i += 2;
            }
            else if (c == quote)
            {
                text = sb.ToString();
                return i + 1;
            }
            else
            {
                sb.Append(c);
                i++;
            }
        }

        text = sb.ToString();
        return i;
    }

    /// <summary>A dollar quote opens with $$ or $tag$ (tag: a letter or _ then letters, digits, _); $1 is a parameter.</summary>
    private static bool TryDollarTag(string sql, int i, out string tag)
    {
        var j = i + 1;
        if (j < sql.Length && (char.IsLetter(sql[j]) || sql[j] == '_'))
        {
            while (j < sql.Length && (char.IsLetterOrDigit(sql[j]) || sql[j] == '_'))
            {
                j++;
            }
        }

        if (j < sql.Length && sql[j] == '$')
        {
            tag = sql[i..(j + 1)];
            return true;
        }

        tag = "";
        return false;
    }

    private static int CountNewlines(string sql, int from, int to)
    {
        var n = 0;
        for (var k = from; k < to; k++)
        {
            if (sql[k] == '\n')
            {
                n++;
            }
        }

        return n;
    }
}
