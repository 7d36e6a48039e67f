using QueryLab.Bench.Results;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>
/// bench --inject-delay, --iterations and --no-profile through the real command line on the tiny dataset: a calibration
/// run is marked as one everywhere, its delay really lengthens each operation, and bad values are exit 2.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class CalibrationTests(LabFixture lab)
{
    [Fact]
    public async Task An_injected_delay_lengthens_every_operation_and_marks_the_run_as_calibration()
    {
        var reports = Directory.CreateTempSubdirectory("querylab-calibration").FullName;
        var r = await CliRunner.RunAsync(null, "bench", "--connection", lab.ConnectionString, "--reports", reports,
            "--scenario", "lookup-by-tracking-number", "--profile", "ci", "--iterations", "3", "--no-profile",
            "--inject-delay", "lookup-by-tracking-number/dapper=3ms", "--inject-at", "client");
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("injecting 3.00 ms of busy CPU in the client into every operation of lookup-by-tracking-number/dapper", r.Out, StringComparison.Ordinal);
        Assert.Contains("warmed up with", r.Out, StringComparison.Ordinal);

        var results = ResultsJson.Read(Path.Combine(reports, "latest"));
        Assert.Equal(3_000_000, results.InjectedDelaysNs!["lookup-by-tracking-number/dapper"]);
        Assert.Equal("client", results.InjectedAt);
        var variants = results.Scenarios.Single().Variants;
        var dapper = variants.Single(v => v.Name == "dapper").Timing!;
        Assert.Equal(3, dapper.MeasurementsNs.Count);
        Assert.All(dapper.MeasurementsNs, x => Assert.True(x >= 3_000_000, $"{x} ns < the 3 ms injected"));
        Assert.All(variants, v => Assert.Null(v.Profile)); // --no-profile
        Assert.True(variants.Single(v => v.Name == "npgsql-prepared").Timing!.MedianNs < 3_000_000);
        var report = await File.ReadAllTextAsync(Path.Combine(reports, "latest", "report.md"));
        Assert.Contains("**Calibration run**", report, StringComparison.Ordinal);

        // compared with a run of its own without the delay, the delay is the regression, and the calibration is said
        var plain = Directory.CreateTempSubdirectory("querylab-calibration").FullName;
        var b = await CliRunner.RunAsync(null, "bench", "--connection", lab.ConnectionString, "--reports", plain,
            "--scenario", "lookup-by-tracking-number", "--profile", "ci", "--iterations", "3", "--no-profile");
        Assert.True(b.ExitCode == 0, b.All);
        var c = await CliRunner.RunAsync(null, "compare", "--baseline", Path.Combine(plain, "latest"), "--candidate", Path.Combine(reports, "latest"));
        Assert.Contains("the candidate is a calibration run", c.All, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--iterations", "1", "--iterations must be between 2 and 1000")]
    [InlineData("--tighten", "0.9", "--tighten '0.9' is not an interval width: give the widest × raw interval to leave, upper ÷ lower, from 1.01 to 2 (e.g. 1.12), or off")]
    [InlineData("--tighten", "narrow", "--tighten 'narrow' is not an interval width")]
    [InlineData("--inject-delay", "lookup-by-tracking-number/dapper=fast", "is not scenario/variant=delay")]
    [InlineData("--inject-delay", "pending-page/dapper=5us", "no scenario 'pending-page' among those selected")]
    public async Task Bad_timing_options_are_exit_2_before_anything_runs(string option, string value, string expected)
    {
        var r = await CliRunner.RunAsync(null, "bench", "--connection", "Host=127.0.0.1;Port=1;Username=x;Password=y;Database=z",
            "--scenario", "lookup-by-tracking-number", option, value);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains(expected, r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Iterations_do_not_apply_to_the_smoke_profile()
    {
        var r = await CliRunner.RunAsync(null, "bench", "--profile", "smoke", "--iterations", "5", "--scenario", "lookup-by-tracking-number");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("does not apply to the 'smoke' profile", r.Err, StringComparison.Ordinal);
        var t = await CliRunner.RunAsync(null, "bench", "--profile", "smoke", "--tighten", "1.1", "--scenario", "lookup-by-tracking-number");
        Assert.Equal(2, t.ExitCode);
        Assert.Contains("--tighten does not apply to the 'smoke' profile", t.Err, StringComparison.Ordinal);
    }
}
