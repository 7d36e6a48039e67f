using System.Globalization;
using System.Text;
using Npgsql;

namespace QueryLab.Seed.Server;

/// <summary>The URL form: postgres://user:password@host:port/database?param=value.</summary>
public static partial class ConnectionStrings
{
    /// <summary>The URL form after "scheme://": [user[:password]@]host[:port][,host[:port]…][/database][?param=value&amp;…].</summary>
    private static NpgsqlConnectionStringBuilder ParseUrl(string rest)
    {
        if (rest.Contains('#', StringComparison.Ordinal))
        {
            throw Fail("The URL contains '#'; percent-encode it as %23 (in a password too).");
        }

        var q = rest.IndexOf('?', StringComparison.Ordinal);
        var main = q < 0 ? rest : rest[..q];
        var query = q < 0 ? "" : rest[(q + 1)..];
        var at = main.LastIndexOf('@');
        if ((at < 0 && query.Contains('@', StringComparison.Ordinal)) || (at >= 0 && main[..at].Contains('/', StringComparison.Ordinal)))
        {
            throw Fail("The user name or password in the URL contains a raw '/', '?' or '@'; percent-encode them (%2F, %3F, %40).");
        }

        var builder = new NpgsqlConnectionStringBuilder();
        if (at >= 0)
        {
            var userInfo = main[..at];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            var user = Decode(colon < 0 ? userInfo : userInfo[..colon], "user name");
            if (user.Length > 0)
            {
                builder.Username = user;
            }

            if (colon >= 0)
            {
                builder.Password = Decode(userInfo[(colon + 1)..], "password");
            }
        }

        var hostAndPath = main[(at + 1)..];
        var slash = hostAndPath.IndexOf('/', StringComparison.Ordinal);
        var hosts = (slash < 0 ? hostAndPath : hostAndPath[..slash]).Split(',').Select(ParseHost).ToList();
        builder.Host = hosts.Count == 1 ? hosts[0].Host : string.Join(',', hosts.Select(h => h.Port is null ? h.Bracketed : $"{h.Bracketed}:{h.Port}"));
        builder.Port = hosts.Count == 1 && hosts[0].Port is { } port ? port : 5432;
        var database = slash < 0 ? "" : hostAndPath[(slash + 1)..];
        if (database.Contains('/', StringComparison.Ordinal))
        {
            throw Fail($"The database name in the URL contains '/'; percent-encode it as %2F, as in {Example}.");
        }

        if (database.Length > 0)
        {
            builder.Database = Decode(database, "database name");
        }

        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Decode(eq < 0 ? pair : pair[..eq], "query parameter");
            var shown = key.Length <= 40 && key.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_') ? $"'{key}'" : "a query parameter";
            if (!UrlParameters.TryGetValue(key, out var keyword))
            {
                throw Fail($"Unknown URL query parameter {shown}; the ones QueryLab maps to Npgsql are: {string.Join(", ", UrlParameters.Keys)}.");
            }

            if (eq < 0)
            {
                throw Fail($"The URL query parameter {shown} has no value; write {key}=<value>.");
            }

            SetUrlParameter(builder, key, keyword, Decode(pair[(eq + 1)..], "query parameter"));
        }

        return builder;
    }

    private static void SetUrlParameter(NpgsqlConnectionStringBuilder builder, string key, string keyword, string value)
    {
        var allowed = key switch
        {
            "sslmode" => SslModes,
            "channel_binding" => ChannelBindings,
            "target_session_attrs" => ["any", "read-write", "read-only", "primary", "standby", "prefer-primary", "prefer-standby"],
            _ => null,
        };
        if (allowed is not null && !allowed.Contains(value, StringComparer.OrdinalIgnoreCase))
        {
            throw Fail($"The URL's {key} is not one of: {string.Join(", ", allowed)}.");
        }

        if (key == "connect_timeout" && !(int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0))
        {
            throw Fail("The URL's connect_timeout is not a whole number of seconds; write e.g. connect_timeout=10.");
        }

        try
        {
            // Npgsql's enum names have no dashes: verify-full is VerifyFull.
            builder[keyword] = key is "sslmode" or "channel_binding" ? value.Replace("-", "", StringComparison.Ordinal) : value;
        }
        catch (ArgumentException)
        {
            throw Fail($"Npgsql does not accept the URL's {key} value; check it against the PostgreSQL documentation for {key}.");
        }
    }

    private readonly record struct UrlHost(string Host, int? Port)
    {
        public string Bracketed => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host;
    }

    private static UrlHost ParseHost(string item)
    {
        string host;
        string? port = null;
        if (item.StartsWith('['))
        {
            var close = item.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || (close + 1 < item.Length && item[close + 1] != ':'))
            {
                throw Fail("An IPv6 host in the URL is not written [address] or [address]:port, e.g. postgres://user@[::1]:5432/db.");
            }

            host = item[1..close];
            port = close + 1 < item.Length ? item[(close + 2)..] : null;
        }
        else
        {
            var colon = item.IndexOf(':', StringComparison.Ordinal);
            if (colon >= 0 && item.IndexOf(':', colon + 1) >= 0)
            {
                throw Fail("The URL's host has several ':'; write an IPv6 address in brackets, e.g. postgres://user@[::1]:5432/db.");
            }

            host = colon < 0 ? item : item[..colon];
            port = colon < 0 ? null : item[(colon + 1)..];
        }

        host = Decode(host, "host");
        if (host.Length == 0)
        {
            throw Fail($"The URL has no host; write {Example}.");
        }

        if (port is null)
        {
            return new UrlHost(host, null);
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
        {
            throw Fail("The URL's port is not a number from 1 to 65535; write host:5432, or leave the port out for 5432.");
        }

        return new UrlHost(host, number);
    }

    /// <summary>Strict percent-decoding (UTF-8): a '%' must be followed by two hex digits; '+' stays '+'.</summary>
    private static string Decode(string text, string what)
    {
        if (!text.Contains('%', StringComparison.Ordinal))
        {
            return text;
        }

        var bytes = new List<byte>(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            var pct = text.IndexOf('%', i);
            var end = pct < 0 ? text.Length : pct;
            bytes.AddRange(Encoding.UTF8.GetBytes(text[i..end]));
            if (pct < 0)
            {
                break;
            }

            if (pct + 2 >= text.Length || !char.IsAsciiHexDigit(text[pct + 1]) || !char.IsAsciiHexDigit(text[pct + 2]))
            {
                throw Fail($"The {what} in the URL has a '%' not followed by two hex digits; write a literal % as %25.");
            }

            bytes.Add(byte.Parse(text.AsSpan(pct + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            i = pct + 3;
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static string RedactUrl(string value)
    {
        var start = value.IndexOf("://", StringComparison.Ordinal) + 3;
        var q = value.IndexOf('?', start);
        var at = q > start ? value.LastIndexOf('@', q - 1, q - start) : -1;
        at = at >= start ? at : value.LastIndexOf('@');
        var colon = at >= start ? value.IndexOf(':', start, at - start) : -1;
        if (colon >= 0)
        {
            value = string.Concat(value.AsSpan(0, colon + 1), "***", value.AsSpan(at));
        }

        q = value.IndexOf('?', Math.Max(start, value.LastIndexOf('@') + 1));
        if (q < 0)
        {
            return value;
        }

        var query = value[(q + 1)..].Split('&').Select(p =>
        {
            var eq = p.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? p : p[..eq];
            return eq >= 0 && key.ToUpperInvariant() is "PASSWORD" or "SSLPASSWORD" ? key + "=***" : p;
        });
        return value[..(q + 1)] + string.Join('&', query);
    }
}
