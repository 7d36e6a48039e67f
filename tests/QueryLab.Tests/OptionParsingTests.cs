using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>
/// Option values parsed by System.CommandLine with the rooms' own lookups (issue 12, item 1): --help lists the allowed
/// values from the list that answers a bad one, and a bad value is one line, exit 2, before any server is looked for.
/// </summary>
[Trait("Category", "Serverless")]
public sealed class OptionParsingTests
{
    private static readonly Dictionary<string, string?> NoServer = new() { ["QUERYLAB_CONNECTION"] = "Host=127.0.0.1;Port=1;Username=x;Password=y;Database=z" };

    [Theory]
    [InlineData("bench", "--profile <ci|release|smoke>", "[default: ci]")]
    [InlineData("seed", "--scale <medium|production|small|tiny>", "[default: small]")]
    [InlineData("compare", "--threshold-time <threshold-time>", "[default: 10%]")]
    [InlineData("calibrate", "--slowdowns <slowdowns>", "[default: 5%,10%,20%]")]
    public async Task Help_lists_the_allowed_values_and_the_default_as_written(string verb, string option, string dflt)
    {
        var r = await CliRunner.RunAsync(null, verb, "--help");

        Assert.True(r.ExitCode == 0, r.All);
        var line = Assert.Single(r.Out.Split('\n'), l => l.Contains(option, StringComparison.Ordinal));
        Assert.Contains(dflt, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bench --profile turbo", "error: unknown profile 'turbo'; available profiles are: smoke, ci, release")]
    [InlineData("run --scale huge", "error: unknown scale 'huge'; available values are: tiny, small, medium, production")]
    [InlineData("compare -b x --alpha 5%", "error: --alpha '5%' is not a significance level; give a number above 0 and at most 0.2, like 0.01 or 0.05")]
    [InlineData("load --scenario lookup-by-tracking-number --pool-size 0", "error: --pool-size '0': Maximum Pool Size must be a whole number from 1 to 10,000")]
    [InlineData("ab --base-ref HEAD --rounds x", "error: --rounds 'x' is not a whole number; give at least 1; 3 or more give the time test enough measurements")]
    public async Task A_bad_value_is_one_line_naming_the_fix_exit_2(string args, string expected)
    {
        var r = await CliRunner.RunAsync(NoServer, args.Split(' '));

        Assert.True(r.ExitCode == 2, r.All);
        Assert.Equal(expected, r.Err.Trim());
        Assert.DoesNotContain("server:", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_value_is_System_CommandLines_answer_with_where_the_options_are()
    {
        var r = await CliRunner.RunAsync(NoServer, "bench", "--profile");

        Assert.True(r.ExitCode == 2, r.All);
        Assert.EndsWith("see `querylab bench --help`", r.Err.Trim(), StringComparison.Ordinal);
    }
}
