namespace QueryLab.Bench.Cli;

/// <summary>
/// A test seam, the only one: with <c>QUERYLAB_TEST_PAUSE_AT=report</c> a measuring run stops after writing results.json
/// (before report.md and the rename into place) and waits until it is interrupted, at most a minute. Writing the report
/// takes milliseconds, too short for a test to send Ctrl+C or SIGTERM into it otherwise; the interrupt tests use it to
/// prove that a run interrupted there leaves no run folder that looks complete. Nothing else reads the variable.
/// </summary>
public static class TestPause
{
    public const string Variable = "QUERYLAB_TEST_PAUSE_AT";

    public static async Task AtAsync(string stage, CliContext ctx, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (!string.Equals(ctx.Environment(Variable), stage, StringComparison.Ordinal))
        {
            return;
        }

        ctx.Out.WriteLine($"{Variable}={stage}: paused until interrupted (at most 60 s)");
        await Task.Delay(TimeSpan.FromSeconds(60), ct);
    }
}
