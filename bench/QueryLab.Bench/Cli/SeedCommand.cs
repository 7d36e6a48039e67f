using System.CommandLine;
using QueryLab.Bench.Lab;
using QueryLab.Seed;
using QueryLab.Seed.Seeding;

namespace QueryLab.Bench.Cli;

/// <summary><c>querylab seed</c>: fill the lab schema with deterministic synthetic data at a named scale.</summary>
public static class SeedCommand
{
    public static readonly CheckedOption<Scale> ScaleOption = new("--scale", t => Scale.Find(t) ?? throw LabException.BadInput(Scale.Unknown(t)), Scale.All.Select(s => s.Key))
    {
        Description = "tiny (1,000 shipments), small (100,000), medium (1,000,000) or production (10,000,000).",
        DefaultValueFactory = _ => Scale.Small,
    };

    public static readonly Option<int> SeedOption = new("--seed")
    {
        Description = "The random seed: the same scale and seed give identical tables on any machine.",
        DefaultValueFactory = _ => SeedRequest.DefaultSeed,
    };

    public static readonly Option<bool> Force = new("--force")
    {
        Description = "Reseed even when the database holds complete data of another scale or seed (or the same one).",
    };

    public static readonly Option<int> Parallelism = new("--parallelism")
    {
        Description = "Generation workers (default: the number of cores). Any value gives the same data.",
    };

    public static readonly Option<bool> ComparePgbench = new("--compare-pgbench")
    {
        Description = "After seeding, time `pgbench -i` at an equal row count on the same server (in a scratch database) and print rows/s and MB/s of both.",
    };

    public static Command Create(LabContext ctx)
    {
        var cmd = new Command("seed", "Migrate, then load deterministic synthetic logistics data (a no-op when the database already holds this scale and seed).");
        cmd.Options.Add(ScaleOption);
        cmd.Options.Add(SeedOption);
        cmd.Options.Add(Force);
        cmd.Options.Add(Parallelism);
        cmd.Options.Add(ComparePgbench);
        cmd.SetAction((pr, ct) => LabPipeline.SeedAsync(CommonOptions.Server(pr, ctx), Request(pr), pr.GetValue(ComparePgbench), ctx, ct));
        return cmd;
    }

    /// <summary>The data --scale, --seed, --force and --parallelism ask for (seed, run, ab).</summary>
    public static SeedRequest Request(ParseResult pr)
    {
        ArgumentNullException.ThrowIfNull(pr);
        return new SeedRequest(pr.GetValue(ScaleOption)!, pr.GetValue(SeedOption), pr.GetValue(Force), pr.GetValue(Parallelism));
    }
}
