using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>Three answers of the command line that were wrong (issue "the house"), each now refused in one line, exit 2.</summary>
[Collection(LabCollection.Name)]
public sealed class CliAnswersTests(LabFixture lab)
{
    [Fact]
    public async Task An_empty_scenario_pattern_is_refused_instead_of_running_the_whole_catalog()
    {
        var r = await CliRunner.RunAsync(null, "bench", "--connection", lab.ConnectionString, "--scenario", "", "--profile", "smoke");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--scenario is empty", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("verify:", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_url_without_a_password_says_where_one_can_be_given()
    {
        var b = new Npgsql.NpgsqlConnectionStringBuilder(lab.ConnectionString);
        var url = $"postgres://{b.Username}@{b.Host}:{b.Port}/{b.Database}";

        var r = await CliRunner.RunAsync(new Dictionary<string, string?> { ["PGPASSWORD"] = null }, "verify", "--connection", url);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("gave no password", r.Err, StringComparison.Ordinal);
        Assert.Contains("PGPASSWORD", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_migrations_folder_that_does_not_exist_is_bad_input()
    {
        var r = await CliRunner.RunAsync(null, "migrate", "--connection", lab.ConnectionString, "--migrations", "/nonexistent-querylab-migrations");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--migrations /nonexistent-querylab-migrations: no such folder", r.Err, StringComparison.Ordinal);
    }
}
