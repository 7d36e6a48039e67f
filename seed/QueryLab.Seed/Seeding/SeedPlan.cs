using System.Globalization;

namespace QueryLab.Seed.Seeding;

/// <summary>
/// Rows per table before loading. Carriers and shipments are exact; tracking events and transactions are extrapolated
/// from the first chunk (exact when the scale is a single chunk).
/// </summary>
internal sealed record SeedPlan(IReadOnlyList<(string Table, long Rows, bool Exact)> Tables, int Chunks)
{
    public static SeedPlan Estimate(GenerationModel model)
    {
        var sample = new ChunkGenerator(model).Generate(0);
        try
        {
            var exact = model.ChunkCount == 1;
            var perShipment = (double)model.Scale.Shipments / sample.Shipments.Count;
            return new SeedPlan(
            [
                ("carriers", model.Carriers.Rows.Length, true),
                ("shipments", model.Scale.Shipments, true),
                ("tracking_events", (long)Math.Round(sample.Events.Count * perShipment), exact),
                ("transactions", (long)Math.Round(sample.Transactions.Count * perShipment), exact),
            ], model.ChunkCount);
        }
        finally
        {
            sample.Return();
        }
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
