using System.Globalization;
using System.Text.RegularExpressions;

namespace QueryLab.Bench.Advice;

/// <summary>
/// An index advise proposes: a B-tree on a lab table with its key columns in order (equality columns, then range, then
/// sort keys, each with its direction), an optional partial predicate (a constant the statement tests), INCLUDE columns
/// and whether it is unique. Its name is derived from its definition, so the same index always has the same name.
/// </summary>
public sealed partial record IndexCandidate(string Table, IReadOnlyList<string> Keys, string? Predicate, IReadOnlyList<string> Include, bool Unique = false)
{
    /// <summary>The schema every lab table lives in.</summary>
    public const string Schema = "querylab";

    /// <summary><c>(shipment_id, occurred_at DESC) INCLUDE (status) WHERE (…)</c>: what follows the table name.</summary>
    public string Definition =>
        $"({string.Join(", ", Keys)})"
        + (Include.Count > 0 ? $" INCLUDE ({string.Join(", ", Include)})" : "")
        + (Predicate is null ? "" : $" WHERE {Predicate}");

    /// <summary>
    /// A name within PostgreSQL's 63 bytes: table, key columns, <c>incl</c> and the INCLUDE columns (so it never takes the
    /// name of the index it would cover), the partial predicate's gist, <c>_idx</c>.
    /// </summary>
    public string Name
    {
        get
        {
            var parts = new List<string> { Table };
            parts.AddRange(Keys.Select(k => k.Split(' ')[0]));
            if (Include.Count > 0)
            {
                parts.Add("incl");
                parts.AddRange(Include);
            }

            if (Predicate is not null)
            {
                parts.Add(PredicateGist(Predicate));
            }

            var name = string.Join('_', parts);
            const int room = 63 - 4;
            if (name.Length > room)
            {
                // Keep it unique when cut: the last 8 hex digits of a hash of the whole definition.
                var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Table + Definition)))[..8].ToLowerInvariant();
                name = name[..(room - 9)] + "_" + hash;
            }

            return name + (Unique ? "_key" : "_idx");
        }
    }

    /// <summary>
    /// The statement that builds it: inside advise's transaction plain, for a migration <c>CONCURRENTLY IF NOT EXISTS</c>; on
    /// the lab's schema, or on <paramref name="schema"/> (null: the table's name alone, for a plan from elsewhere).
    /// </summary>
    public string CreateSql(bool concurrently, string? schema = Schema) =>
        $"CREATE {(Unique ? "UNIQUE " : "")}INDEX {(concurrently ? "CONCURRENTLY IF NOT EXISTS " : "")}{Name} ON {(schema is null ? "" : schema + ".")}{Table} {Definition}";

    public override string ToString() => $"{Schema}.{Table} {Definition}";

    private static string PredicateGist(string predicate)
    {
        var literal = Quoted().Match(predicate);
        if (literal.Success)
        {
            return Slug(literal.Groups[1].Value);
        }

        var notNull = NotNull().Match(predicate);
        return notNull.Success ? notNull.Groups[1].Value + "_not_null" : "partial";
    }

    private static string Slug(string s)
    {
        var slug = NonWord().Replace(s.ToLower(CultureInfo.InvariantCulture), "_").Trim('_');
        return slug.Length == 0 ? "partial" : slug;
    }

    [GeneratedRegex(@"'((?:[^']|'')*)'")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"([a-z_][a-z0-9_]*)\)? IS NOT NULL")]
    private static partial Regex NotNull();

    [GeneratedRegex(@"[^a-z0-9]+")]
    private static partial Regex NonWord();
}
