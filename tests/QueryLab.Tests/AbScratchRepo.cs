using Npgsql;
using QueryLab.Seed.Server;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>
/// For the ab tests against the real server: a scratch clone of this repository (its HEAD commit) with a branch per kind of
/// base — one whose migrations differ, one whose generator makes other carriers without a new version, one whose migration
/// fails — so that `querylab ab` runs in the clone with the tests' own build as the head. Deleted at the end.
/// </summary>
public sealed class AbScratchRepo : IAsyncLifetime
{
    /// <summary>drops the unique key on tracking numbers (the head's lookups use it) and gives carriers a column the head lacks.</summary>
    public const string SchemaChange = "ab-test-schema-change";

    /// <summary>renames a carrier in the generator, keeping its version: other carriers data under the same schema and version.</summary>
    public const string GeneratorChange = "ab-test-generator-change";

    /// <summary>lacks the head's last migration: the head's change is a migration of its own, as in most pull requests.</summary>
    public const string OlderMigrations = "ab-test-older-migrations";

    /// <summary>adds a migration that fails.</summary>
    public const string BrokenMigration = "ab-test-broken-migration";

    private readonly string _root = Directory.CreateTempSubdirectory("querylab-ab-tests").FullName;

    public string Repo => Path.Combine(_root, "repo");

    /// <summary>A reports folder of its own for one test (not created).</summary>
    public string Reports(string name) => Path.Combine(_root, "reports-" + name);

    public async Task InitializeAsync()
    {
        await GitAsync(_root, "clone", "--quiet", "--no-hardlinks", LabFixture.RepoRoot, Repo);
        var start = (await GitAsync(Repo, "rev-parse", "HEAD")).Trim();

        await BranchAsync(SchemaChange, start, "a base whose migrations differ", () => File.WriteAllText(
            Path.Combine(Repo, "seed", "Migrations", "0004_ab_test_schema_change.sql"),
            "ALTER TABLE querylab.shipments DROP CONSTRAINT shipments_tracking_number_key;\nALTER TABLE querylab.carriers ADD COLUMN note text NOT NULL DEFAULT 'ab';\n"));
        await BranchAsync(GeneratorChange, start, "a generator change without a new generator version", () =>
        {
            var file = Path.Combine(Repo, "seed", "QueryLab.Seed", "Seeding", "Carriers.cs");
            var text = File.ReadAllText(file);
            var changed = text.Replace("(\"FEDEX\", \"FedEx\", \"US\"", "(\"FEDEX\", \"FedEx Corporation\", \"US\"", StringComparison.Ordinal);
            Assert.NotEqual(text, changed); // the carrier the test renames is still there
            File.WriteAllText(file, changed);
        });
        await BranchAsync(BrokenMigration, start, "a migration that fails", () => File.WriteAllText(
            Path.Combine(Repo, "seed", "Migrations", "0004_ab_test_broken.sql"),
            "CREATE INDEX ab_test_broken_idx ON querylab.no_such_table (id);\n"));
        await BranchAsync(OlderMigrations, start, "a base without the head's last migration", () =>
            File.Delete(Path.Combine(Repo, "seed", "Migrations", "0003_lab_tables_without_autovacuum.sql")));
        await GitAsync(Repo, "checkout", "--quiet", "--detach", start);
    }

    private async Task BranchAsync(string name, string start, string message, Action change)
    {
        await GitAsync(Repo, "checkout", "--quiet", "-b", name, start);
        change();
        await GitAsync(Repo, "add", "--all");
        await GitAsync(Repo, "-c", "user.name=QueryLab tests", "-c", "user.email=tests@querylab.invalid", "commit", "--quiet", "-m", message);
    }

    /// <summary>The git worktrees the clone knows: only its own once ab has cleaned up.</summary>
    public async Task<IReadOnlyList<string>> WorktreesAsync() =>
        (await GitAsync(Repo, "worktree", "list", "--porcelain")).Split('\n').Where(l => l.StartsWith("worktree ", StringComparison.Ordinal)).ToList();

    /// <summary>The ab databases on the test server (none once an ab has ended).</summary>
    public static async Task<IReadOnlyList<string>> AbDatabasesAsync(string admin)
    {
        await using var conn = new NpgsqlConnection(admin);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT datname FROM pg_database WHERE datname LIKE 'querylab\\_ab\\_%' ORDER BY 1", conn);
        var names = new List<string>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            names.Add(r.GetString(0));
        }

        return names;
    }

    private static async Task<string> GitAsync(string dir, params string[] args)
    {
        var r = await ProcessRunner.RunAsync("git", ["-C", dir, .. args]);
        Assert.True(r.Succeeded, $"git {string.Join(' ', args)}: {r.StdErr}");
        return r.StdOut;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        return Task.CompletedTask;
    }
}
