using Npgsql;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Load;

/// <summary>Why a request of a load run failed, in the terms a capacity finding needs.</summary>
public enum FailureKind
{
    /// <summary>No pooled connection became free within the data source's Timeout (Npgsql: "The connection pool has been exhausted").</summary>
    PoolExhausted,

    /// <summary>The server refused a new connection: 53300 too_many_connections (max_connections, a role's or database's CONNECTION LIMIT) or 53400 configuration_limit_exceeded.</summary>
    ServerRefused,

    /// <summary>Opening a connection or a command took too long (Npgsql's Timeout or Command Timeout), or the server cancelled it (57014 statement_timeout, 55P03 lock_timeout).</summary>
    Timeout,

    /// <summary>Any other error: another SqlState (a deadlock, a serialization failure…) or a client-side exception.</summary>
    Error,

    /// <summary>Cancelled by Ctrl+C or SIGTERM while in flight.</summary>
    Interrupted,
}

/// <summary>One failure, classified: its kind, the SqlState when the server sent one, and a one-line description without secrets.</summary>
public readonly record struct Failure(FailureKind Kind, string? SqlState, string What)
{
    /// <summary>Groups failures that read the same in a report.</summary>
    public string Key => $"{Kind}|{SqlState}|{(SqlState is null ? What : "")}";
}

/// <summary>
/// Classifies a request's exception. It branches on the SqlState whenever the server sent one. Pool exhaustion has no
/// SqlState and no type of its own in Npgsql (PoolingDataSource throws a plain NpgsqlException wrapping a
/// TimeoutException), so there, and only there, the message is what tells it from a connect or command timeout.
/// EF Core and Dapper wrap Npgsql's exceptions; the chain is walked to the first Npgsql one.
/// </summary>
public static class LoadFailures
{
    private const string PoolExhaustedMessage = "The connection pool has been exhausted";

    public static Failure Classify(Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is PostgresException pg)
            {
                var what = $"{pg.SqlState} {pg.MessageText}";
                return pg.SqlState switch
                {
                    PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.ConfigurationLimitExceeded => new(FailureKind.ServerRefused, pg.SqlState, what),
                    PostgresErrorCodes.QueryCanceled or PostgresErrorCodes.LockNotAvailable => new(FailureKind.Timeout, pg.SqlState, what),
                    _ => new(FailureKind.Error, pg.SqlState, what),
                };
            }

            if (e is NpgsqlException n && n.InnerException is TimeoutException)
            {
                return n.Message.StartsWith(PoolExhaustedMessage, StringComparison.Ordinal)
                    ? new(FailureKind.PoolExhausted, null, "no pooled connection became free within Timeout")
                    : new(FailureKind.Timeout, null, OneLine(n.Message));
            }
        }

        return new(FailureKind.Error, null, $"{ex.GetType().Name}: {OneLine(ex.Message)}");
    }

    private static string OneLine(string message)
    {
        var line = ConnectionStrings.Redact(message).ReplaceLineEndings(" ").Trim();
        return line.Length <= 200 ? line : line[..200] + "…";
    }
}
