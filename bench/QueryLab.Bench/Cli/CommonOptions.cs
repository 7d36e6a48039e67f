using System.CommandLine;
using QueryLab.Bench.Lab;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Cli;

/// <summary>Options every verb understands, and those several verbs share, each read once into the verb's record.</summary>
public static class CommonOptions
{
    public static readonly Option<string?> Connection = new("--connection", "-c")
    {
        Description = "The server to use: an Npgsql connection string (Host=…;Username=…;Password=…;Database=…) or a postgres:// URL. "
            + "Default: QUERYLAB_CONNECTION, then DATABASE_URL, then the embedded server.",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Print the detail behind an error (the exception chain) and more progress.",
        Recursive = true,
    };

    public static readonly Option<string?> Reports = new("--reports")
    {
        Description = "The folder runs are written to (default: the repository's reports/).",
    };

    public static readonly CheckedOption<Latency.LatencyOptions?> Latency = new("--latency", t => Bench.Latency.LatencyOptions.Parse(t, sweepAllowed: false))
    {
        Description = "Run through QueryLab's latency relay, which adds this round-trip time to every connection (half each way): 0.5ms, 2ms, 500us.",
    };

    public static readonly CheckedOption<TimeSpan?> StatementLimit = new("--statement-limit", t => Load.LoadPlan.ParseDuration(t, "--statement-limit", allowZero: false))
    {
        Description = "How long one statement of a variant may run (the server's statement_timeout): a variant that takes longer is reported as "
            + "\"did not finish within N s at this scale\" with its estimated plan, and the run goes on. Default 30s.",
    };

    /// <summary>The server as <see cref="Server"/> finds it, reached through the latency relay at --latency (verify, explain, load), under --statement-limit.</summary>
    public static ServerChoice ServerAtLatency(ParseResult pr, LabContext ctx) =>
        Limited(Server(pr, ctx), pr) with { RoundTrip = pr.GetValue(Latency)?.RoundTrips[0] };

    /// <summary><paramref name="server"/> with --statement-limit when the verb has it and it was given.</summary>
    public static ServerChoice Limited(ServerChoice server, ParseResult pr)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(pr);
        return pr.CommandResult.Command.Options.Contains(StatementLimit) && pr.GetValue(StatementLimit) is { } limit ? server with { StatementLimit = limit } : server;
    }

    /// <summary>Where the server comes from: --connection, QUERYLAB_CONNECTION, DATABASE_URL or the embedded one.</summary>
    public static ServerChoice Server(ParseResult pr, LabContext ctx)
    {
        ArgumentNullException.ThrowIfNull(pr);
        return ServerChoice.Resolve(pr.GetValue(Connection), ctx);
    }

    /// <summary>The reports folder of --reports (default the repository's reports/), checked writable before anything is opened.</summary>
    public static string ReportsDir(ParseResult pr, LabContext ctx)
    {
        ArgumentNullException.ThrowIfNull(pr);
        ArgumentNullException.ThrowIfNull(ctx);
        var dir = pr.GetValue(Reports) is { Length: > 0 } r ? Path.GetFullPath(r, ctx.WorkingDirectory) : Path.Combine(ctx.RepositoryRoot, "reports");
        Results.RunFolder.CheckWritable(dir);
        return dir;
    }

    /// <summary>The command line as a run records it: `querylab` and its arguments, passwords redacted.</summary>
    public static string CommandLine(ParseResult pr)
    {
        ArgumentNullException.ThrowIfNull(pr);
        return "querylab " + string.Join(' ', pr.Tokens.Select(t => ConnectionStrings.Redact(t.Value)));
    }
}
