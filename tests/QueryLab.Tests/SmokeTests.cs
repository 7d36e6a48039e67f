namespace QueryLab.Tests;

[Trait("Category", "Serverless")]
public class SmokeTests
{
    [Fact]
    public void Migrations_ship_beside_the_binaries()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Migrations");
        Assert.True(Directory.Exists(dir), dir);
        Assert.NotEmpty(Directory.GetFiles(dir, "*.sql"));
    }
}
