using Bogus;

namespace QueryLab.Seed.Seeding;

/// <summary>
/// Realistic values made with Bogus once per seed, from which rows then draw with the fast generator.
/// Bogus is used only here, single-threaded, with a fixed seed and a fixed date reference, so the pools are the same on
/// every run (for a given Bogus version, which <see cref="GeneratorInfo.Version"/> stands for).
/// </summary>
internal sealed class ValuePools
{
    public const int CitiesPerCountry = 150;
    public const int HubsPerCountry = 12;
    public const int UpsShipperAccounts = 40;
    public const int PostnlCustomerCodes = 30;

    private const string AccountAlphabet = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
    private const string Letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    private ValuePools(string[][] cities, string[][] hubs, string[] upsAccounts, string[] postnlCustomers, Faker[] fakers)
    {
        Cities = cities;
        Hubs = hubs;
        UpsAccounts = upsAccounts;
        PostnlCustomers = postnlCustomers;
        FakersByCountry = fakers;
    }

    /// <summary>"City, CC" per country (index as <see cref="Country.All"/>).</summary>
    public string[][] Cities { get; }

    /// <summary>Sorting facilities per country: a subset of its cities.</summary>
    public string[][] Hubs { get; }

    public string[] UpsAccounts { get; }

    public string[] PostnlCustomers { get; }

    /// <summary>The seeded Bogus fakers, one per country, for the carrier pool (single-threaded use only).</summary>
    internal Faker[] FakersByCountry { get; }

    public static ValuePools Create(int seed)
    {
        var countries = Country.All;
        var fakers = new Faker[countries.Count];
        var cities = new string[countries.Count][];
        var hubs = new string[countries.Count][];
        for (var c = 0; c < countries.Count; c++)
        {
            var faker = new Faker(countries[c].Locale)
            {
                Random = new Randomizer(unchecked((int)StableHash.Of(seed, "pool:" + countries[c].Code, 0))),
                DateTimeReference = GeneratorInfo.ReferenceTime,
            };
            fakers[c] = faker;
            cities[c] = DistinctCities(faker, countries[c].Code);
            hubs[c] = cities[c][..HubsPerCountry];
        }

        var general = new Faker("en_US")
        {
            Random = new Randomizer(unchecked((int)StableHash.Of(seed, "pool:codes", 0))),
            DateTimeReference = GeneratorInfo.ReferenceTime,
        };
        var ups = Enumerable.Range(0, UpsShipperAccounts).Select(_ => general.Random.String2(6, AccountAlphabet)).ToArray();
        var postnl = Enumerable.Range(0, PostnlCustomerCodes).Select(_ => general.Random.String2(4, Letters)).ToArray();
        return new ValuePools(cities, hubs, ups, postnl, fakers);
    }

    private static string[] DistinctCities(Faker faker, string countryCode)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<string>(CitiesPerCountry);
        for (var attempt = 0; list.Count < CitiesPerCountry && attempt < CitiesPerCountry * 40; attempt++)
        {
            var city = faker.Address.City().Trim();
            if (city.Length == 0 || city.Length > 90 || !seen.Add(city))
            {
                continue;
            }

            list.Add(city + ", " + countryCode);
        }

        if (list.Count < HubsPerCountry)
        {
            throw new InvalidOperationException("Bogus gave too few distinct cities for " + countryCode);
        }

        return [.. list];
    }
}
