namespace QueryLab.Seed.Seeding;

/// <summary>What to seed.</summary>
/// <param name="Scale">The size of the data.</param>
/// <param name="Seed">Same scale and seed give identical tables.</param>
/// <param name="Force">Replace data of another scale or seed (or data with no manifest), or reseed a complete database anyway.</param>
/// <param name="Parallelism">Generation workers; any value gives the same data.</param>
public sealed record SeedRequest(Scale Scale, int Seed = SeedRequest.DefaultSeed, bool Force = false, int Parallelism = 0)
{
    public const int DefaultSeed = 42;

    /// <summary><see cref="Parallelism"/>, or the processor count when it is 0 or less.</summary>
    public int EffectiveParallelism => Parallelism > 0 ? Parallelism : Environment.ProcessorCount;
}
