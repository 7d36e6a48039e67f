using System.Text.Json;
using Npgsql;
using QueryLab.Bench.Scaling;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>
/// `querylab scaling` against the real server: a database per scale, seeded once and reused, the catalog measured on each,
/// and the growth of each variant. The verdicts asserted are on counters (rows processed, rows returned), which do not
/// depend on the machine's speed; times are only checked to be there.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class ScalingTests(LabFixture lab) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("querylab-scaling").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // a temp folder left behind is harmless
        }
    }

    [Fact]
    public async Task OFFSET_paging_grows_faster_than_its_answer_and_keyset_does_not_and_a_second_run_reuses_the_seeded_scales()
    {
        var first = await CliRunner.RunAsync(null, "scaling", "--scales", "tiny,small", "--scenario", "pending-deep-page", "--profile", "smoke", "--connection", lab.ConnectionString, "--reports", _root);

        Assert.True(first.ExitCode == 0, first.All);
        Assert.DoesNotContain(lab.Password!, first.All, StringComparison.Ordinal);
        var folder = Assert.Single(Directory.GetDirectories(_root), d => !Path.GetFileName(d).StartsWith('.'));
        var json = ScalingResults.Read(await File.ReadAllTextAsync(Path.Combine(folder, "scaling.json")));
        Assert.Equal(["tiny", "small"], json.Scales.Select(s => s.Scale));
        Assert.Equal(["querylab_scale_tiny", "querylab_scale_small"], json.Scales.Select(s => s.Database));
        Assert.All(json.Scales, s => Assert.True(File.Exists(Path.Combine(folder, s.RunFolder, "results.json")), s.RunFolder));
        var variants = Assert.Single(json.Scenarios).Variants.ToDictionary(v => v.Name);
        foreach (var offset in new[] { "npgsql-offset", "dapper-offset", "ef-offset" })
        {
            // tiny holds one page of pending shipments, small 99: the OFFSET reads through the pages before it, the answer stays a page.
            Assert.True(variants[offset].Work > 0.5, $"{offset}: work exponent {variants[offset].Work}");
            Assert.Equal(0, variants[offset].Result!.Value, 2);
            Assert.StartsWith("its cost grows faster than its answer", variants[offset].Finding, StringComparison.Ordinal);
        }

        foreach (var keyset in new[] { "npgsql-keyset", "dapper-keyset", "ef-keyset" })
        {
            Assert.Null(variants[keyset].Finding);
            Assert.InRange(variants[keyset].Work!.Value, -0.1, 0.1);
        }

        Assert.All(variants.Values, v => Assert.Equal(2, v.Points.Count(p => p.MedianNs is > 0)));
        var md = await File.ReadAllTextAsync(Path.Combine(folder, "scaling.md"));
        Assert.Contains("`grows-faster-than-result` — **pending-deep-page / npgsql-offset**", md, StringComparison.Ordinal);
        Assert.Contains("xychart-beta", md, StringComparison.Ordinal);
        Assert.Contains("| tiny | small |", md.Replace(" ---: |", "", StringComparison.Ordinal), StringComparison.Ordinal);

        // The scales' databases stay, seeded: the next run measures again without seeding.
        var second = await CliRunner.RunAsync(null, "scaling", "--scales", "small,tiny", "--scenario", "pending-deep-page", "--profile", "smoke", "--connection", lab.ConnectionString, "--reports", _root);
        Assert.True(second.ExitCode == 0, second.All);
        Assert.Contains("database already holds scale small seed 42", second.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Loading with binary COPY", second.Out, StringComparison.Ordinal);
        await using var conn = new NpgsqlConnection(lab.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname LIKE 'querylab_scale_%'", conn);
        Assert.Equal(2L, await cmd.ExecuteScalarAsync());
    }

    [Theory]
    [Trait("Category", "Serverless")]
    [InlineData("tiny,huge", "--scales: unknown scale 'huge'; available values are: tiny, small, medium, production")]
    [InlineData("small", "--scales 'small' names 1 scale(s); a growth needs at least two")]
    public async Task Scales_that_cannot_give_a_growth_are_refused_in_one_line(string scales, string message)
    {
        var r = await CliRunner.RunAsync(null, "scaling", "--scales", scales, "--connection", "Host=127.0.0.1;Port=1;Username=u;Password=p");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Err, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Serverless")]
    public void The_growth_exponent_is_the_slope_in_log_log()
    {
        var xs = new[] { Math.Log(1_000), Math.Log(100_000), Math.Log(1_000_000) };
        Assert.Equal(1, ScalingAnalysis.Slope(xs, xs), 9);
        Assert.Equal(0.5, ScalingAnalysis.Slope(xs, xs.Select(x => (0.5 * x) + 3).ToArray()), 9);
        Assert.Equal(0, ScalingAnalysis.Slope(xs, [2.0, 2.0, 2.0]), 9);
    }
}
