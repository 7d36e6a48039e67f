using QueryLab.Seed.Seeding;

namespace QueryLab.Tests;

/// <summary>When a seed loads, does nothing, or refuses: the manifest's rules, without a database.</summary>
[Trait("Category", "Serverless")]
public sealed class SeedingDecisionTests
{
    private static SeedManifest Manifest(string scale, int seed, string status = SeedManifest.Complete, string version = GeneratorInfo.Version) =>
        new(scale, seed, version, status, GeneratorInfo.ReferenceTime, new Dictionary<string, long>(), new Dictionary<string, string>(),
            DateTime.UtcNow, status == SeedManifest.Complete ? DateTime.UtcNow : null);

    [Fact]
    public void An_empty_database_is_seeded() =>
        Assert.False(SeedDecision.Decide(null, false, new SeedRequest(Scale.Small)).IsNoOp);

    [Fact]
    public void Data_without_a_manifest_needs_force()
    {
        Assert.Throws<SeedException>(() => SeedDecision.Decide(null, true, new SeedRequest(Scale.Small)));
        Assert.False(SeedDecision.Decide(null, true, new SeedRequest(Scale.Small, Force: true)).IsNoOp);
    }

    [Fact]
    public void The_same_complete_data_is_a_no_op_unless_forced()
    {
        Assert.True(SeedDecision.Decide(Manifest("small", 42), false, new SeedRequest(Scale.Small, 42)).IsNoOp);
        Assert.False(SeedDecision.Decide(Manifest("small", 42), false, new SeedRequest(Scale.Small, 42, Force: true)).IsNoOp);
    }

    [Theory]
    [InlineData("tiny", 42)]
    [InlineData("small", 7)]
    public void Other_complete_data_is_replaced_only_with_force(string scale, int seed)
    {
        var e = Assert.Throws<SeedException>(() => SeedDecision.Decide(Manifest(scale, seed), false, new SeedRequest(Scale.Small, 42)));
        Assert.Equal($"database holds scale {scale} seed {seed}; pass --force to reseed as scale small seed 42", e.Message);
        Assert.False(SeedDecision.Decide(Manifest(scale, seed), false, new SeedRequest(Scale.Small, 42, Force: true)).IsNoOp);
    }

    [Fact]
    public void An_incomplete_manifest_is_reseeded_without_force_whatever_it_held() =>
        Assert.False(SeedDecision.Decide(Manifest("production", 1, SeedManifest.Incomplete), false, new SeedRequest(Scale.Tiny, 9)).IsNoOp);

    [Fact]
    public void The_same_data_from_another_generator_version_is_reseeded_without_force()
    {
        var decision = SeedDecision.Decide(Manifest("small", 42, version: "0"), false, new SeedRequest(Scale.Small, 42));
        Assert.False(decision.IsNoOp);
        Assert.Contains("generator v0", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parallelism_defaults_to_the_processor_count() =>
        Assert.Equal(Environment.ProcessorCount, new SeedRequest(Scale.Tiny).EffectiveParallelism);
}
