using static QueryLab.Tests.Compare.CompareRuns;

namespace QueryLab.Tests.Compare;

/// <summary>On GitHub Actions: the job summary gets the verdict and the regressions, the log gets annotations.</summary>
[Trait("Category", "Serverless")]
public class GitHubActionsTests
{
    [Fact]
    public async Task The_step_summary_gets_the_verdict_and_the_regressions_appended()
    {
        var candidate = With(Run(), "lookup-by-tracking-number", "ef-tracked", v => WithProfile(v, p => p with { RoundTrips = 3 }));
        using var t = TempRuns.Of(Run(), candidate);
        var summary = Path.Combine(t.Root, "step-summary.md");
        File.WriteAllText(summary, "## Build\n\nearlier step\n\n");
        var r = await t.CompareAsync(new Dictionary<string, string?> { ["GITHUB_STEP_SUMMARY"] = summary, ["GITHUB_ACTIONS"] = "true" });

        Assert.True(r.ExitCode == 1, r.All);
        var text = File.ReadAllText(summary);
        Assert.StartsWith("## Build\n\nearlier step\n\n## QueryLab compare — 20260101-120000-small-ci against 20260101-120000-small-ci", text);
        Assert.Contains("**Verdict: regression** — 1 regression (1 counter)", text);
        Assert.Contains("| lookup-by-tracking-number | ef-tracked | counter | round trips | 1 | 3 | +2 |", text);
        Assert.DoesNotContain("<details>", text); // the summary is the verdict and the regressions, not the whole comparison
        Assert.Contains("::error title=QueryLab regression%3A lookup-by-tracking-number / ef-tracked::counter round trips: 1 → 3, +2", r.Out);
    }

    [Fact]
    public async Task Warnings_become_warning_annotations_and_a_refusal_an_error()
    {
        var other = Run();
        other = other with { Machine = other.Machine with { Os = "Windows 11" } };
        using var t = TempRuns.Of(Run(), other);
        var summary = Path.Combine(t.Root, "step-summary.md");
        var env = new Dictionary<string, string?> { ["GITHUB_STEP_SUMMARY"] = summary };
        var r = await t.CompareAsync(env);

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("::warning title=QueryLab compare::the runs were on different machines (OS Ubuntu 24.04.1 LTS vs Windows 11;", r.Out);
        Assert.Contains("**Verdict: no regression**", File.ReadAllText(summary));

        t.Write(t.Candidate, Run() with { Profile = new Bench.Results.ProfileInfo("smoke", "once", "dry") });
        r = await t.CompareAsync(env);
        Assert.True(r.ExitCode == 2, r.All);
        Assert.Contains("::error title=QueryLab compare::cannot compare", r.Out);
        Assert.Contains("**Cannot compare:**", File.ReadAllText(summary));
    }
}
