using QueryLab.Bench.Compare;
using QueryLab.Tests.Infrastructure;
using static QueryLab.Tests.Compare.CompareRuns;

namespace QueryLab.Tests.Compare;

/// <summary>`querylab baseline save` and `compare --baseline <name>`.</summary>
[Trait("Category", "Serverless")]
public class BaselineCommandTests
{
    [Fact]
    public async Task A_saved_baseline_is_compared_with_by_name()
    {
        using var t = TempRuns.Of(Run(), With(Run(), "pending-page", "dapper", v => WithProfile(v, p => p with { Rows = 49 })));
        var save = await CliRunner.RunAsync(null, "baseline", "save", "--from", t.Baseline, "--baselines", t.Baselines);

        Assert.True(save.ExitCode == 0, save.All);
        Assert.Contains("saved baseline main: run 20260101-120000-small-ci (scale small, seed 42, profile ci, commit 0123456789ab)", save.Out);
        var saved = Path.Combine(t.Baselines, "main", "results.json");
        Assert.Equal(File.ReadAllBytes(Path.Combine(t.Baseline, "results.json")), File.ReadAllBytes(saved));
        Assert.Equal(BaselineStore.Readme, File.ReadAllText(Path.Combine(t.Baselines, "README.md")));

        var r = await CliRunner.RunAsync(null, "compare", "--baseline", "main", "--baselines", t.Baselines, "--candidate", t.Candidate);
        Assert.True(r.ExitCode == 1, r.All);
        Assert.Contains("pending-page / dapper: counter rows: 50 → 49, −1", r.Out);
        Assert.Contains($"`{saved}`", t.CompareMd);
    }

    [Fact]
    public async Task Several_runs_are_saved_as_one_baseline_with_a_round_each_and_must_be_comparable()
    {
        using var t = TempRuns.Of(Run(seed: 1), Run(seed: 2, runId: "20260102-120000-small-ci"));
        var save = await CliRunner.RunAsync(null, "baseline", "save", "--from", t.Baseline, "--from", t.Candidate, "--baselines", t.Baselines);

        Assert.True(save.ExitCode == 0, save.All);
        Assert.Contains("saved baseline main: 2 runs merged as rounds (the last 20260102-120000-small-ci)", save.Out);
        var merged = Bench.Results.ResultsJson.Read(Path.Combine(t.Baselines, "main"));
        var dapper = merged.Scenarios.Single(s => s.Name == "pending-page").Variants.Single(v => v.Name == "dapper").Timing!;
        Assert.Equal([15, 15], dapper.RoundSizes);
        Assert.Equal(30, dapper.MeasurementsNs.Count);

        // a run of another dataset cannot be one of its rounds
        var other = Path.Combine(t.Candidate, "other.json");
        File.WriteAllText(other, Bench.Results.ResultsJson.Serialize(Run() with { Dataset = Run().Dataset with { Seed = 7 } }));
        var refused = await CliRunner.RunAsync(null, "baseline", "save", "--name", "mixed", "--from", t.Baseline, "--from", other, "--baselines", t.Baselines);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("seed 42 vs 7", refused.Err, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(t.Baselines, "mixed")));
    }

    [Fact]
    public async Task Saving_again_replaces_the_baseline_and_says_which_run_it_replaced()
    {
        using var t = TempRuns.Of(Run(), Run(runId: "20260105-080000-small-ci"));
        await CliRunner.RunAsync(null, "baseline", "save", "--name", "release-1.2", "--from", t.Baseline, "--baselines", t.Baselines);
        var r = await CliRunner.RunAsync(null, "baseline", "save", "--name", "release-1.2", "--from", Path.Combine(t.Candidate, "results.json"), "--baselines", t.Baselines);

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("replaced: 20260101-120000-small-ci", r.Out);
        Assert.Contains("20260105-080000-small-ci", File.ReadAllText(Path.Combine(t.Baselines, "release-1.2", "results.json")));
        Assert.Equal(["release-1.2"], new BaselineStore(t.Baselines).Names());
    }

    [Fact]
    public async Task The_baselines_folder_can_come_from_QUERYLAB_BASELINES()
    {
        using var t = TempRuns.Of(Run(), Run());
        var env = new Dictionary<string, string?> { ["QUERYLAB_BASELINES"] = t.Baselines };
        var save = await CliRunner.RunAsync(env, "baseline", "save", "--from", t.Baseline);
        var r = await CliRunner.RunAsync(env, "compare", "--baseline", "main", "--candidate", t.Candidate);

        Assert.True(save.ExitCode == 0, save.All);
        Assert.True(r.ExitCode == 0, r.All);
    }

    [Fact]
    public async Task An_unknown_baseline_name_lists_the_saved_ones()
    {
        using var t = TempRuns.Of(Run(), Run());
        await CliRunner.RunAsync(null, "baseline", "save", "--from", t.Baseline, "--baselines", t.Baselines);
        var r = await CliRunner.RunAsync(null, "compare", "--baseline", "mian", "--baselines", t.Baselines, "--candidate", t.Candidate);

        Assert.True(r.ExitCode == 2, r.All);
        Assert.Contains($"no run folder, results.json or saved baseline called 'mian' (baselines in {t.Baselines}: main)", r.Err);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData(".hidden")]
    [InlineData("a b")]
    public async Task A_baseline_name_is_a_plain_folder_name(string name)
    {
        using var t = TempRuns.Of(Run(), Run());
        var r = await CliRunner.RunAsync(null, "baseline", "save", "--name", name, "--from", t.Baseline, "--baselines", t.Baselines);

        Assert.True(r.ExitCode == 2, r.All);
        Assert.Contains("is not a baseline name", r.Err);
        Assert.False(Directory.Exists(t.Baselines));
    }

    [Fact]
    public async Task A_corrupt_run_is_not_saved()
    {
        using var t = TempRuns.Of(Run(), Run());
        File.WriteAllText(Path.Combine(t.Baseline, "results.json"), "{\"schemaVersion\": 1, \"runId\": ");
        var r = await CliRunner.RunAsync(null, "baseline", "save", "--from", t.Baseline, "--baselines", t.Baselines);

        Assert.True(r.ExitCode == 2, r.All);
        Assert.Contains("truncated or corrupt", r.Err);
        Assert.False(File.Exists(Path.Combine(t.Baselines, "main", "results.json")));
    }

    [Fact]
    public void The_committed_baselines_README_is_the_one_the_command_writes()
    {
        Assert.Equal(BaselineStore.Readme, File.ReadAllText(Path.Combine(LabFixture.RepoRoot, "baselines", "README.md")));
    }
}
