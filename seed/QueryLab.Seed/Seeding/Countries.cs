namespace QueryLab.Seed.Seeding;

/// <summary>A country shipments leave from or go to: its Bogus locale, its share of origins, its currency.</summary>
internal sealed record Country(string Code, string Locale, double OriginWeight, string Currency, double PriceFactor)
{
    /// <summary>The countries of the lab, in a fixed order (the order is part of the generator's output).</summary>
    public static IReadOnlyList<Country> All { get; } =
    [
        new("US", "en_US", 0.42, "USD", 1.00),
        new("CA", "en_CA", 0.10, "CAD", 1.37),
        new("GB", "en_GB", 0.12, "GBP", 0.79),
        new("DE", "de", 0.14, "EUR", 0.92),
        new("FR", "fr", 0.12, "EUR", 0.92),
        new("NL", "nl", 0.10, "EUR", 0.92),
    ];

    /// <summary>Probability that a shipment stays in its origin country.</summary>
    public const double DomesticShare = 0.80;
}
