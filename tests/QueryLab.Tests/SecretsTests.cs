using Npgsql;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>
/// Passwords never leave QueryLab: a whole pipeline (bench, report, compare, baseline save, status, a failure with
/// --verbose) run with the password in the keyword form and in the URL form, then its console output and every
/// file it wrote grepped for the password.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class SecretsTests(LabFixture lab) : IAsyncLifetime
{
    private const string Role = "ql_secret_role";

    /// <summary>Every character that needs quoting in one form or the other: ; = in keywords, @ : / % and space in URLs.</summary>
    private const string Password = "Zq7;sec@ret=pa%ss/w:rd x~9";

    private readonly string _root = Directory.CreateTempSubdirectory("querylab-secrets-").FullName;

    public async Task InitializeAsync()
    {
        await using var conn = await lab.DataSource.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand($"DROP ROLE IF EXISTS {Role}; CREATE ROLE {Role} LOGIN SUPERUSER PASSWORD '{Password}'", conn);
        await cmd.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var conn = await lab.DataSource.OpenConnectionAsync();
        await using var cmd = new NpgsqlCommand($"DROP ROLE IF EXISTS {Role}", conn);
        await cmd.ExecuteNonQueryAsync();
        Directory.Delete(_root, recursive: true);
    }

    private NpgsqlConnectionStringBuilder Target => new(lab.ConnectionString) { Username = Role, Password = Password };

    public static TheoryData<string> Forms => new() { "keyword", "url" };

    [Theory]
    [MemberData(nameof(Forms))]
    public async Task A_whole_pipeline_never_prints_or_writes_the_password(string form)
    {
        var t = Target;
        var connection = form == "keyword"
            ? t.ConnectionString
            : $"postgres://{Role}:{Uri.EscapeDataString(Password)}@{t.Host}:{t.Port}/{Uri.EscapeDataString(t.Database!)}?sslmode=disable&application_name=querylab";
        var wrongDatabase = form == "keyword"
            ? new NpgsqlConnectionStringBuilder(t.ConnectionString) { Database = "no_such_db" }.ConnectionString
            : connection.Replace($"/{t.Database}?", "/no_such_db?", StringComparison.Ordinal);
        Assert.Contains(Password, t.ConnectionString, StringComparison.Ordinal);
        var reports = Path.Combine(_root, form, "reports");
        var baselines = Path.Combine(_root, form, "baselines");
        var console = new List<CliRunner.Result>();

        async Task<CliRunner.Result> Run(int expected, params string[] args)
        {
            var r = await CliRunner.RunAsync(null, args);
            console.Add(r);
            Assert.True(r.ExitCode == expected, string.Join(' ', args.Select(QueryLab.Seed.Server.ConnectionStrings.Redact)) + " → " + r.All);
            return r;
        }

        await Run(0, "bench", "--profile", "smoke", "--scenario", "lookup-by-tracking-number", "--connection", connection, "--reports", reports, "--verbose");
        var run = Directory.GetDirectories(reports).Single(d => !Path.GetFileName(d).StartsWith('.') && Path.GetFileName(d) != "latest");
        await Run(0, "report", run);
        await Run(0, "compare", "--baseline", Path.Combine(reports, "latest"), "--candidate", run, "--baselines", baselines);
        await Run(0, "baseline", "save", "--name", "secrets", "--from", run, "--baselines", baselines);
        await Run(0, "server", "status", "--connection", connection);
        await Run(0, "explain", "--scenario", "lookup-by-tracking-number", "--connection", connection);
        var failed = await Run(2, "verify", "--verbose", "--connection", wrongDatabase);
        Assert.Contains("no_such_db", failed.Err, StringComparison.Ordinal);

        // The run really used this role (so the password was really in play).
        Assert.Contains($"{Role}@", console[0].Out, StringComparison.Ordinal);

        var forms = new[] { Password, Uri.EscapeDataString(Password), "sec@ret=pa" };
        foreach (var r in console)
        {
            Assert.All(forms, p => Assert.DoesNotContain(p, r.All, StringComparison.Ordinal));
        }

        var files = Directory.GetFiles(Path.Combine(_root, form), "*", SearchOption.AllDirectories);
        Assert.Contains(files, f => f.EndsWith("results.json", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith("compare.md", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith(Path.Combine("secrets", "results.json"), StringComparison.Ordinal));
        foreach (var f in files)
        {
            var text = await File.ReadAllTextAsync(f);
            Assert.All(forms, p => Assert.False(text.Contains(p, StringComparison.Ordinal), $"{f} holds the password"));
        }
    }
}
