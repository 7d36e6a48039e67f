namespace QueryLab.Bench.Lab;

/// <summary>
/// A test seam, the only one: with <c>QUERYLAB_TEST_PAUSE_AT=STAGE</c> a measuring run stops at that stage and waits
/// until it is interrupted or, when <c>QUERYLAB_TEST_RESUME</c> names a file, until that file exists; at most a minute.
/// The stages are <c>report</c> (after results.json, report.md and scenarios/ are written into the temporary folder, before the rename into place) and
/// <c>profile</c> (after timing, before the first variant is profiled). Both are too short for a test to land Ctrl+C,
/// SIGTERM or a row lock in otherwise; the interrupt tests use them to prove that a run interrupted there leaves no
/// run folder that looks complete. Nothing else reads the variables.
/// </summary>
public static class TestPause
{
    public const string Variable = "QUERYLAB_TEST_PAUSE_AT";
    public const string ResumeVariable = "QUERYLAB_TEST_RESUME";

    public static async Task AtAsync(string stage, LabContext ctx, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (!string.Equals(ctx.Environment(Variable), stage, StringComparison.Ordinal))
        {
            return;
        }

        var resume = ctx.Environment(ResumeVariable);
        ctx.Out.WriteLine(resume is { Length: > 0 }
            ? $"{Variable}={stage}: paused until interrupted or until {resume} exists (at most 60 s)"
            : $"{Variable}={stage}: paused until interrupted (at most 60 s)");
        var until = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < until && !(resume is { Length: > 0 } && File.Exists(resume)))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), ct);
        }
    }
}
