using System.Net;
using System.Net.Sockets;
using Npgsql;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>The connection forms and the one-line errors of a wrong one, through the real command line.</summary>
[Collection(LabCollection.Name)]
public sealed class CliConnectionTests(LabFixture lab)
{
    private const string Secret = "s3cr3t-Pa55word-never-printed";

    private static Dictionary<string, string?> Env(string name, string value) => new() { [name] = value };

    private NpgsqlConnectionStringBuilder Target => new(lab.ConnectionString);

    [Fact]
    public async Task Keyword_form_from_the_option_reaches_the_server()
    {
        var r = await CliRunner.RunAsync(null, "migrate", "--connection", lab.ConnectionString);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("migrations:", r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(lab.Password!, r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Url_form_from_DATABASE_URL_reaches_the_server()
    {
        var t = Target;
        var url = $"postgres://{t.Username}:{Uri.EscapeDataString(t.Password!)}@{t.Host}:{t.Port}/{t.Database}?sslmode=disable";
        var r = await CliRunner.RunAsync(Env("DATABASE_URL", url), "migrate");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"{t.Username}@{t.Host}:{t.Port}/{t.Database}", r.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(t.Password!, r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task QUERYLAB_CONNECTION_wins_over_DATABASE_URL()
    {
        var env = new Dictionary<string, string?> { ["QUERYLAB_CONNECTION"] = lab.ConnectionString, ["DATABASE_URL"] = $"postgres://nobody:{Secret}@127.0.0.1:1/nothing" };
        var r = await CliRunner.RunAsync(env, "migrate");
        Assert.Equal(0, r.ExitCode);
    }

    [Fact]
    public async Task Wrong_password_is_exit_2_with_one_line_and_no_password()
    {
        var cs = new NpgsqlConnectionStringBuilder(lab.ConnectionString) { Password = Secret }.ConnectionString;
        var r = await CliRunner.RunAsync(null, "migrate", "--connection", cs);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("password authentication failed", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, r.All, StringComparison.Ordinal);
        Assert.Single(r.Err.Trim().Split('\n'));
    }

    [Fact]
    public async Task Unknown_database_is_exit_2_naming_it()
    {
        var cs = new NpgsqlConnectionStringBuilder(lab.ConnectionString) { Database = "no_such_db" }.ConnectionString;
        var r = await CliRunner.RunAsync(null, "migrate", "--connection", cs);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("database 'no_such_db' does not exist", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refused_port_is_exit_3()
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        }

        var r = await CliRunner.RunAsync(null, "migrate", "--connection", $"Host=127.0.0.1;Port={port};Username=u;Password={Secret};Database=d");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("connection refused", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unresolvable_host_is_exit_3()
    {
        var r = await CliRunner.RunAsync(null, "migrate", "--connection", $"Host=no-such-host.invalid;Username=u;Password={Secret};Database=d;Timeout=3");
        Assert.Equal(3, r.ExitCode);
        Assert.Contains("no-such-host.invalid", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_that_accepts_but_never_answers_is_exit_3_after_the_timeout()
    {
        // The TCP handshake completes (the kernel's backlog) but no server ever speaks: a hung or firewalled server.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var r = await CliRunner.RunAsync(null, "migrate", "--connection", $"Host=127.0.0.1;Port={port};Username=u;Password={Secret};Database=d;Timeout=2");
        Assert.True(r.ExitCode == 3, r.All);
        var line = Assert.Single(r.Err.Trim().Split('\n'));
        Assert.StartsWith($"error: no answer from 127.0.0.1:{port} within 2 s; check that the server runs and is reachable", line, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, r.All, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task An_unroutable_address_is_exit_3_with_what_the_network_said()
    {
        // 192.0.2.1 is TEST-NET-1 (RFC 5737), never routed: depending on the network the connection times out, is
        // reported unreachable, or (behind a rejecting firewall, as on this sandbox) refused. Each is one line, exit 3.
        var r = await CliRunner.RunAsync(null, "migrate", "--connection", $"Host=192.0.2.1;Port=5432;Username=u;Password={Secret};Database=d;Timeout=2");
        Assert.True(r.ExitCode == 3, r.All);
        var line = Assert.Single(r.Err.Trim().Split('\n'));
        Assert.Matches("^error: (no answer from 192\\.0\\.2\\.1:5432 within 2 s|192\\.0\\.2\\.1:5432 is unreachable|cannot reach 192\\.0\\.2\\.1:5432|nothing is listening on 192\\.0\\.2\\.1:5432)", line);
        Assert.DoesNotContain(Secret, r.All, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Port=notaport;Password=" + Secret)]
    [InlineData("postgres://user:" + Secret + "@host:notaport/db")]
    [InlineData("Nonsense=1;Password=" + Secret)]
    public async Task Malformed_connection_strings_are_exit_2_and_never_echo_the_password(string cs)
    {
        var r = await CliRunner.RunAsync(null, "migrate", "--connection", cs);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error:", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_verbs_and_options_are_exit_2()
    {
        Assert.Equal(2, (await CliRunner.RunAsync(null, "frobnicate")).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync(null, "migrate", "--no-such-option")).ExitCode);
    }
}

/// <summary><c>querylab migrate --check</c> end to end: a clean set passes, a dangerous pending file fails with file, line and fix.</summary>
[Collection(LabCollection.Name)]
public sealed class CliMigrateCheckTests(LabFixture lab)
{
    [Fact]
    public async Task Check_passes_on_the_shipped_migrations_and_fails_on_a_dangerous_pending_file()
    {
        var cs = await lab.CreateDatabaseAsync("ql_cli_check");
        Assert.Equal(0, (await CliRunner.RunAsync(null, "migrate", "--connection", cs)).ExitCode);
        var clean = await CliRunner.RunAsync(null, "migrate", "--check", "--connection", cs);
        Assert.Equal(0, clean.ExitCode);

        var dir = Directory.CreateTempSubdirectory("querylab-check").FullName;
        foreach (var f in Directory.GetFiles(QueryLab.Seed.Migrations.MigrationSet.DefaultDirectory, "*.sql"))
        {
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        }

        await File.WriteAllTextAsync(Path.Combine(dir, "0090_status_rename.sql"),
            "ALTER TABLE querylab.shipments DROP COLUMN origin;\nALTER TABLE querylab.shipments ADD COLUMN origin_city varchar(100);\nCREATE INDEX shipments_origin_idx ON querylab.shipments (origin_city);\n");
        var bad = await CliRunner.RunAsync(null, "migrate", "--check", "--migrations", dir, "--connection", cs);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("0090_status_rename.sql:1: ban-drop-column", bad.Out, StringComparison.Ordinal);
        Assert.Contains("drop-then-add-column", bad.Out, StringComparison.Ordinal);
        Assert.Contains("0090_status_rename.sql:3: require-concurrent-index-creation", bad.Out, StringComparison.Ordinal);
        Assert.Contains("fix:", bad.Out, StringComparison.Ordinal);

        // For a pull request: one GitHub annotation per finding, on the file's line, named by its rule.
        var github = await CliRunner.RunAsync(null, "migrate", "--check", "--format", "github", "--migrations", dir, "--connection", cs);
        Assert.Equal(1, github.ExitCode);
        var file = Path.Combine(dir, "0090_status_rename.sql");
        Assert.Contains($"::warning file={file},line=3,title=require-concurrent-index-creation::", github.Out, StringComparison.Ordinal);
        Assert.Contains($"::warning file={file},line=1,title=require-lock-timeout::", github.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("fix:", github.Out, StringComparison.Ordinal);

        // A shipped file is annotated where the pull request has it, seed/Migrations, not the build's copy.
        var older = await lab.CreateDatabaseAsync("ql_cli_check_older");
        var first = Directory.CreateTempSubdirectory("querylab-check-first").FullName;
        foreach (var f in Directory.GetFiles(QueryLab.Seed.Migrations.MigrationSet.DefaultDirectory, "*.sql").Where(f => Path.GetFileName(f) is ['0', '0', '0', '1' or '2', '_', ..]))
        {
            File.Copy(f, Path.Combine(first, Path.GetFileName(f)));
        }

        Assert.Equal(0, (await CliRunner.RunAsync(null, "migrate", "--migrations", first, "--connection", older)).ExitCode);
        var shipped = await CliRunner.RunAsync(null, "migrate", "--check", "--format", "github", "--connection", older);
        Assert.True(shipped.Out.Contains("::warning file=seed/Migrations/0003_lab_tables_without_autovacuum.sql,line=", StringComparison.Ordinal), shipped.All);
        Assert.Contains("SHARE UPDATE EXCLUSIVE lock", shipped.Out, StringComparison.Ordinal);

        var format = await CliRunner.RunAsync(null, "migrate", "--check", "--format", "sarif", "--connection", cs);
        Assert.Equal(2, format.ExitCode);
        Assert.Contains("the formats are: text, github", format.Err, StringComparison.Ordinal);
    }
}
