using QueryLab.Bench.Verification;
using QueryLab.Queries.Catalog;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>Every scenario of the catalog, every variant, on the tiny dataset: all agree with the baseline.</summary>
[Collection(LabCollection.Name)]
public sealed class CatalogVerificationTests(LabFixture lab)
{
    public static TheoryData<string> Scenarios => new(ScenarioCatalog.All.Select(s => s.Name));

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Every_variant_agrees_with_the_baseline(string name)
    {
        var scenario = ScenarioCatalog.All.Single(s => s.Name == name);
        Assert.Single(scenario.Variants, v => v.IsBaseline);
        Assert.Equal(Library.Npgsql, scenario.Baseline.Library);
        Assert.Equal(scenario.Variants.Count, scenario.Variants.Select(v => v.Name).Distinct().Count());
        await using var prepared = await scenario.PrepareAsync(lab.Catalog, default);
        var result = await Verifier.VerifyAsync(prepared, default);
        var report = new StringWriter();
        Verifier.Print(result, report);
        Assert.True(result.Passed, report.ToString());
        Assert.Equal(scenario.Variants.Count, result.Agreed.Count + result.NotRun.Count);

        // Only the pooler's variants may be left out, and only on a machine without pgbouncer: the lab starts one where it is installed.
        var mayBeLeftOut = QueryLab.Seed.Server.PgBouncer.FindExecutable() is null ? scenario.Variants.Where(v => v.Name.Contains("pgbouncer", StringComparison.Ordinal)).Select(v => v.Name) : [];
        Assert.True(result.NotRun.Keys.All(mayBeLeftOut.Contains), report.ToString());
    }

    [Fact]
    public async Task A_deliberately_wrong_variant_is_caught_with_the_differing_rows()
    {
        var wrong = new WrongLookup();
        await using var prepared = await wrong.PrepareAsync(lab.Catalog, default);
        var result = await Verifier.VerifyAsync(prepared, default);
        Assert.False(result.Passed);
        var m = Assert.Single(result.Mismatches);
        Assert.Equal("off-by-one", m.Variant);
        Assert.NotEmpty(m.BaselineRows);
        Assert.NotEmpty(m.VariantRows);
        Assert.NotEqual(m.BaselineRows[0], m.VariantRows[0]);
    }

    /// <summary>A scenario whose second variant answers a slightly different question (the next shipment by id).</summary>
    private sealed class WrongLookup : ReadScenario<Guid, Guid>
    {
        public override string Name => "wrong-lookup";

        public override string Description => "test only";

        public override string Parameters => "test only";

        protected override async Task<IReadOnlyList<Guid>> PickParametersAsync(CatalogContext lab, CancellationToken ct)
        {
            await using var cmd = lab.DataSource.CreateCommand("SELECT id FROM querylab.shipments ORDER BY id LIMIT 3");
            await using var r = await cmd.ExecuteReaderAsync(ct);
            var ids = new List<Guid>();
            while (await r.ReadAsync(ct))
            {
                ids.Add(r.GetGuid(0));
            }

            return ids;
        }

        protected override IEnumerable<ReadVariant<Guid, Guid>> DefineVariants()
        {
            yield return new("right", Library.Npgsql, "exact", (lab, id, ct) => IdsAsync(lab, "SELECT id FROM querylab.shipments WHERE id >= $1 ORDER BY id LIMIT 1", id, ct), IsBaseline: true);
            yield return new("off-by-one", Library.Dapper, "wrong on purpose", (lab, id, ct) => IdsAsync(lab, "SELECT id FROM querylab.shipments WHERE id > $1 ORDER BY id LIMIT 1", id, ct));
        }

        private static async Task<IReadOnlyList<Guid>> IdsAsync(CatalogContext lab, string sql, Guid id, CancellationToken ct)
        {
            await using var cmd = lab.DataSource.CreateCommand(sql);
            cmd.Parameters.AddWithValue(id);
            return [(Guid)(await cmd.ExecuteScalarAsync(ct))!];
        }
    }
}
