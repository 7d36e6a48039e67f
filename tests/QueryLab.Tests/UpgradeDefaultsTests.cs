using QueryLab.Bench.Upgrade;

namespace QueryLab.Tests;

/// <summary>The upgrade lab's pure parts: which defaults differ between two majors, and the ANALYZE target that reads every row.</summary>
[Trait("Category", "Serverless")]
public sealed class UpgradeDefaultsTests
{
    private static ServerSetting S(string name, string boot, string value, string category = "Resource Usage / Memory", string? unit = null) => new(name, boot, value, unit, category);

    [Fact]
    public void Defaults_that_differ_are_changed_added_or_removed_planner_ones_first_and_the_build_is_left_out()
    {
        var older = new[]
        {
            S("work_mem", "4096", "16384", unit: "kB"),
            S("jit", "on", "on", "Query Tuning / Other Planner Options"),
            S("old_thing", "off", "off"),
            S("server_version", "15.20", "15.20"),
            S("data_directory", "", "/a"),
        }.ToDictionary(s => s.Name);
        var newer = new[]
        {
            S("work_mem", "4096", "16384", unit: "kB"),
            S("jit", "off", "on", "Query Tuning / Other Planner Options"),
            S("new_thing", "on", "on"),
            S("server_version", "18.4", "18.4"),
            S("data_directory", "", "/b"),
        }.ToDictionary(s => s.Name);

        var d = ServerDefaults.Differences(older, newer);

        Assert.Equal(["jit", "new_thing", "old_thing"], d.Select(x => x.Name));
        Assert.Equal(("changed", "on", "off", true), (d[0].Kind, d[0].Older, d[0].Newer, d[0].Planner));
        Assert.Equal(("added", null, false), (d[1].Kind, d[1].Older, d[1].Planner));
        Assert.Equal(("removed", (string?)null), (d[2].Kind, d[2].Newer));
    }

    [Fact]
    public void The_lab_settings_are_checked_to_have_taken_the_same_value()
    {
        var a = new Dictionary<string, ServerSetting> { ["work_mem"] = S("work_mem", "4096", "16384") };
        var b = new Dictionary<string, ServerSetting> { ["work_mem"] = S("work_mem", "4096", "4096") };

        Assert.Empty(ServerDefaults.LabDifferences(a, a));
        Assert.Equal(["work_mem: 16384 vs 4096"], ServerDefaults.LabDifferences(a, b));
    }

    [Theory]
    [InlineData(0L, 100)]
    [InlineData(30_000L, 100)]
    [InlineData(30_001L, 101)]
    [InlineData(576_000L, 1920)]
    [InlineData(3_000_000L, 10_000)]
    [InlineData(58_000_000L, 10_000)]
    public void The_statistics_target_reads_every_row_up_to_PostgreSQLs_largest(long rows, int target)
    {
        Assert.Equal(target, FullStatistics.TargetFor(rows));
        Assert.True(rows > 3_000_000 || 300L * target >= rows);
    }
}
