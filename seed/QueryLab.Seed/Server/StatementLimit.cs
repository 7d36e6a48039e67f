using System.Globalization;
using Npgsql;

namespace QueryLab.Seed.Server;

/// <summary>
/// The per-statement limit of a measuring run: every statement a variant sends runs under the server's
/// <c>statement_timeout</c>, so a variant too slow for the scale is stopped by the server (SQLSTATE 57014, the
/// connection stays usable) and reported as "did not finish within N s at this scale" instead of being taken for a
/// server that stopped answering. Npgsql's own Command Timeout is set above the limit, so the server always speaks
/// first; a client-side timeout still means the server did not answer (<see cref="ServerFaults"/>, exit 3).
/// </summary>
public static class StatementLimit
{
    /// <summary>The limit when none is given: a statement of an OLTP scenario that takes 30 s is a result, not a wait.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);

    /// <summary>What Npgsql's Command Timeout adds to the limit, so the server's cancellation arrives first.</summary>
    public static readonly TimeSpan ClientMargin = TimeSpan.FromSeconds(15);

    /// <summary>The smallest limit accepted: below it the server's own scheduling decides, not the statement.</summary>
    public static readonly TimeSpan Minimum = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// <paramref name="connectionString"/> with <c>-c statement_timeout=…</c> appended to its startup options (its own
    /// pool, since it is another connection string; the setting is the session's default, so Npgsql's reset keeps it)
    /// and a Command Timeout of at least the limit plus <see cref="ClientMargin"/>.
    /// </summary>
    public static string Apply(string connectionString, TimeSpan limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, Minimum);
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        var option = "-c statement_timeout=" + Milliseconds(limit).ToString(CultureInfo.InvariantCulture);
        b.Options = string.IsNullOrWhiteSpace(b.Options) ? option : b.Options + " " + option;
        var client = (int)Math.Ceiling((limit + ClientMargin).TotalSeconds);
        if (b.CommandTimeout != 0 && b.CommandTimeout < client)
        {
            b.CommandTimeout = client;
        }

        return b.ConnectionString;
    }

    /// <summary>The limit in whole milliseconds, as <c>statement_timeout</c> takes it (at least 1).</summary>
    public static long Milliseconds(TimeSpan limit) => Math.Max(1, (long)Math.Ceiling(limit.TotalMilliseconds));

    /// <summary>
    /// True when the server cancelled a statement of <paramref name="ex"/> (57014 query_canceled, wrapped or not).
    /// The caller tells it apart from an interrupt of its own by its cancellation token: under a statement limit, a
    /// 57014 that no interrupt asked for is the limit.
    /// </summary>
    public static bool IsExceeded(Exception ex) =>
        ServerFaults.Causes(ex).Any(e => e is PostgresException { SqlState: PostgresErrorCodes.QueryCanceled });

    /// <summary>The limit as a person reads it: 30 s, 1.5 s, 200 ms.</summary>
    public static string Display(TimeSpan limit) =>
        limit >= TimeSpan.FromSeconds(1)
            ? limit.TotalSeconds.ToString(limit.TotalSeconds % 1 == 0 ? "0" : "0.###", CultureInfo.InvariantCulture) + " s"
            : Milliseconds(limit).ToString(CultureInfo.InvariantCulture) + " ms";
}
