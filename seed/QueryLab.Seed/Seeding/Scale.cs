namespace QueryLab.Seed.Seeding;

public enum ScaleName { Tiny, Small, Medium, Production }

/// <summary>
/// A named size of the lab database. Shipments set the size; carriers grow more slowly (a market has hundreds of
/// carriers, not millions); tracking events (≈ 5.76 per shipment) and transactions (≈ 1.08 per shipment) follow from the
/// generator's distributions (seed/DISTRIBUTIONS.md).
/// </summary>
public sealed record Scale(ScaleName Name, int Shipments, int Carriers)
{
    public static Scale Tiny { get; } = new(ScaleName.Tiny, 1_000, 10);

    public static Scale Small { get; } = new(ScaleName.Small, 100_000, 50);

    public static Scale Medium { get; } = new(ScaleName.Medium, 1_000_000, 200);

    public static Scale Production { get; } = new(ScaleName.Production, 10_000_000, 1_000);

    public static IReadOnlyList<Scale> All { get; } = [Tiny, Small, Medium, Production];

    /// <summary>The scale's name as users type it and as the manifest stores it: tiny, small, medium, production.</summary>
    public string Key => Name.ToString().ToLowerInvariant();

    /// <summary>A scale by name (case-insensitive).</summary>
    /// <exception cref="ArgumentException">The name is none of the scales; the message (<see cref="Unknown"/>) lists the valid ones.</exception>
    public static Scale Parse(string s) => Find(s) ?? throw new ArgumentException(Unknown(s), nameof(s));

    /// <summary>A scale by name (case-insensitive), or null.</summary>
    public static Scale? Find(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return All.FirstOrDefault(x => string.Equals(x.Key, s.Trim(), StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>What to say of a name that is none of the scales: it, and the ones there are.</summary>
    public static string Unknown(string s) => $"unknown scale '{s}'; available values are: {string.Join(", ", All.Select(x => x.Key))}";

    public override string ToString() => Key;
}
