using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace QueryLab.Seed.Seeding;

/// <summary>Runs pgbench against a database of the lab's server: connection options from the connection string, the password through the environment.</summary>
public static class PgbenchProcess
{
    public sealed record Result(int ExitCode, string Output, TimeSpan Elapsed)
    {
        public string LastLine => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
    }

    public static async Task<Result> RunAsync(string pgbenchPath, NpgsqlConnectionStringBuilder settings, string? password, string database, IEnumerable<string> arguments, string applicationName, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(arguments);
        var start = new ProcessStartInfo(pgbenchPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in arguments)
        {
            start.ArgumentList.Add(arg);
        }

        if (!string.IsNullOrEmpty(settings.Host))
        {
            start.ArgumentList.Add("-h");
            start.ArgumentList.Add(settings.Host);
        }

        start.ArgumentList.Add("-p");
        start.ArgumentList.Add(settings.Port.ToString(CultureInfo.InvariantCulture));
        if (!string.IsNullOrEmpty(settings.Username))
        {
            start.ArgumentList.Add("-U");
            start.ArgumentList.Add(settings.Username);
        }

        start.ArgumentList.Add(database);
        if (!string.IsNullOrEmpty(password))
        {
            start.Environment["PGPASSWORD"] = password; // never on the command line, where ps would show it
        }

        start.Environment["PGAPPNAME"] = applicationName;
        using var process = Process.Start(start) ?? throw new SeedException($"could not start {pgbenchPath}");
        var started = Stopwatch.GetTimestamp();
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        return new Result(process.ExitCode, (await stdout) + (await stderr), elapsed);
    }

    /// <summary>Drops (and, with <paramref name="create"/>, creates again) a scratch database pgbench works in (one of QueryLab's own names).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA2100", Justification = "The name is one of QueryLab's constants, checked below.")]
    public static async Task ResetDatabaseAsync(NpgsqlDataSource dataSource, string database, bool create, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        if (database is not (Seeder.PgbenchDatabase or PgbenchSelect.Database))
        {
            throw new ArgumentException($"not a scratch database of QueryLab's: {database}", nameof(database));
        }

        try
        {
            await using var conn = await dataSource.OpenConnectionAsync(ct);
            await using (var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", conn))
            {
                await drop.ExecuteNonQueryAsync(ct);
            }

            if (create)
            {
                await using var cmd = new NpgsqlCommand($"CREATE DATABASE {database}", conn);
                await cmd.ExecuteNonQueryAsync(ct);
            }
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new SeedException($"pgbench needs a role that may create databases (CREATEDB) for its scratch database {database}: {e.MessageText}", e);
        }
    }
}
