using System.Globalization;

namespace QueryLab.Seed.Seeding;

/// <summary>
/// Rows per table before loading. Carriers and shipments are exact; tracking events and transactions are extrapolated
/// from up to <see cref="SampleChunks"/> chunks spread over the scale (exact when the sample is every chunk).
/// </summary>
internal sealed record SeedPlan(IReadOnlyList<(string Table, long Rows, bool Exact)> Tables, int Chunks)
{
    public const int SampleChunks = 16;

    public static SeedPlan Estimate(GenerationModel model)
    {
        var generator = new ChunkGenerator(model);
        var sample = Enumerable.Range(0, Math.Min(SampleChunks, model.ChunkCount))
            .Select(i => (int)((long)i * model.ChunkCount / Math.Min(SampleChunks, model.ChunkCount)))
            .Distinct().ToList();
        long shipments = 0, events = 0, transactions = 0;
        foreach (var c in sample)
        {
            var chunk = generator.Generate(c);
            shipments += chunk.Shipments.Count;
            events += chunk.Events.Count;
            transactions += chunk.Transactions.Count;
            chunk.Return();
        }

        var exact = sample.Count == model.ChunkCount;
        var perShipment = (double)model.Scale.Shipments / shipments;
        return new SeedPlan(
        [
            ("carriers", model.Carriers.Rows.Length, true),
            ("shipments", model.Scale.Shipments, true),
            ("tracking_events", (long)Math.Round(events * perShipment), exact),
            ("transactions", (long)Math.Round(transactions * perShipment), exact),
        ], model.ChunkCount);
    }

    public long TotalRows => Tables.Sum(t => t.Rows);

    public LoadProgress CreateProgress() => new(Tables.Select(t => new TableProgress(t.Table, t.Rows, t.Exact)).ToList());

    public void Print(TextWriter console, SeedRequest request)
    {
        var inv = CultureInfo.InvariantCulture;
        console.WriteLine(string.Create(inv,
            $"Plan: scale {request.Scale.Key}, seed {request.Seed}, generator v{GeneratorInfo.Version}, data up to {GeneratorInfo.ReferenceTime:yyyy-MM-ddTHH:mm:ssZ}"));
        foreach (var (table, rows, exact) in Tables)
        {
            console.WriteLine(string.Create(inv, $"  {table,-17}{(exact ? " " : "≈"),2}{rows,13:N0}"));
        }

        console.WriteLine(string.Create(inv,
            $"  {"total",-17}{(Tables.All(t => t.Exact) ? " " : "≈"),2}{TotalRows,13:N0} rows in {Chunks:N0} chunk{(Chunks == 1 ? "" : "s")} of {GeneratorInfo.ChunkSize:N0} shipments, {request.EffectiveParallelism} generation workers"));
    }
}
