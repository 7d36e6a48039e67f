using System.Net.Sockets;
using Npgsql;

namespace QueryLab.Seed.Server;

/// <summary>
/// Turns what Npgsql throws while connecting into one line that names the cause and the fix.
/// Branches on SqlState and socket error codes, never on message text; never prints a password.
/// </summary>
public static class ConnectionErrors
{
    public static LabException Translate(Exception ex, NpgsqlConnectionStringBuilder target)
    {
        var where = ConnectionStrings.Describe(target);
        const string fix = "fix --connection, QUERYLAB_CONNECTION or DATABASE_URL (or give none to use the embedded server)";
        switch (ex)
        {
            case PostgresException pg:
                return pg.SqlState switch
                {
                    PostgresErrorCodes.InvalidPassword => LabException.BadInput($"password authentication failed for {where}; {fix}", ex),
                    PostgresErrorCodes.InvalidAuthorizationSpecification => LabException.BadInput($"the server refused {where}: {pg.MessageText}; {fix}", ex),
                    PostgresErrorCodes.InvalidCatalogName => LabException.BadInput($"database '{target.Database}' does not exist on {target.Host}:{target.Port}; create it (createdb {target.Database}) or name another database; {fix}", ex),
                    PostgresErrorCodes.TooManyConnections => LabException.Environment($"{target.Host}:{target.Port} has no free connection slots (too many connections); close other clients or raise max_connections", ex),
                    PostgresErrorCodes.CannotConnectNow => LabException.Environment($"{target.Host}:{target.Port} is starting up or shutting down; try again in a moment", ex),
                    PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown => LabException.Environment($"the server at {target.Host}:{target.Port} shut down ({pg.SqlState}); restart it and run again", ex),
                    _ => LabException.Environment($"the server at {where} refused: {pg.SqlState} {pg.MessageText}", ex),
                };
            case NpgsqlException { InnerException: SocketException se }:
                return se.SocketErrorCode switch
                {
                    SocketError.ConnectionRefused => LabException.Environment($"nothing is listening on {target.Host}:{target.Port} (connection refused); start the server or {fix}", ex),
                    SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => LabException.Environment($"host '{target.Host}' cannot be resolved; check the host name, or {fix}", ex),
                    SocketError.TimedOut or SocketError.HostUnreachable or SocketError.NetworkUnreachable => LabException.Environment($"{target.Host}:{target.Port} is unreachable ({se.SocketErrorCode}); check the network and the host, or {fix}", ex),
                    _ => LabException.Environment($"cannot reach {target.Host}:{target.Port} ({se.SocketErrorCode}); {fix}", ex),
                };
            case NpgsqlException { InnerException: TimeoutException } or TimeoutException:
                return LabException.Environment($"no answer from {target.Host}:{target.Port} within {target.Timeout} s; check that the server runs and is reachable, or {fix}", ex);
            case NpgsqlException { InnerException: System.Security.Authentication.AuthenticationException }:
                return LabException.Environment($"TLS with {target.Host}:{target.Port} failed; check sslmode and the server's certificate", ex);
            case NpgsqlException { InnerException: null } when string.IsNullOrEmpty(target.Password) && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("PGPASSWORD")):
                // Npgsql's own "no password has been provided" carries no code; what is known is that none was given.
                return LabException.BadInput(
                    $"{where} gave no password and the server may have asked for one; put it in the URL (postgres://user:password@host/db, percent-encoded), "
                    + "the Password= keyword, PGPASSWORD or a ~/.pgpass entry — or give no connection to use the embedded server", ex);
            case NpgsqlException npg when npg.IsTransient:
                return LabException.Environment($"lost the connection to {target.Host}:{target.Port}; the server may have crashed or restarted: check its log, then run again", ex);
            default:
                return LabException.Environment($"cannot use {where}: {ex.GetType().Name}; run with --verbose for details", ex);
        }
    }
}
