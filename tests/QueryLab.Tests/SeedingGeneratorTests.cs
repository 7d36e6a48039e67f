using QueryLab.Seed.Seeding;

namespace QueryLab.Tests;

/// <summary>The generator alone, with no database.</summary>
[Trait("Category", "Serverless")]
public sealed class SeedingGeneratorTests
{
    private static readonly Scale FourChunks = new(ScaleName.Small, (GeneratorInfo.ChunkSize * 3) + 100, 50);
    private static readonly Scale Many = new(ScaleName.Small, 40_000, 50);

    [Fact]
    public void A_chunk_is_the_same_whatever_order_or_thread_chunks_are_generated_on()
    {
        var forward = new ChunkGenerator(GenerationModel.Create(FourChunks, 42));
        var inOrder = Enumerable.Range(0, 4).Select(c => Snapshot(forward.Generate(c))).ToList();

        var fresh = new ChunkGenerator(GenerationModel.Create(FourChunks, 42));
        var parallel = new string[4];
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, c => parallel[3 - c] = Snapshot(fresh.Generate(3 - c)));
        var reversed = Enumerable.Range(0, 4).Reverse().Select(c => (c, Snapshot(fresh.Generate(c)))).OrderBy(x => x.c).Select(x => x.Item2);

        Assert.Equal(inOrder, parallel);
        Assert.Equal(inOrder, reversed);
    }

    [Fact]
    public void Another_seed_gives_other_rows()
    {
        var a = Snapshot(new ChunkGenerator(GenerationModel.Create(FourChunks, 1)).Generate(0));
        var b = Snapshot(new ChunkGenerator(GenerationModel.Create(FourChunks, 2)).Generate(0));
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void The_last_chunk_holds_the_remainder_and_ids_follow_the_global_index()
    {
        var model = GenerationModel.Create(FourChunks, 42);
        Assert.Equal(4, model.ChunkCount);
        var last = new ChunkGenerator(model).Generate(3);
        Assert.Equal(100, last.Shipments.Count);
        var firstIndex = 3L * GeneratorInfo.ChunkSize;
        Assert.Equal((firstIndex * GeneratorInfo.EventIdStride) + 1, last.Events.Span[0].Id);
        Assert.Equal((firstIndex * GeneratorInfo.TransactionIdStride) + 1, last.Transactions.Span[0].Id);
    }

    [Fact]
    public void Shipments_obey_the_timeline_rules()
    {
        var model = GenerationModel.Create(Many, 42);
        var generator = new ChunkGenerator(model);
        var end = GeneratorInfo.ReferenceTime.Ticks;
        for (var c = 0; c < model.ChunkCount; c++)
        {
            var chunk = generator.Generate(c);
            var events = chunk.Events.Span.ToArray().ToLookup(e => e.ShipmentId);
            var charges = chunk.Transactions.Span.ToArray().ToLookup(t => t.ShipmentId);
            foreach (var s in chunk.Shipments.Span)
            {
                var own = events[s.Id].ToList();
                Assert.InRange(own.Count, 1, Timeline.MaxEvents);
                Assert.Equal("label_created", own[0].Status);
                Assert.Equal(s.CreatedAt, own[0].OccurredAt);
                Assert.Equal(s.UpdatedAt, own[^1].OccurredAt);
                Assert.Contains(own[^1].Status, Statuses.LatestEventsFor(s.Status));
                Assert.Equal(s.Status == "delivered", s.DeliveredAt != 0);
                for (var k = 1; k < own.Count; k++)
                {
                    Assert.True(own[k].OccurredAt > own[k - 1].OccurredAt, "event times move forward");
                    Assert.Equal(own[k - 1].Id + 1, own[k].Id);
                }

                Assert.True(own[^1].OccurredAt < end);
                Assert.InRange(s.WeightGrams, ChunkGenerator.WeightMin, ChunkGenerator.WeightMax);
                var tx = charges[s.Id].ToList();
                Assert.InRange(tx.Count, 1, 2);
                Assert.All(tx, t => Assert.True(t.OccurredAt >= s.CreatedAt && t.OccurredAt < end && t.Amount > 0));
                Assert.All(tx, t => Assert.Equal(decimal.Round(t.Amount, 2), t.Amount));
            }

            chunk.Return();
        }
    }

    [Fact]
    public void The_status_mix_matches_the_target()
    {
        var model = GenerationModel.Create(Many, 42);
        var generator = new ChunkGenerator(model);
        var statuses = Enumerable.Range(0, model.ChunkCount)
            .SelectMany(c => generator.Generate(c).Shipments.Span.ToArray().Select(s => s.Status)).ToList();
        for (var i = 0; i < Statuses.Mix.Length; i++)
        {
            var name = Statuses.ShipmentStatusNames[i];
            var share = statuses.Count(s => s == name) / (double)statuses.Count;
            Assert.InRange(share, Statuses.Mix[i] - 0.01, Statuses.Mix[i] + 0.01);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(6)]
    public void A_decimal_bijection_is_a_permutation(int digits)
    {
        var bijection = new DecimalBijection(digits, 42, "test");
        var n = (int)Math.Pow(10, digits);
        var seen = new bool[n];
        for (var i = 0; i < n; i++)
        {
            var x = bijection.Apply(i);
            Assert.False(seen[x], "no two indexes map to the same number");
            seen[x] = true;
        }
    }

    [Fact]
    public void Tracking_numbers_are_unique_across_carriers_and_hide_the_sequence()
    {
        var model = GenerationModel.Create(Many, 42);
        var generator = new ChunkGenerator(model);
        var numbers = Enumerable.Range(0, model.ChunkCount)
            .SelectMany(c => generator.Generate(c).Shipments.Span.ToArray().Select(s => s.TrackingNumber)).ToList();
        Assert.Equal(numbers.Count, numbers.Distinct(StringComparer.Ordinal).Count());

        var fedex = new DecimalBijection(12, 42, "fedex");
        var consecutive = Enumerable.Range(0, 100).Select(i => (long)fedex.Apply(i)).ToList();
        var steps = consecutive.Zip(consecutive.Skip(1), (a, b) => b - a).Distinct().Count();
        Assert.True(steps > 90, "consecutive shipments are not a visible arithmetic sequence");
    }

    [Fact]
    public void Deterministic_math_is_accurate()
    {
        for (var x = -30.0; x <= 30.0; x += 0.0137)
        {
            Assert.Equal(Math.Exp(x), DetMath.Exp(x), Math.Exp(x) * 1e-14);
        }

        foreach (var x in new[] { 1e-300, 1e-10, 0.001, 0.5, 0.7071, 1.0, 1.4142, 2.0, 10.0, 1234.5678, 1e300 })
        {
            Assert.Equal(Math.Log(x), DetMath.Log(x), 1e-13 * Math.Max(1, Math.Abs(Math.Log(x))));
        }

        Assert.Equal(0.0, DetMath.Log(1.0));
    }

    [Fact]
    public void Seeds_derive_from_seed_stream_and_chunk_the_same_way_every_time()
    {
        // Fixed values: if these change, every generated table changes (bump GeneratorInfo.Version).
        Assert.Equal(StableHash.Of(42, "shipments", 0), StableHash.Of(42, "shipments", 0));
        Assert.NotEqual(StableHash.Of(42, "shipments", 0), StableHash.Of(42, "shipments", 1));
        Assert.NotEqual(StableHash.Of(42, "shipments", 0), StableHash.Of(42, "transactions", 0));
        Assert.NotEqual(StableHash.Of(42, "shipments", 0), StableHash.Of(43, "shipments", 0));
        var rng = Prng.For(42, "shipments", 0);
        Assert.Equal(GoldenFirstDraw, rng.NextUInt64());
    }

    [Theory]
    [InlineData("tiny", ScaleName.Tiny)]
    [InlineData("SMALL", ScaleName.Small)]
    [InlineData(" medium ", ScaleName.Medium)]
    [InlineData("production", ScaleName.Production)]
    public void Scales_parse_by_name(string text, ScaleName expected) => Assert.Equal(expected, Scale.Parse(text).Name);

    [Fact]
    public void An_unknown_scale_lists_the_valid_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => Scale.Parse("huge"));
        Assert.Contains("available values are: tiny, small, medium, production", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scales_grow_by_ten_in_shipments()
    {
        Assert.Equal([1_000, 100_000, 1_000_000, 10_000_000], Scale.All.Select(s => s.Shipments));
        Assert.All(Scale.All, s => Assert.True(s.Carriers >= CarrierSet.MajorCount));
    }

    private const ulong GoldenFirstDraw = 12623093728693417488;

    private static string Snapshot(GeneratedChunk chunk)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var s in chunk.Shipments.Span)
        {
            sb.Append(s.Id).Append(s.TrackingNumber).Append(s.Status).Append(s.CarrierId).Append(s.Origin).Append(s.Destination)
              .Append(s.WeightGrams).Append(s.CreatedAt).Append(s.UpdatedAt).Append(s.DeliveredAt).Append('\n');
        }

        foreach (var e in chunk.Events.Span)
        {
            sb.Append(e.Id).Append(e.ShipmentId).Append(e.OccurredAt).Append(e.Status).Append(e.Location).Append('\n');
        }

        foreach (var t in chunk.Transactions.Span)
        {
            sb.Append(t.Id).Append(t.ShipmentId).Append(t.Amount).Append(t.Currency).Append(t.OccurredAt).Append('\n');
        }

        chunk.Return();
        return sb.ToString();
    }
}
