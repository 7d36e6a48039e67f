using Npgsql;
using QueryLab.Seed;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Exits;

/// <summary>
/// What a failed verb prints and exits with (README, "Exit codes" and "When something goes wrong"): an expected
/// failure is its one line and its code; a fault of the environment (server gone, disk full) is
/// <see cref="Ending.Environment"/> with one line; anything else is a <see cref="Ending.Bug"/>, with the password
/// redacted. The same for every verb; the codes are <see cref="ExitCodes"/>'.
/// </summary>
public static class Failures
{
    public static (ExitCode Code, string Message) Describe(Exception ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        if (ex is LabException lab)
        {
            return (lab.Code, lab.Message);
        }

        if (ServerFaults.Translate(ex) is { } fault)
        {
            return (fault.Code, fault.Message);
        }

        var causes = ServerFaults.Causes(ex).ToList();
        if (causes.OfType<PostgresException>().FirstOrDefault() is { } pg)
        {
            return (ExitCodes.Of(Ending.Environment), $"the server refused an operation: {pg.SqlState} {ConnectionStrings.Redact(pg.MessageText)}; nothing half-done was kept (writes roll back); run again, with --verbose for the detail");
        }

        if (causes.Any(e => e is NpgsqlException or System.Net.Sockets.SocketException))
        {
            return (ExitCodes.Of(Ending.Environment), "lost the connection to the PostgreSQL server in the middle of the run (it crashed, restarted or was stopped); nothing half-done was kept (writes roll back): check the server, then run again");
        }

        return (ExitCodes.Of(Ending.Bug), $"unexpected {ex.GetType().Name}: {ConnectionStrings.Redact(ex.Message)} — a bug in QueryLab; run with --verbose and report it");
    }
}
