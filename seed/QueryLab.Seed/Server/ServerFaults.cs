using Npgsql;

namespace QueryLab.Seed.Server;

/// <summary>
/// Faults of the environment in the middle of a run, told apart from a statement that failed: the server
/// went away (crashed, killed, restarted, shut down), ran out of disk or another resource, or the local
/// disk is full. Branches on SqlState, socket/IO errors and errno, never on message text. The messages
/// never carry a password (they hold no connection string).
/// </summary>
public static class ServerFaults
{
    /// <summary>errno ENOSPC on Linux and macOS: .NET puts it in an IOException's HResult.</summary>
    public const int Enospc = 28;

    /// <summary>
    /// True when <paramref name="ex"/>, or an exception it wraps (EF Core and BenchmarkDotNet wrap), says the
    /// server or the connection failed rather than the statement: what a variant cannot be blamed for.
    /// </summary>
    public static bool IsServerFault(Exception ex) => Causes(ex).Any(IsFaultItself);

    /// <summary>The environment fault behind <paramref name="ex"/> as exit 3 with one line, or null when it is none.</summary>
    public static LabException? Translate(Exception ex)
    {
        foreach (var e in Causes(ex))
        {
            switch (e)
            {
                case PostgresException pg when IsServerGone(pg):
                    return LabException.Environment(
                        $"the PostgreSQL server shut down in the middle of the run ({pg.SqlState} {pg.MessageText}); nothing half-done was kept (writes roll back): check the server, then run again", ex);
                case PostgresException { SqlState: PostgresErrorCodes.DiskFull } pg:
                    return LabException.Environment(
                        $"the PostgreSQL server's disk is full ({pg.SqlState} {pg.MessageText}); free space on the server (or seed a smaller scale), then run again", ex);
                case PostgresException pg when pg.SqlState.StartsWith("53", StringComparison.Ordinal):
                    return LabException.Environment(
                        $"the PostgreSQL server ran out of a resource ({pg.SqlState} {pg.MessageText}); free it (memory, connections) or give the server more, then run again", ex);
                case PostgresException pg when pg.SqlState.StartsWith("58", StringComparison.Ordinal):
                    return LabException.Environment(
                        $"the PostgreSQL server had a system or I/O error ({pg.SqlState} {pg.MessageText}); check its log and its disk, then run again", ex);
                case PostgresException:
                    continue;
                case NpgsqlException { InnerException: TimeoutException } or TimeoutException:
                    return LabException.Environment(
                        "the PostgreSQL server did not answer within the command timeout in the middle of the run (it is overloaded, blocked or gone); check the server, then run again", ex);
                case NpgsqlException { IsTransient: true }:
                    return LabException.Environment(
                        "lost the connection to the PostgreSQL server in the middle of the run (it crashed, restarted or was stopped); nothing half-done was kept (writes roll back): check the server, then run again", ex);
                case IOException io when IsDiskFull(io):
                    return LabException.Environment($"the disk is full: {io.Message}; free space (or write --reports elsewhere), then run again", ex);
            }
        }

        return null;
    }

    /// <summary>ENOSPC ("No space left on device"), as .NET reports it on Unix.</summary>
    public static bool IsDiskFull(IOException io)
    {
        ArgumentNullException.ThrowIfNull(io);
        return io.HResult == Enospc;
    }

    private static bool IsFaultItself(Exception e) => e switch
    {
        PostgresException pg => IsServerGone(pg) || pg.SqlState.StartsWith("53", StringComparison.Ordinal) || pg.SqlState.StartsWith("58", StringComparison.Ordinal),
        NpgsqlException npg => npg.IsTransient,
        IOException io => IsDiskFull(io),
        _ => false,
    };

    /// <summary>57P01 admin shutdown (also sent when the postmaster died), 57P02 crash shutdown, 57P03 cannot connect now, and class 08 (connection exception).</summary>
    private static bool IsServerGone(PostgresException pg) =>
        pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
        || pg.SqlState.StartsWith("08", StringComparison.Ordinal);

    /// <summary>The exception and every exception it wraps, outermost first (the inner ones of an AggregateException too).</summary>
    public static IEnumerable<Exception> Causes(Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        var seen = new HashSet<Exception>(ReferenceEqualityComparer.Instance);
        var queue = new Queue<Exception>([ex]);
        while (queue.Count > 0)
        {
            var e = queue.Dequeue();
            if (!seen.Add(e))
            {
                continue;
            }

            yield return e;
            if (e is AggregateException agg)
            {
                foreach (var inner in agg.InnerExceptions)
                {
                    queue.Enqueue(inner);
                }
            }
            else if (e.InnerException is { } inner)
            {
                queue.Enqueue(inner);
            }
        }
    }
}
