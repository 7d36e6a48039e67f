using System.Globalization;
using System.Text;
using Npgsql;

namespace QueryLab.Seed.Server;

/// <summary>A connection string QueryLab cannot use. The message names the problem and the fix, and never the password.</summary>
public sealed class ConnectionStringException(string message) : Exception(message);

/// <summary>
/// Reads the two forms users have: Npgsql's keywords (<c>Host=…;Username=…;Password=…</c>) and the URL form
/// (<c>postgres://user:pass@host:5432/db?sslmode=require</c>) that Node, Drizzle and Neon put in DATABASE_URL.
/// </summary>
public static partial class ConnectionStrings
{
    private const string Example = "postgres://user:password@host:5432/database";

    /// <summary>URL query parameters (libpq's names) and the Npgsql keywords they become.</summary>
    private static readonly Dictionary<string, string> UrlParameters = new(StringComparer.Ordinal)
    {
        ["sslmode"] = "SSL Mode",
        ["channel_binding"] = "Channel Binding",
        ["connect_timeout"] = "Timeout",
        ["application_name"] = "Application Name",
        ["options"] = "Options",
        ["sslrootcert"] = "Root Certificate",
        ["target_session_attrs"] = "Target Session Attributes",
    };

    private static readonly string[] SslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"];
    private static readonly string[] ChannelBindings = ["disable", "prefer", "require"];

    public static NpgsqlConnectionStringBuilder Parse(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ConnectionStringException($"The connection string is empty; give Host=…;Username=…;Password=…;Database=… or {Example}.");
        }

        value = value.Trim();
        if (SchemeLength(value) is var scheme and > 0)
        {
            var name = value[..scheme];
            if (name.Equals("postgres", StringComparison.OrdinalIgnoreCase) || name.Equals("postgresql", StringComparison.OrdinalIgnoreCase))
            {
                return ParseUrl(value[(scheme + 3)..]);
            }

            var shown = name.Length <= 20 ? $"'{name}://'" : "this scheme";
            throw new ConnectionStringException($"A connection URL with {shown} is not PostgreSQL's; write {Example} (postgresql:// works too).");
        }

        return ParseKeywords(value);
    }

    /// <summary>Redacts passwords (Password=…, Pwd=…, user:pass@, ?password=…) for printing; never throws.</summary>
    public static string Redact(string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return value ?? "";
        }

        try
        {
            return SchemeLength(value.TrimStart()) > 0 ? RedactUrl(value.TrimStart()) : RedactKeywords(value);
        }
        catch (Exception)
        {
            return "(connection string hidden)";
        }
    }

    /// <summary>"user@host:port/db" for console lines; never the password.</summary>
    public static string Describe(NpgsqlConnectionStringBuilder b)
    {
        ArgumentNullException.ThrowIfNull(b);
        var host = string.IsNullOrEmpty(b.Host) ? "(default host)" : b.Host;
        var hostPort = host.Contains(',', StringComparison.Ordinal) ? host
            : host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{b.Port.ToString(CultureInfo.InvariantCulture)}"
            : $"{host}:{b.Port.ToString(CultureInfo.InvariantCulture)}";
        var user = string.IsNullOrEmpty(b.Username) ? "(default user)" : b.Username;
        var db = string.IsNullOrEmpty(b.Database) ? "(default database)" : b.Database;
        return $"{user}@{hostPort}/{db}";
    }

    /// <summary>Length of a leading URL scheme ("postgres" in "postgres://…"), or 0 if the text does not start with one.</summary>
    private static int SchemeLength(string value)
    {
        var i = 0;
        while (i < value.Length && (char.IsAsciiLetterOrDigit(value[i]) || value[i] is '+' or '-' or '.'))
        {
            i++;
        }

        return i > 0 && char.IsAsciiLetter(value[0]) && value.AsSpan(i).StartsWith("://", StringComparison.Ordinal) ? i : 0;
    }

    private static string RedactKeywords(string value)
    {
        var probe = new NpgsqlConnectionStringBuilder();
        var sb = new StringBuilder(value);
        var afterSecret = false;
        var parts = SplitKeywords(value).ToList();
        var redact = new bool[parts.Count];
        var whole = new bool[parts.Count];
        for (var k = 0; k < parts.Count; k++)
        {
            var key = parts[k].Key;
            if (key is not null && IsSecretKey(key))
            {
                redact[k] = true;
                afterSecret = true;
            }
            else if (afterSecret && (key is null || key.Length == 0 || !probe.ContainsKey(key)))
            {
                // An unquoted password containing ';' spills into the next parts.
                redact[k] = whole[k] = true;
            }
            else
            {
                afterSecret = false;
            }
        }

        // Back to front, so the spans still to be replaced keep their offsets.
        for (var k = parts.Count - 1; k >= 0; k--)
        {
            if (redact[k])
            {
                var from = whole[k] ? parts[k].Start : parts[k].ValueStart;
                sb.Remove(from, parts[k].ValueEnd - from).Insert(from, "***");
            }
        }

        return sb.ToString();
    }

    private static NpgsqlConnectionStringBuilder ParseKeywords(string value)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(value);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException or OverflowException or KeyNotFoundException)
        {
            // Npgsql's message can echo the input; ours names the keyword and never a value.
            throw new ConnectionStringException(DiagnoseKeywords(value));
        }

        // Npgsql reads "Host=" as no host at all and fails only when opening; say so now.
        if (SplitKeywords(value).Any(p => p.Key?.ToUpperInvariant() is "HOST" or "SERVER" && string.IsNullOrWhiteSpace(p.Value)))
        {
            throw new ConnectionStringException("Host= has no value; write Host=<server name or address>, e.g. Host=localhost.");
        }

        return builder;
    }

    private static ConnectionStringException Fail(string message) => new(message);

    /// <summary>Finds the first part of a keyword string Npgsql rejected and says how to fix it, without echoing values.</summary>
    private static string DiagnoseKeywords(string value)
    {
        var probe = new NpgsqlConnectionStringBuilder();
        var afterPassword = false;
        var number = 0;
        foreach (var part in SplitKeywords(value))
        {
            number++;
            var n = number.ToString(CultureInfo.InvariantCulture);
            if (part.Key is null)
            {
                return afterPassword
                    ? "The password seems to contain ';': quote it, as Password='…' (double any ' inside)."
                    : $"Part {n} of the connection string has no '='; write keyword=value pairs separated by ';', e.g. Host=localhost;Username=postgres.";
            }

            if (part.Key.Length == 0)
            {
                return $"Part {n} of the connection string has a value but no keyword before '='; write keyword=value, e.g. Host=localhost.";
            }

            if (!probe.ContainsKey(part.Key))
            {
                return afterPassword
                    ? "The password seems to contain ';': quote it, as Password='…' (double any ' inside)."
                    : $"{ShowKeyword(part.Key)} is not an Npgsql connection string keyword; check its spelling (e.g. Host, Port, Username, Password, Database, SSL Mode).";
            }

            try
            {
                probe[part.Key] = part.Value;
            }
            catch (ArgumentException)
            {
                return $"The value of {ShowKeyword(part.Key)} is not valid for that keyword; see Npgsql's connection string parameters for what it takes.";
            }

            afterPassword = IsSecretKey(part.Key);
        }

        return "The connection string could not be read as keyword=value pairs; quote values containing ';' or quotes as Key='…' (double any ' inside).";
    }

    private static string ShowKeyword(string key) =>
        key.Length <= 40 && key.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is ' ' or '_') ? $"'{key.Trim()}'" : "A keyword";

    private static bool IsSecretKey(string key) =>
        key.Trim().ToUpperInvariant() is "PASSWORD" or "PWD" or "PSW" or "SSL PASSWORD" or "SSLPASSWORD";

    /// <summary>One part of a keyword string: its key (null if it had no '=') and its value span in the input.</summary>
    private readonly record struct KeywordPart(string? Key, string Value, int Start, int ValueStart, int ValueEnd);

    /// <summary>
    /// A tolerant reading of DbConnectionStringBuilder's grammar (key=value;…, values optionally quoted with ' or ",
    /// a doubled quote inside is one quote). Used only to diagnose and redact; Npgsql's own parser decides.
    /// </summary>
    private static IEnumerable<KeywordPart> SplitKeywords(string s)
    {
        var i = 0;
        while (i < s.Length)
        {
            if (s[i] == ';' || char.IsWhiteSpace(s[i]))
            {
                i++;
                continue;
            }

            var eq = s.IndexOf('=', i);
            var semi = s.IndexOf(';', i);
            if (eq < 0 || (semi >= 0 && semi < eq))
            {
                var end = semi < 0 ? s.Length : semi;
                yield return new KeywordPart(null, "", i, i, end);
                i = end;
                continue;
            }

            var key = s[i..eq].Trim();
            var v = eq + 1;
            while (v < s.Length && s[v] is ' ' or '\t')
            {
                v++;
            }

            var valueEnd = v;
            var sb = new StringBuilder();
            if (v < s.Length && s[v] is '\'' or '"')
            {
                var quote = s[v];
                valueEnd = v + 1;
                while (valueEnd < s.Length)
                {
                    if (s[valueEnd] == quote && valueEnd + 1 < s.Length && s[valueEnd + 1] == quote)
                    {
                        sb.Append(quote);
                        valueEnd += 2;
                    }
                    else if (s[valueEnd] == quote)
                    {
                        valueEnd++;
                        break;
                    }
                    else
                    {
                        sb.Append(s[valueEnd++]);
                    }
                }
            }
            else
            {
                valueEnd = s.IndexOf(';', v) is var sc && sc >= 0 ? sc : s.Length;
                sb.Append(s.AsSpan(v, valueEnd - v).TrimEnd());
            }

            yield return new KeywordPart(key, sb.ToString(), i, v, valueEnd);
            i = valueEnd;
        }
    }
}
