using System.Buffers;

namespace QueryLab.Seed.Seeding;

/// <summary>
/// Generates one chunk of shipments with their tracking events and transactions. A chunk's rows depend only on
/// (seed, chunk index) through three generators seeded from (seed, table, chunk), never on which thread or in which
/// order chunks are generated. Thread-safe: all per-chunk state is local.
/// </summary>
internal sealed class ChunkGenerator(GenerationModel model)
{
    public const double WeightMu = 7.090076835776092; // ln 1200 g
    public const double WeightSigma = 1.1;
    public const int WeightMin = 20;
    public const int WeightMax = 68_000;

    public const double ChargeMu = 2.4849066497880004; // ln 12
    public const double ChargeWeightElasticity = 0.30;
    public const double ChargeSigma = 0.70;
    public const double SurchargeShare = 0.08;
    public const double SurchargeMu = 1.3862943611198906; // ln 4
    public const double SurchargeSigma = 0.60;

    private const long TicksPerMicro = 10;

    public GeneratedChunk Generate(int chunk)
    {
        var (first, count) = model.ChunkRange(chunk);
        var shipmentsRng = Prng.For(model.Seed, "shipments", chunk);
        var eventsRng = Prng.For(model.Seed, "tracking_events", chunk);
        var transactionsRng = Prng.For(model.Seed, "transactions", chunk);

        var shipments = ArrayPool<ShipmentRow>.Shared.Rent(count);
        var events = ArrayPool<EventRow>.Shared.Rent(count * Timeline.MaxEvents);
        var transactions = ArrayPool<TransactionRow>.Shared.Rent(count * 2);
        var eventCount = 0;
        var transactionCount = 0;
        var timeline = new Timeline(model.Calendar);
        var end = model.Calendar.ReferenceTime.Ticks;

        for (var j = 0; j < count; j++)
        {
            var index = first + j;
            var rng = shipmentsRng;
            var status = (ShipmentStatus)model.StatusSampler.Sample(rng);
            var carrier = model.Carriers.Sample(rng);
            var id = rng.NextGuid();
            var originCountry = model.CountrySampler.Sample(rng);
            var originCity = rng.NextInt(model.Pools.Cities[originCountry].Length);
            var destinationCountry = rng.Chance(Country.DomesticShare) ? originCountry : model.CountrySampler.Sample(rng);
            var destinationPool = model.Pools.Cities[destinationCountry];
            var destinationCity = rng.NextInt(destinationPool.Length);
            if (destinationCountry == originCountry && destinationCity == originCity)
            {
                destinationCity = (destinationCity + 1) % destinationPool.Length;
            }

            var weight = (int)Math.Clamp(Math.Round(rng.NextLogNormal(WeightMu, WeightSigma)), WeightMin, WeightMax);
            timeline.Plan(status, rng);
            var origin = model.Pools.Cities[originCountry][originCity];
            var destination = destinationPool[destinationCity];

            shipments[j] = new ShipmentRow
            {
                Id = id,
                TrackingNumber = model.TrackingNumbers.Format(carrier, index, rng),
                Status = Statuses.Name(status),
                CarrierId = carrier.Id,
                Origin = origin,
                Destination = destination,
                WeightGrams = weight,
                CreatedAt = timeline.CreatedAt,
                UpdatedAt = timeline.LastAt,
                DeliveredAt = timeline.DeliveredAt,
            };

            var previous = origin;
            for (var k = 0; k < timeline.Count; k++)
            {
                var location = timeline.Places[k] switch
                {
                    Place.Origin => origin,
                    Place.Destination => destination,
                    Place.OriginHub => Pick(model.Pools.Hubs[originCountry], eventsRng),
                    Place.DestinationHub => Pick(model.Pools.Hubs[destinationCountry], eventsRng),
                    _ => previous,
                };
                events[eventCount++] = new EventRow
                {
                    Id = (index * GeneratorInfo.EventIdStride) + k + 1,
                    ShipmentId = id,
                    OccurredAt = timeline.Times[k],
                    Status = Statuses.Name(timeline.Statuses[k]),
                    Location = location,
                };
                previous = location;
            }

            var country = Country.All[originCountry];
            var chargeAt = timeline.CreatedAt + (transactionsRng.NextLong(120_000_000L) * TicksPerMicro);
            var chargeMu = ChargeMu + (ChargeWeightElasticity * DetMath.Log(weight / 1000.0));
            transactions[transactionCount++] = new TransactionRow
            {
                Id = (index * GeneratorInfo.TransactionIdStride) + 1,
                ShipmentId = id,
                Amount = Cents(transactionsRng.NextLogNormal(chargeMu, ChargeSigma) * country.PriceFactor, 1.00, 5000.00),
                Currency = country.Currency,
                OccurredAt = chargeAt,
            };

            if (transactionsRng.Chance(SurchargeShare))
            {
                var amount = Cents(transactionsRng.NextLogNormal(SurchargeMu, SurchargeSigma) * country.PriceFactor, 0.50, 500.00);
                var at = timeline.LastAt + (transactionsRng.NextLong(71 * 3_600_000_000L) * TicksPerMicro) + TimeSpan.TicksPerHour;
                at = Math.Max(Math.Min(at, end - TimeSpan.TicksPerSecond), chargeAt + TimeSpan.TicksPerSecond);
                transactions[transactionCount++] = new TransactionRow
                {
                    Id = (index * GeneratorInfo.TransactionIdStride) + 2,
                    ShipmentId = id,
                    Amount = amount,
                    Currency = country.Currency,
                    OccurredAt = at,
                };
            }
        }

        return new GeneratedChunk(
            chunk,
            new RowBatch<ShipmentRow>(chunk, shipments, count),
            new RowBatch<EventRow>(chunk, events, eventCount),
            new RowBatch<TransactionRow>(chunk, transactions, transactionCount));
    }

    private static string Pick(string[] pool, Prng rng) => pool[rng.NextInt(pool.Length)];

    /// <summary>Rounded half-to-even to whole cents (exact in IEEE 754 arithmetic), as an exact decimal.</summary>
    internal static decimal Cents(double amount, double min, double max)
    {
        var cents = (long)Math.Round(Math.Clamp(amount, min, max) * 100.0, MidpointRounding.ToEven);
        return new decimal((int)cents, (int)(cents >> 32), 0, false, 2);
    }
}
