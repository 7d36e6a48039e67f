using System.Net;
using System.Net.Sockets;

namespace QueryLab.Seed.Server;

/// <summary>Ports on 127.0.0.1 for the servers the lab starts (the embedded PostgreSQL, PgBouncer).</summary>
public static class LoopbackPort
{
    /// <summary>A port the system says is free now (another process may still take it before the server binds it: callers retry).</summary>
    public static int Free()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>True when nothing listens on <paramref name="port"/> now.</summary>
    public static bool IsFree(int port)
    {
        try
        {
            using var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            l.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
