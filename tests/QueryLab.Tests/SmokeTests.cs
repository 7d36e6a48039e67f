namespace QueryLab.Tests;

[Trait("Category", "Serverless")]
public class SmokeTests
{
    [Fact]
    public void Migrations_ship_beside_the_binaries()
    {
        // Every reviewed migration of seed/Migrations, and nothing else, is copied beside the binaries.
        var dir = Path.Combine(AppContext.BaseDirectory, "Migrations");
        Assert.True(Directory.Exists(dir), dir);
        var inRepository = Directory.GetFiles(Path.Combine(Infrastructure.LabFixture.RepoRoot, "seed", "Migrations"), "*.sql").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.True(inRepository.Count >= 3, $"seed/Migrations holds {inRepository.Count} migrations");
        Assert.Equal(inRepository, Directory.GetFiles(dir, "*.sql").Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }
}
