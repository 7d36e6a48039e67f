using System.Text.Json;
using System.Text.RegularExpressions;
using QueryLab.Bench.Findings;
using QueryLab.Bench.Load;
using QueryLab.Bench.Plans;
using QueryLab.Bench.Profiling;
using QueryLab.Bench.Results;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>One registry of findings (FindingCodes), and FINDINGS.md and the README saying the same.</summary>
[Trait("Category", "Serverless")]
public partial class FindingRegistryTests
{
    private static string FindingsMd => File.ReadAllText(Path.Combine(LabFixture.RepoRoot, "bench", "QueryLab.Bench", "Findings", "FINDINGS.md"));

    private static string Readme => File.ReadAllText(Path.Combine(LabFixture.RepoRoot, "README.md"));

    /// <summary>The first cell of every table row of FINDINGS.md that names a code (`code`), with the row.</summary>
    private static Dictionary<string, List<string>> DocumentedRows(string md)
    {
        var rows = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (Match m in CodeRow().Matches(md))
        {
            if (!rows.TryGetValue(m.Groups[1].Value, out var list))
            {
                rows[m.Groups[1].Value] = list = [];
            }

            list.Add(m.Value);
        }

        return rows;
    }

    [Fact]
    public void Codes_are_unique_and_every_kind_has_a_severity_and_a_fix()
    {
        Assert.Equal(FindingCodes.All.Count, FindingCodes.All.Distinct(StringComparer.Ordinal).Count());
        Assert.All(FindingCodes.Kinds, k =>
        {
            Assert.NotEmpty(k.Severities);
            Assert.False(string.IsNullOrWhiteSpace(k.Fix), k.Code);
        });
    }

    [Fact]
    public void FINDINGS_md_has_one_row_per_registered_code_with_its_severities_and_no_other()
    {
        var rows = DocumentedRows(FindingsMd);

        Assert.Equal(FindingCodes.All.Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        foreach (var kind in FindingCodes.Kinds)
        {
            var row = Assert.Single(rows[kind.Code]);
            var severityCell = row.Split('|')[3];
            foreach (var severity in Enum.GetValues<Severity>())
            {
                // Each severity the kind can have is named in its severity column, and no other.
                Assert.True(
                    kind.Severities.Contains(severity) == severityCell.Contains(severity.ToString(), StringComparison.Ordinal),
                    $"{kind.Code}: FINDINGS.md says '{severityCell.Trim()}', the registry {string.Join(", ", kind.Severities)}");
            }
        }
    }

    [Fact]
    public void The_README_names_every_code_in_its_finding_tables()
    {
        var readme = Readme;
        var missing = FindingCodes.All.Where(c => !readme.Contains($"`{c}`", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, "README.md does not list: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_finding_raised_has_a_registered_code_and_one_of_its_severities()
    {
        var raised = new List<(string Code, Severity Severity)>();
        var golden = PlanAnalyzer.Analyze(File.ReadAllText(Path.Combine(LabFixture.RepoRoot, "tests", "QueryLab.Tests", "Plans", "Golden", "cte-initplan-parallel.json")));
        raised.AddRange(golden.Findings.Select(f => (f.Code, f.Severity)));
        raised.AddRange(new[]
        {
            ProfileFindings.Repeated(new RepeatedStatement("SELECT 1", 10, 10, IsNPlusOne: true)),
            ProfileFindings.Repeated(new RepeatedStatement("SELECT 1", 3, 1, IsNPlusOne: false)),
            ProfileFindings.Repeated(new RepeatedStatement("SELECT 1", 3, 3, IsNPlusOne: false)),
            ProfileFindings.GenericPlanDiffers(1, ["scan changed: Index Scan on t → Seq Scan on t"]),
            ProfileFindings.DidNotFinish("did not finish within 30 s at this scale", "statement 1", 1),
        }.Select(f => (f.Code, f.Severity)));
        raised.Add((FindingCodes.LeakedConnections, LoadFindings.Leak(1, "app", "at the end").Severity));

        Assert.NotEmpty(golden.Findings);
        Assert.All(raised, r => Assert.Contains(r.Severity, FindingCodes.Of(r.Code).Severities));
    }

    [Fact]
    public void A_registered_code_is_found_and_an_unknown_one_is_refused_with_the_list()
    {
        Assert.Equal(FindingSource.RoundTrips, FindingCodes.Of(FindingCodes.NPlusOne).Source);
        var ex = Assert.Throws<ArgumentException>(() => FindingCodes.Of("no-such-finding"));
        Assert.Contains(FindingCodes.HotNode, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Results_json_keeps_severity_as_the_name_it_always_had_and_reads_it_back()
    {
        var record = ProfileFindings.Repeated(new RepeatedStatement("SELECT 1", 10, 10, IsNPlusOne: true));

        var json = JsonSerializer.Serialize(record, ResultsJson.Options);
        Assert.Contains("\"severity\": \"Critical\"", json, StringComparison.Ordinal);
        var back = JsonSerializer.Deserialize<FindingRecord>(json, ResultsJson.Options)!;
        Assert.Equal(Severity.Critical, back.Severity);

        // A baseline written before severity was an enum: the same strings.
        var old = JsonSerializer.Deserialize<FindingRecord>("""{"severity":"Warning","code":"repeated-statement","where":"round trips","message":"m","fix":"f"}""", ResultsJson.Options)!;
        Assert.Equal(Severity.Warning, old.Severity);
    }

    [Fact]
    public void Severity_counts_read_most_severe_first()
    {
        Assert.Equal("2 critical, 1 info", Severities.Counts([Severity.Info, Severity.Critical, Severity.Critical]));
        Assert.Equal("2 critical", Severities.Counts([Severity.Info, Severity.Critical, Severity.Critical], least: Severity.Warning));
        Assert.Equal("", Severities.Counts([]));
    }

    [GeneratedRegex(@"(?m)^\| `([a-z0-9-]+)` \|.*$")]
    private static partial Regex CodeRow();
}
