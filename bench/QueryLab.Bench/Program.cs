using QueryLab.Bench.Cli;
using QueryLab.Bench.Lab;

using var cts = new CancellationTokenSource();
var registrations = CliApp.CancelOnSignals(cts);
try
{
    return await CliApp.RunAsync(args, LabContext.FromProcess(), cts.Token);
}
finally
{
    foreach (var r in registrations)
    {
        r.Dispose();
    }
}
