using System.CommandLine;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Load;
using QueryLab.Queries.Catalog;

namespace QueryLab.Bench.Cli;

/// <summary>
/// <c>querylab load --scenario X --clients N --duration 30s</c>: N concurrent clients run a scenario's variants, like
/// <c>pgbench -c N</c>, and report throughput, latency percentiles and failures; pool exhaustion, server connection
/// limits and connections left open are findings, not crashes. Exit 1 only when connections were left open. Its options
/// are read once into a <see cref="LoadPlan"/>.
/// </summary>
public static class LoadCommand
{
    public static readonly CheckedOption<IScenario> Scenario = new("--scenario", LoadPlan.SelectScenario, aliases: "-s")
    {
        Description = "The one scenario to load (a name, or a glob that matches exactly one).",
    };

    public static readonly Option<string?> Variant = new("--variant")
    {
        Description = "Variant name or glob (comma-separated alternatives). Default: every variant of the scenario, one after the other.",
    };

    public static readonly CheckedOption<IReadOnlyList<int>> Clients = new("--clients", LoadPlan.ParseClients)
    {
        Description = "Concurrent clients: one number, or a sweep like 1,8,32 (each count runs for the full duration). Default 1.",
    };

    public static readonly CheckedOption<TimeSpan?> Duration = new("--duration", t => LoadPlan.ParseDuration(t, "--duration", allowZero: false))
    {
        Description = "How long each (variant, clients) step is measured: 30s, 2m, 500ms, 1m30s. Default 30s.",
    };

    public static readonly CheckedOption<TimeSpan?> Warmup = new("--warmup", t => LoadPlan.ParseDuration(t, "--warmup", allowZero: true))
    {
        Description = "Warm-up before each step, not counted: a duration or 0. Default 3s.",
    };

    public static readonly CheckedOption<int?> PoolSize = new("--pool-size", t => LoadPlan.ParsePoolSize(t))
    {
        Description = "Maximum Pool Size of the data source the clients share. Default: the connection string's (Npgsql's default is 100).",
    };

    public static readonly CheckedOption<int?> PoolTimeout = new("--pool-timeout", t => LoadPlan.ParsePoolTimeout(t))
    {
        Description = "Npgsql's Timeout, whole seconds: how long a request waits for a pooled connection (or to open one) before it fails. Default: the connection string's (Npgsql's default is 15s).",
    };

    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("load", "Run a scenario's variants with N concurrent clients (like pgbench -c N) and report throughput, latency percentiles and failures.");
        cmd.Options.Add(Scenario);
        cmd.Options.Add(Variant);
        cmd.Options.Add(Clients);
        cmd.Options.Add(Duration);
        cmd.Options.Add(Warmup);
        cmd.Options.Add(PoolSize);
        cmd.Options.Add(PoolTimeout);
        cmd.Options.Add(CommonOptions.Reports);
        cmd.Options.Add(CommonOptions.Latency);
        cmd.SetAction((pr, ct) =>
        {
            var scenario = pr.GetValue(Scenario) ?? LoadPlan.SelectScenario(null);
            var plan = new LoadPlan(
                scenario,
                LoadPlan.SelectVariants(scenario, pr.GetValue(Variant)),
                pr.GetValue(Clients) ?? LoadPlan.DefaultClients,
                pr.GetValue(Duration) ?? LoadPlan.DefaultDuration,
                pr.GetValue(Warmup) ?? LoadPlan.DefaultWarmup,
                pr.GetValue(PoolSize),
                pr.GetValue(PoolTimeout));
            var reports = CommonOptions.ReportsDir(pr, ctx); // before the server is opened, as bench does
            return LoadSession.RunVerbAsync(plan, CommonOptions.ServerAtLatency(pr, ctx), reports, CommonOptions.CommandLine(pr), ctx, ct);
        });
        return cmd;
    }
}
