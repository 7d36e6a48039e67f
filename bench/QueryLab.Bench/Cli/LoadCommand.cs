using System.CommandLine;
using QueryLab.Bench.Exits;
using QueryLab.Bench.Load;
using QueryLab.Seed;

namespace QueryLab.Bench.Cli;

/// <summary>
/// <c>querylab load --scenario X --clients N --duration 30s</c>: N concurrent clients run a scenario's variants, like
/// <c>pgbench -c N</c>, and report throughput, latency percentiles and failures; pool exhaustion, server connection
/// limits and connections left open are findings, not crashes. Exit 1 only when connections were left open.
/// </summary>
public static class LoadCommand
{
    public static readonly Option<string?> Scenario = new("--scenario", "-s")
    {
        Description = "The one scenario to load (a name, or a glob that matches exactly one).",
    };

    public static readonly Option<string?> Variant = new("--variant")
    {
        Description = "Variant name or glob (comma-separated alternatives). Default: every variant of the scenario, one after the other.",
    };

    public static readonly Option<string?> Clients = new("--clients")
    {
        Description = "Concurrent clients: one number, or a sweep like 1,8,32 (each count runs for the full duration). Default 1.",
    };

    public static readonly Option<string?> Duration = new("--duration")
    {
        Description = "How long each (variant, clients) step is measured: 30s, 2m, 500ms, 1m30s. Default 30s.",
    };

    public static readonly Option<string?> Warmup = new("--warmup")
    {
        Description = "Warm-up before each step, not counted: a duration or 0. Default 3s.",
    };

    public static readonly Option<string?> PoolSize = new("--pool-size")
    {
        Description = "Maximum Pool Size of the data source the clients share. Default: the connection string's (Npgsql's default is 100).",
    };

    public static readonly Option<string?> PoolTimeout = new("--pool-timeout")
    {
        Description = "Npgsql's Timeout, whole seconds: how long a request waits for a pooled connection (or to open one) before it fails. Default: the connection string's (Npgsql's default is 15s).",
    };

    public static Command Create(CliContext ctx)
    {
        var cmd = new Command("load", "Run a scenario's variants with N concurrent clients (like pgbench -c N) and report throughput, latency percentiles and failures.");
        cmd.Options.Add(Scenario);
        cmd.Options.Add(Variant);
        cmd.Options.Add(Clients);
        cmd.Options.Add(Duration);
        cmd.Options.Add(Warmup);
        cmd.Options.Add(PoolSize);
        cmd.Options.Add(PoolTimeout);
        cmd.Options.Add(BenchCommand.Reports);
        cmd.Options.Add(BenchCommand.SingleLatency);
        cmd.SetAction(async (pr, ct) =>
        {
            var plan = LoadPlan.Parse(
                pr.GetValue(Scenario),
                pr.GetValue(Variant),
                pr.GetValue(Clients),
                pr.GetValue(Duration),
                pr.GetValue(Warmup),
                pr.GetValue(PoolSize),
                pr.GetValue(PoolTimeout));
            Results.RunFolder.CheckWritable(BenchCommand.ReportsDir(pr, ctx)); // before the server is opened, as bench does
            var latency = Latency.LatencyOptions.Parse(pr.GetValue(BenchCommand.SingleLatency), sweepAllowed: false);
            var choice = ServerChoice.Resolve(pr.GetValue(CommonOptions.Connection), ctx);
            await using var lab = LabPipeline.At(await LabPipeline.OpenAsync(choice, ctx, seed: null, ct), latency, ctx);
            var command = "querylab " + string.Join(' ', pr.Tokens.Select(t => Seed.Server.ConnectionStrings.Redact(t.Value)));
            var outcome = await new LoadSession(lab, ctx, plan, BenchCommand.ReportsDir(pr, ctx), command).RunAsync(ct);
            ctx.Out.WriteLine($"load: {Path.Combine(outcome.RunFolder, "load.md")}");
            var leaked = outcome.Results.Findings.Any(f => f.Code == Findings.FindingCodes.LeakedConnections);
            return ExitCodes.Code(ExitCodes.If(leaked, Ending.ConnectionsLeftOpen));
        });
        return cmd;
    }
}
