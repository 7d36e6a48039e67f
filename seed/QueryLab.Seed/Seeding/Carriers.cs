using System.Globalization;
using System.Text;

namespace QueryLab.Seed.Seeding;

/// <summary>The tracking_format check constraint's values.</summary>
internal enum TrackingFormat : byte { Ups, Fedex, Dhl, Usps, Postnl, Generic }

/// <summary>One carriers row, plus what shipments need from it.</summary>
internal sealed record CarrierRow(int Id, string Code, string Name, string CountryCode, TrackingFormat Format, DateTime CreatedAt, string TrackingPrefix)
{
    public string FormatName => Format switch
    {
        TrackingFormat.Ups => "ups",
        TrackingFormat.Fedex => "fedex",
        TrackingFormat.Dhl => "dhl",
        TrackingFormat.Usps => "usps",
        TrackingFormat.Postnl => "postnl",
        _ => "generic",
    };
}

/// <summary>
/// Carriers and their popularity. Popularity is Zipf over ranks; rank r belongs to carrier id permutation[r], so the
/// hot carriers are scattered over the id range. The five most popular ranks are the real carriers with their own
/// tracking formats; the rest are regional carriers named by Bogus.
/// </summary>
internal sealed class CarrierSet
{
    public const double ZipfExponent = 1.1;

    private static readonly (string Code, string Name, string Country, TrackingFormat Format)[] Majors =
    [
        ("UPS", "United Parcel Service", "US", TrackingFormat.Ups),
        ("FEDEX", "FedEx", "US", TrackingFormat.Fedex),
        ("USPS", "United States Postal Service", "US", TrackingFormat.Usps),
        ("DHL", "DHL Express", "DE", TrackingFormat.Dhl),
        ("POSTNL", "PostNL", "NL", TrackingFormat.Postnl),
    ];

    private static readonly string[] Suffixes = ["Logistics", "Freight", "Express", "Couriers", "Parcel", "Delivery"];

    private readonly int[] _idByRank;
    private readonly DiscreteSampler _popularity;

    private CarrierSet(CarrierRow[] rows, int[] idByRank, DiscreteSampler popularity)
    {
        Rows = rows;
        _idByRank = idByRank;
        _popularity = popularity;
    }

    /// <summary>Rows in id order (id = index + 1).</summary>
    public CarrierRow[] Rows { get; }

    public static int MajorCount => Majors.Length;

    /// <summary>The carrier of a new shipment, by Zipf popularity.</summary>
    public CarrierRow Sample(Prng rng) => Rows[_idByRank[_popularity.Sample(rng)] - 1];

    public static CarrierSet Create(int seed, int count, ValuePools pools)
    {
        if (count < Majors.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "a scale needs at least the five major carriers");
        }

        // Fisher–Yates permutation: rank -> id.
        var rng = Prng.For(seed, "carrier_permutation", 0);
        var idByRank = Enumerable.Range(1, count).ToArray();
        for (var i = count - 1; i > 0; i--)
        {
            var j = rng.NextInt(i + 1);
            (idByRank[i], idByRank[j]) = (idByRank[j], idByRank[i]);
        }

        var rankById = new int[count + 1];
        for (var r = 0; r < count; r++)
        {
            rankById[idByRank[r]] = r;
        }

        var countryPick = new DiscreteSampler(Country.All.Select(c => c.OriginWeight).ToArray());
        var rows = new CarrierRow[count];
        for (var id = 1; id <= count; id++)
        {
            // Every carrier draws the same number of values, so a carrier's row does not depend on the ranks of others.
            var countryIndex = countryPick.Sample(rng);
            var suffix = Suffixes[rng.NextInt(Suffixes.Length)];
            var faker = pools.FakersByCountry[countryIndex];
            var company = faker.Company.CompanyName();
            var createdAt = faker.Date.Past(13, GeneratorInfo.ReferenceTime.AddYears(-2));
            createdAt = new DateTime(createdAt.Ticks - (createdAt.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
            var rank = rankById[id];
            if (rank < Majors.Length)
            {
                var m = Majors[rank];
                rows[id - 1] = new CarrierRow(id, m.Code, m.Name, m.Country, m.Format, createdAt, m.Code);
            }
            else
            {
                var prefix = Prefix(company);
                var code = prefix + id.ToString("D4", CultureInfo.InvariantCulture);
                var name = Truncate(company + " " + suffix, 100);
                rows[id - 1] = new CarrierRow(id, code, name, Country.All[countryIndex].Code, TrackingFormat.Generic, createdAt, prefix);
            }
        }

        return new CarrierSet(rows, idByRank, DiscreteSampler.Zipf(count, ZipfExponent));
    }

    /// <summary>Three ASCII capitals from the company name ('X'-padded): the carrier's code and tracking-number prefix.</summary>
    private static string Prefix(string company)
    {
        var sb = new StringBuilder(3);
        foreach (var ch in company.ToUpperInvariant())
        {
            if (ch is >= 'A' and <= 'Z')
            {
                sb.Append(ch);
                if (sb.Length == 3)
                {
                    break;
                }
            }
        }

        return sb.ToString().PadRight(3, 'X');
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max].TrimEnd();
}
