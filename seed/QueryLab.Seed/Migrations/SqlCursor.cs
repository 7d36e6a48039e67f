namespace QueryLab.Seed.Migrations;

/// <summary>A read position over a slice of a statement's tokens, with the few moves the linter needs.</summary>
internal sealed class SqlCursor(IReadOnlyList<SqlToken> tokens, int start, int end)
{
    /// <summary>Unqualified names resolve here: QueryLab touches nothing outside its own schema.</summary>
    public const string DefaultSchema = "querylab";

    private readonly IReadOnlyList<SqlToken> _tokens = tokens;
    private readonly int _start = start;
    private readonly int _end = end;
    private int _pos = start;

    public SqlCursor(IReadOnlyList<SqlToken> tokens)
        : this(tokens, 0, tokens.Count)
    {
    }

    public bool AtEnd => _pos >= _end;

    public bool Is(string word) => !AtEnd && _tokens[_pos].IsWord(word);

    /// <summary>Moves past <paramref name="words"/> if they come next, in order; otherwise stays put.</summary>
    public bool Accept(params string[] words)
    {
        if (_pos + words.Length > _end)
        {
            return false;
        }

        for (var k = 0; k < words.Length; k++)
        {
            if (!_tokens[_pos + k].IsWord(words[k]))
            {
                return false;
            }
        }

        _pos += words.Length;
        return true;
    }

    public bool AcceptSymbol(char c)
    {
        if (AtEnd || !_tokens[_pos].IsSymbol(c))
        {
            return false;
        }

        _pos++;
        return true;
    }

    /// <summary>An identifier, unquoted (lower-cased) or quoted (kept as written); null if the next token is neither.</summary>
    public string? ReadName()
    {
        if (AtEnd || _tokens[_pos].Kind is not (SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier))
        {
            return null;
        }

        return _tokens[_pos++].Text;
    }

    /// <summary>[database.][schema.]name as "schema.name"; an unqualified name is in <see cref="DefaultSchema"/>.</summary>
    public string? ReadQualifiedName()
    {
        var parts = new List<string>();
        var name = ReadName();
        while (name is not null)
        {
            parts.Add(name);
            name = AcceptSymbol('.') ? ReadName() : null;
        }

        return parts.Count switch
        {
            0 => null,
            1 => DefaultSchema + "." + parts[0],
            _ => parts[^2] + "." + parts[^1],
        };
    }

    /// <summary>The rest of this slice split on commas outside parentheses (ALTER TABLE's action list, a name list).</summary>
    public List<SqlCursor> SplitRest(char separator = ',')
    {
        var parts = new List<SqlCursor>();
        var depth = 0;
        var from = _pos;
        for (var k = _pos; k < _end; k++)
        {
            var t = _tokens[k];
            if (t.IsSymbol('(') || t.IsSymbol('['))
            {
                depth++;
            }
            else if (t.IsSymbol(')') || t.IsSymbol(']'))
            {
                depth = Math.Max(0, depth - 1);
            }
            else if (depth == 0 && t.IsSymbol(separator))
            {
                parts.Add(new SqlCursor(_tokens, from, k));
                from = k + 1;
            }
        }

        parts.Add(new SqlCursor(_tokens, from, _end));
        _pos = _end;
        return parts;
    }

    /// <summary>Whether <paramref name="words"/> occur in sequence in the rest of the slice, outside parentheses.</summary>
    public bool ContainsTopLevel(params string[] words) => IndexOfTopLevel(words) >= 0;

    /// <summary>Position of the first top-level occurrence of <paramref name="words"/> in the rest of the slice, or -1.</summary>
    public int IndexOfTopLevel(params string[] words)
    {
        var depth = 0;
        for (var k = _pos; k < _end; k++)
        {
            var t = _tokens[k];
            if (t.IsSymbol('('))
            {
                depth++;
            }
            else if (t.IsSymbol(')'))
            {
                depth = Math.Max(0, depth - 1);
            }
            else if (depth == 0 && k + words.Length <= _end && Matches(k, words))
            {
                return k;
            }
        }

        return -1;
    }

    /// <summary>The tables named after REFERENCES anywhere in the rest of the slice (the cursor does not move).</summary>
    public IEnumerable<string> ReferencedTables()
    {
        var found = new List<string>();
        for (var k = _pos; k < _end; k++)
        {
            if (_tokens[k].IsWord("references"))
            {
                var c = new SqlCursor(_tokens, k + 1, _end);
                if (c.ReadQualifiedName() is { } t)
                {
                    found.Add(t);
                }
            }
        }

        return found;
    }

    /// <summary>The token at position <paramref name="index"/> (absolute), or null past the slice.</summary>
    public SqlToken? At(int index) => index >= _start && index < _end ? _tokens[index] : null;

    /// <summary>The token just before position <paramref name="index"/> is <paramref name="word"/>.</summary>
    public bool WordBefore(int index, string word) => index > _start && _tokens[index - 1].IsWord(word);

    private bool Matches(int at, string[] words)
    {
        for (var k = 0; k < words.Length; k++)
        {
            if (!_tokens[at + k].IsWord(words[k]))
            {
                return false;
            }
        }

        return true;
    }
}
