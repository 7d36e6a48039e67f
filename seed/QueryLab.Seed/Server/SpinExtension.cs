using System.Globalization;
using System.Text;
using Npgsql;

namespace QueryLab.Seed.Server;

/// <summary>
/// What <see cref="SpinExtension.PrepareAsync(LabServer, string, CancellationToken)"/> found: the absolute path of the
/// built <c>querylab_spin</c> library, or a one-line reason why this server cannot honour a server-side delay
/// (what to install or change is in it). Exactly one of the two is set.
/// </summary>
public sealed record SpinExtensionResult(string? LibraryPath, string? Unavailable)
{
    public bool IsAvailable => LibraryPath is not null;
}

/// <summary>
/// A calibration slowdown inside the server: the <c>querylab_spin</c> module (Server/Spin/querylab_spin.c), built on
/// demand against the server's own headers and loaded per connection through the startup options, makes each
/// top-level statement that runs a query busy-spin <c>querylab.spin_us</c> microseconds on the server before it runs —
/// the server's vCPU is busy as it would be for a slower query, and the client sends nothing extra (the setting
/// travels in the startup packet, so no round trip is added). Statements run inside another (function bodies,
/// triggers) do not spin again; BEGIN, COMMIT, SET and COPY … FROM STDIN do not spin; parallel workers do not spin.
/// <para>
/// Use: <c>PrepareAsync</c> once per run, then <see cref="ConnectionString"/> for each delayed variant's data source.
/// Loading a library through <c>session_preload_libraries</c> needs a superuser (or, on PostgreSQL 15+, a role granted
/// SET on that parameter) and a server on this machine that can read the file.
/// </para>
/// </summary>
public static partial class SpinExtension
{
    /// <summary>The largest spin the module accepts (1 s), in microseconds.</summary>
    public const int MaxSpinMicroseconds = 1_000_000;

    /// <summary>The per-session setting holding the spin, in microseconds.</summary>
    public const string SpinSetting = "querylab.spin_us";

    /// <summary>A read-only per-session counter of the spins done; defined only when the module is loaded.</summary>
    public const string SpinCountSetting = "querylab.spin_count";

    /// <summary>
    /// Builds (or finds cached) the module for <paramref name="server"/> and proves it loads there: one connection with
    /// the delay's startup options. The library goes to <c>&lt;home&gt;/extensions/</c>, or to
    /// <c>/var/tmp/querylab/extensions/</c> when the server's OS user cannot read the home; it is cached by the source's
    /// hash, pg_config's version and the server's version, so a second run compiles nothing.
    /// </summary>
    /// <param name="server">The run's server: the embedded one, or a local one QueryLab was given.</param>
    /// <param name="home">The lab's home (<c>.querylab/</c> or QUERYLAB_HOME).</param>
    /// <param name="ct">Cancels the build and the probe.</param>
    /// <returns>The library's absolute path, or why there is none; never throws for an environment that lacks a part.</returns>
    public static Task<SpinExtensionResult> PrepareAsync(LabServer server, string home, CancellationToken ct) =>
        PrepareAsync(server, home, SpinBuildTools.For(server), ct);

    /// <summary>As <see cref="PrepareAsync(LabServer, string, CancellationToken)"/>, with the places to find pg_config and the C compiler given.</summary>
    public static async Task<SpinExtensionResult> PrepareAsync(LabServer server, string home, SpinBuildTools tools, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(tools);
        var reason = NotLocal(server) ?? await NotPrivilegedAsync(server, ct);
        if (reason is not null)
        {
            return new SpinExtensionResult(null, reason);
        }

        var build = await BuildAsync(server, Path.GetFullPath(home), tools, ct);
        if (build.Unavailable is not null)
        {
            return build;
        }

        reason = await ProbeAsync(server, build.LibraryPath!, ct);
        return reason is null ? build : new SpinExtensionResult(null, reason);
    }

    /// <summary>
    /// <paramref name="baseConnectionString"/> with the delay in its startup options:
    /// <c>Options=-c session_preload_libraries=&lt;libraryPath&gt; -c querylab.spin_us=&lt;n&gt;</c>, appended to any options
    /// it already has (a session_preload_libraries given there is replaced). Its own pool, since it is another connection
    /// string; pooled connections keep the setting across Npgsql's reset (it is the session's default, not a SET).
    /// </summary>
    /// <param name="baseConnectionString">An Npgsql connection string (keyword form), e.g. <see cref="LabServer.Connection"/>'s.</param>
    /// <param name="libraryPath">The absolute path <see cref="PrepareAsync(LabServer, string, CancellationToken)"/> returned.</param>
    /// <param name="spinMicroseconds">0 to <see cref="MaxSpinMicroseconds"/>; 0 loads the module and spins nothing (an A/A twin).</param>
    public static string ConnectionString(string baseConnectionString, string libraryPath, int spinMicroseconds)
    {
        ArgumentNullException.ThrowIfNull(libraryPath);
        ArgumentOutOfRangeException.ThrowIfNegative(spinMicroseconds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(spinMicroseconds, MaxSpinMicroseconds);
        if (!Path.IsPathFullyQualified(libraryPath))
        {
            throw new ArgumentException($"the library path must be absolute (the server resolves it, not this process): {libraryPath}", nameof(libraryPath));
        }

        var b = new NpgsqlConnectionStringBuilder(baseConnectionString);
        var options = $"-c session_preload_libraries={EscapeOption(libraryPath)} -c {SpinSetting}={spinMicroseconds.ToString(CultureInfo.InvariantCulture)}";
        b.Options = string.IsNullOrWhiteSpace(b.Options) ? options : b.Options + " " + options;
        return b.ConnectionString;
    }

    /// <summary>The server splits the options on whitespace; a backslash keeps the next character (libpq's PGOPTIONS rule).</summary>
    private static string EscapeOption(string value)
    {
        var sb = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            if (c == '\\' || char.IsWhiteSpace(c))
            {
                sb.Append('\\');
            }

            sb.Append(c);
        }

        return sb.ToString();
    }

    private static string? NotLocal(LabServer server)
    {
        if (server.IsEmbedded)
        {
            return null;
        }

        var hosts = (server.Connection.Host ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var local = hosts.Length > 0 && hosts.All(h => h.StartsWith('/') || h.StartsWith('@') || h is "localhost" or "::1" || h.StartsWith("127.", StringComparison.Ordinal));
        return local ? null
            : $"{ConnectionStrings.Describe(server.Connection)} is not on this machine: a server-side delay loads a library built here into the server; use the embedded server (no --connection) or a local one";
    }

    private static async Task<string?> NotPrivilegedAsync(LabServer server, CancellationToken ct)
    {
        // PostgreSQL 15+ can grant SET on session_preload_libraries to a role that is not a superuser.
        var sql = server.ServerVersionNum >= 150000
            ? "SELECT rolsuper OR has_parameter_privilege(current_user, 'session_preload_libraries', 'SET') FROM pg_roles WHERE rolname = current_user"
            : "SELECT rolsuper FROM pg_roles WHERE rolname = current_user";
        try
        {
            await using var conn = new NpgsqlConnection(Unpooled(server.Connection.ConnectionString));
            await conn.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand(sql, conn);
            return await cmd.ExecuteScalarAsync(ct) is true ? null
                : $"the role '{server.Connection.Username}' is not a superuser: a server-side delay is loaded through session_preload_libraries, which needs one; connect as a superuser (or GRANT SET ON PARAMETER session_preload_libraries), or use the embedded server";
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return $"cannot check the role on {ConnectionStrings.Describe(server.Connection)}: {OneLine(ex.Message)}";
        }
    }

    /// <summary>One connection with the delay's startup options: the library loads, and its counter is there. Null when it works.</summary>
    private static async Task<string?> ProbeAsync(LabServer server, string libraryPath, CancellationToken ct)
    {
        try
        {
            await using var conn = new NpgsqlConnection(Unpooled(ConnectionString(server.Connection.ConnectionString, libraryPath, 0)));
            await conn.OpenAsync(ct);
            await using var cmd = new NpgsqlCommand($"SELECT current_setting('{SpinCountSetting}', true)", conn);
            return await cmd.ExecuteScalarAsync(ct) is string ? null
                : $"the server accepted {libraryPath} but did not load it (no {SpinCountSetting}); check session_preload_libraries on {ConnectionStrings.Describe(server.Connection)}";
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            // 42501 is both "permission denied to set parameter" and an unreadable file: the server's own words tell which.
            return $"the server refused the delay module {libraryPath} ({OneLine(ex is PostgresException pg ? pg.MessageText : ex.Message)}): "
                + $"it must run on this machine as an OS user that can read that file, and the role '{server.Connection.Username}' must be a superuser";
        }
    }

    private static string Unpooled(string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString;

    private static string OneLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
}
