using Npgsql;

namespace QueryLab.Seed.Server;

// Minimal placeholder: replaced by the full parser on the `lint` branch at merge.
public static class ConnectionStrings
{
    public static NpgsqlConnectionStringBuilder Parse(string value)
    {
        try
        {
            return new NpgsqlConnectionStringBuilder(value);
        }
        catch (ArgumentException)
        {
            throw new ConnectionStringException("the connection string is malformed; use Host=…;Username=…;Password=…;Database=… or postgres://user:pass@host:port/db");
        }
    }

    public static string Redact(string value) => value;

    public static string Describe(NpgsqlConnectionStringBuilder b) =>
        $"{b.Username}@{b.Host}:{b.Port}/{b.Database}";
}

public sealed class ConnectionStringException(string message) : Exception(message);
