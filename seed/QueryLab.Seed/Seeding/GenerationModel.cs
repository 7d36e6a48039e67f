namespace QueryLab.Seed.Seeding;

/// <summary>Everything fixed by (scale, seed) that chunks share read-only: pools, carriers, calendar, samplers.</summary>
internal sealed class GenerationModel
{
    private GenerationModel(Scale scale, int seed)
    {
        if (scale.Shipments > TrackingNumbers.MaxShipments)
        {
            throw new ArgumentOutOfRangeException(nameof(scale), "tracking numbers are unique up to 10^8 shipments");
        }

        Scale = scale;
        Seed = seed;
        Pools = ValuePools.Create(seed);
        Carriers = CarrierSet.Create(seed, scale.Carriers, Pools);
        Calendar = new Calendar(GeneratorInfo.ReferenceTime);
        TrackingNumbers = new TrackingNumbers(seed, Pools);
        StatusSampler = new DiscreteSampler(Statuses.Mix);
        CountrySampler = new DiscreteSampler(Country.All.Select(c => c.OriginWeight).ToArray());
    }

    public Scale Scale { get; }

    public int Seed { get; }

    public ValuePools Pools { get; }

    public CarrierSet Carriers { get; }

    public Calendar Calendar { get; }

    public TrackingNumbers TrackingNumbers { get; }

    public DiscreteSampler StatusSampler { get; }

    public DiscreteSampler CountrySampler { get; }

    public int ChunkCount => (int)((Scale.Shipments + GeneratorInfo.ChunkSize - 1) / GeneratorInfo.ChunkSize);

    public static GenerationModel Create(Scale scale, int seed) => new(scale, seed);

    /// <summary>The shipments of chunk k: global indexes [First, First + Count).</summary>
    public (long First, int Count) ChunkRange(int chunk)
    {
        var first = (long)chunk * GeneratorInfo.ChunkSize;
        return (first, (int)Math.Min(GeneratorInfo.ChunkSize, Scale.Shipments - first));
    }
}
