using QueryLab.Bench.Cli;

using var cts = new CancellationTokenSource();
var registrations = CliApp.CancelOnSignals(cts);
try
{
    return await CliApp.RunAsync(args, CliContext.FromProcess(), cts.Token);
}
finally
{
    foreach (var r in registrations)
    {
        r.Dispose();
    }
}
