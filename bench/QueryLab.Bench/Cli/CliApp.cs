using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using QueryLab.Bench.Exits;
using QueryLab.Bench.Lab;
using QueryLab.Seed;

namespace QueryLab.Bench.Cli;

/// <summary>
/// The <c>querylab</c> command line: wires verbs, turns expected failures into one line and an exit
/// code (README, "Exit codes"), and turns Ctrl+C and SIGTERM into cancellation.
/// </summary>
public static class CliApp
{
    public static RootCommand Build(LabContext ctx)
    {
        var root = new RootCommand("QueryLab: measure the same PostgreSQL query written with EF Core, Dapper and raw Npgsql.");
        root.Options.Add(CommonOptions.Connection);
        root.Options.Add(CommonOptions.Verbose);
        root.Subcommands.Add(ServerCommand.Create(ctx));
        root.Subcommands.Add(MigrateCommand.Create(ctx));
        root.Subcommands.Add(SeedCommand.Create(ctx));
        root.Subcommands.Add(VerifyCommand.Create(ctx));
        root.Subcommands.Add(BenchCommand.Create(ctx));
        root.Subcommands.Add(RunCommand.Create(ctx));
        root.Subcommands.Add(ReportCommand.Create(ctx));
        root.Subcommands.Add(LoadCommand.Create(ctx));
        root.Subcommands.Add(ExplainCommand.Create(ctx));
        root.Subcommands.Add(AdviseCommand.Create(ctx));
        root.Subcommands.Add(CompareCommand.Create(ctx));
        root.Subcommands.Add(BaselineCommand.Create(ctx));
        root.Subcommands.Add(AbCommand.Create(ctx));
        root.Subcommands.Add(CalibrateCommand.Create(ctx));
        root.Subcommands.Add(ScalingCommand.Create(ctx));
        root.Subcommands.Add(WorkerCommand.Create(ctx));
        root.Subcommands.Add(UpgradeCommand.Create(ctx));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, LabContext ctx, CancellationToken ct = default)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
        var root = Build(ctx);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
            {
                ctx.Err.WriteLine($"error: {e.Message}");
            }

            // A value refused by its option's own lookup already says what to write; anything else (an unknown verb or
            // option, a missing one) is answered with where the verb's options are listed.
            if (!parse.Errors.All(Refusals.IsRefusal))
            {
                ctx.Err.WriteLine($"see `{string.Join(' ', CommandPath(parse).Prepend("querylab"))} --help`");
            }

            return ExitCodes.Code(Ending.BadInput);
        }

        var verbose = parse.GetValue(CommonOptions.Verbose);
        try
        {
            return await parse.InvokeAsync(
                new InvocationConfiguration { Output = ctx.Out, Error = ctx.Err, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null },
                ct);
        }
        catch (Exception ex) when (ct.IsCancellationRequested)
        {
            // Whatever the cancelled work threw on its way out (a cancelled statement, a connection closed under it),
            // the command was interrupted: say what was left unfinished and in what state.
            ctx.Err.WriteLine(ctx.Work.Describe());
            if (verbose && ex is not OperationCanceledException)
            {
                ctx.Err.WriteLine(QueryLab.Seed.Server.ConnectionStrings.Redact(ex.ToString()));
            }

            return ExitCodes.Code(Ending.Interrupted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            var (code, message) = Failures.Describe(ex);
            ctx.Err.WriteLine($"error: {message}");
            if (verbose)
            {
                var detail = ex is LabException ? ex.InnerException : ex;
                if (detail is not null)
                {
                    ctx.Err.WriteLine(QueryLab.Seed.Server.ConnectionStrings.Redact(detail.ToString()));
                }
            }

            return (int)code;
        }
    }

    private static IEnumerable<string> CommandPath(ParseResult parse)
    {
        var names = new List<string>();
        for (var r = parse.CommandResult; r is not null && r.Parent is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
        {
            names.Insert(0, r.Command.Name);
        }

        return names;
    }

    /// <summary>Ctrl+C and SIGTERM cancel the token; a second Ctrl+C is left to the default (kill).</summary>
    public static IDisposable[] CancelOnSignals(CancellationTokenSource cts)
    {
        void Handler(PosixSignalContext c)
        {
            if (!cts.IsCancellationRequested)
            {
                c.Cancel = true;
                Console.Error.WriteLine($"{c.Signal}: stopping…");
                cts.Cancel();
            }
        }

        return [PosixSignalRegistration.Create(PosixSignal.SIGINT, Handler), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handler)];
    }
}
