using QueryLab.Bench.Plans;
using QueryLab.Bench.Results;

namespace QueryLab.Tests.Compare;

/// <summary>
/// Realistic runs built in memory: three scenarios of the catalog's kind, eleven variants, 15 measured
/// iterations each (the ci profile) drawn around a median with a fixed seed, and a profiling pass with
/// statements, plans and buffers. Tests change one thing and write both runs to temporary folders.
/// </summary>
internal static class CompareRuns
{
    public const string LookupSql = "SELECT s.id, s.tracking_number, s.status, s.weight_grams, s.created_at FROM querylab.shipments AS s WHERE s.tracking_number = $1 LIMIT 1";
    public const string PendingSql = "SELECT s.id, s.tracking_number, s.created_at FROM querylab.shipments AS s WHERE s.status = $1 ORDER BY s.created_at DESC, s.id DESC LIMIT $2";
    public const string InTransitSql = "SELECT s.id, s.tracking_number, s.carrier_id FROM querylab.shipments AS s WHERE s.status = $1 ORDER BY s.created_at LIMIT $2";
    public const string CarrierSql = "SELECT c.id, c.name FROM querylab.carriers AS c WHERE c.id = $1";
    public const string LatestEventSql = "SELECT e.id, e.kind, e.occurred_at FROM querylab.tracking_events AS e WHERE e.shipment_id = $1 ORDER BY e.occurred_at DESC LIMIT 1";
    public const string LateralSql = "SELECT s.id, c.name, e.kind FROM querylab.shipments AS s JOIN querylab.carriers AS c ON c.id = s.carrier_id LEFT JOIN LATERAL (SELECT kind FROM querylab.tracking_events WHERE shipment_id = s.id ORDER BY occurred_at DESC LIMIT 1) AS e ON true WHERE s.status = $1 ORDER BY s.created_at LIMIT $2";

    public const string LookupShape = "Limit\n  Index Scan using shipments_tracking_number_key on shipments\n";
    public const string PendingShape = "Limit\n  Index Scan using shipments_status_created_at_idx on shipments\n";
    public const string PendingSeqShape = "Limit\n  Sort\n    Seq Scan on shipments\n";
    public const string InTransitShape = "Limit\n  Index Scan using shipments_status_created_at_idx on shipments\n";
    public const string CarrierShape = "Index Scan using carriers_pkey on carriers\n";
    public const string LatestEventShape = "Limit\n  Index Scan Backward using tracking_events_shipment_id_occurred_at_idx on tracking_events\n";
    public const string LateralShape =
        "Limit\n  Nested Loop Left Join\n    Nested Loop\n      Index Scan using shipments_status_created_at_idx on shipments\n      Index Scan using carriers_pkey on carriers  [Inner]\n"
        + "    Limit  [Inner]\n      Index Scan Backward using tracking_events_shipment_id_occurred_at_idx on tracking_events\n";

    public static RunResults Run(int seed = 1, int n = 15, double cv = 0.02, string runId = "20260101-120000-small-ci")
    {
        var rng = new Random(seed);
        return new RunResults
        {
            RunId = runId,
            StartedAt = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero),
            FinishedAt = new DateTimeOffset(2026, 1, 1, 12, 9, 0, TimeSpan.Zero),
            Command = "querylab bench --profile ci",
            Git = new GitInfo("0123456789abcdef0123456789abcdef01234567", false, "main"),
            Machine = new MachineInfo("ci-runner", 2, 8L * 1024 * 1024 * 1024, "Ubuntu 24.04.1 LTS", ".NET 10.0.0", "X64"),
            Server = new ServerInfo("querylab@127.0.0.1:5432/querylab", true, "PostgreSQL 16.4", 16,
                new Dictionary<string, string> { ["random_page_cost"] = "1.1", ["work_mem"] = "16MB", ["jit"] = "on" }),
            Dataset = new DatasetInfo("small", 42, "3", new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc),
                new Dictionary<string, long> { ["carriers"] = 50, ["shipments"] = 100_000, ["tracking_events"] = 576_213, ["transactions"] = 108_114 },
                new Dictionary<string, string> { ["carriers"] = "9f1c", ["shipments"] = "77ab", ["tracking_events"] = "c0de", ["transactions"] = "5e11" },
                new DateTime(2026, 1, 1, 11, 50, 0, DateTimeKind.Utc)),
            Profile = new ProfileInfo("ci", "1 launch, 3 warm-up and 15 measured iterations", "ci"),
            Scenarios =
            [
                Scenario("lookup-by-tracking-number",
                    Variant(rng, n, cv, "ef-tracked", "EF Core", 182_000, 9_400, Profile(1, 1, 1, Stmt(LookupSql, LookupShape, 4))),
                    Variant(rng, n, cv, "ef-no-tracking", "EF Core", 151_000, 7_100, Profile(1, 1, 1, Stmt(LookupSql, LookupShape, 4))),
                    Variant(rng, n, cv, "ef-compiled", "EF Core", 121_000, 5_300, Profile(1, 1, 1, Stmt(LookupSql, LookupShape, 4))),
                    Variant(rng, n, cv, "dapper", "Dapper", 109_000, 2_900, Profile(1, 1, 1, Stmt(LookupSql, LookupShape, 4))),
                    Variant(rng, n, cv, "npgsql-prepared", "Npgsql", 96_000, 1_800, Profile(1, 1, 1, Stmt(LookupSql, LookupShape, 4)), baseline: true)),
                Scenario("pending-page",
                    Variant(rng, n, cv, "ef-no-tracking", "EF Core", 640_000, 48_000, Profile(1, 1, 50, Stmt(PendingSql, PendingShape, 57))),
                    Variant(rng, n, cv, "dapper", "Dapper", 560_000, 31_000, Profile(1, 1, 50, Stmt(PendingSql, PendingShape, 57))),
                    Variant(rng, n, cv, "npgsql-prepared", "Npgsql", 530_000, 22_000, Profile(1, 1, 50, Stmt(PendingSql, PendingShape, 57)), baseline: true)),
                Scenario("in-transit-with-carrier-and-latest-event",
                    Variant(rng, n, cv, "ef-n-plus-one", "EF Core", 4_800_000, 410_000,
                        Profile(41, 41, 60, Stmt(InTransitSql, InTransitShape, 23), Stmt(CarrierSql, CarrierShape, 2, 20), Stmt(LatestEventSql, LatestEventShape, 4, 20))),
                    Variant(rng, n, cv, "ef-include", "EF Core", 1_900_000, 260_000, Profile(1, 1, 20, Stmt(LateralSql, LateralShape, 143))),
                    Variant(rng, n, cv, "npgsql-lateral", "Npgsql", 1_200_000, 38_000, Profile(1, 1, 20, Stmt(LateralSql, LateralShape, 143)), baseline: true)),
            ],
        };
    }

    /// <summary>The same run with one variant changed.</summary>
    public static RunResults With(RunResults r, string scenario, string variant, Func<VariantResultRecord, VariantResultRecord> change) => r with
    {
        Scenarios = r.Scenarios.Select(s => s.Name != scenario ? s : s with
        {
            Variants = s.Variants.Select(v => v.Name == variant ? change(v) : v).ToList(),
        }).ToList(),
    };

    /// <summary>Every measurement (and the figures made from them) times <paramref name="factor"/>.</summary>
    public static VariantResultRecord Scaled(VariantResultRecord v, double factor) => v with
    {
        Timing = v.Timing! with
        {
            MeanNs = v.Timing.MeanNs * factor,
            MedianNs = v.Timing.MedianNs * factor,
            P95Ns = v.Timing.P95Ns * factor,
            StdErrNs = v.Timing.StdErrNs * factor,
            MeasurementsNs = v.Timing.MeasurementsNs.Select(x => x * factor).ToList(),
        },
    };

    public static VariantResultRecord WithProfile(VariantResultRecord v, Func<ProfileRecord, ProfileRecord> change) => v with { Profile = change(v.Profile!) };

    /// <summary>Every statement's plan of the variant changed.</summary>
    public static VariantResultRecord WithPlans(VariantResultRecord v, Func<PlanSummary, PlanSummary> change) => WithProfile(v, p => p with
    {
        DistinctStatements = p.DistinctStatements.Select(s => s with { Plan = change(s.Plan!) }).ToList(),
    });

    public static PlanSummary Plan(string shapeText, long sharedHit, long sharedRead = 0) =>
        new(PlanShape.Hash(shapeText), shapeText, 0.08, 0.05, sharedHit, sharedRead, 0, sharedRead + sharedHit == 0 ? null : (double)sharedHit / (sharedHit + sharedRead), [], shapeText);

    private static ScenarioResult Scenario(string name, params VariantResultRecord[] variants) => new()
    {
        Name = name,
        Description = $"{name}, as the application asks it",
        Parameters = "three pre-fetched values, rotated",
        Writes = false,
        Verification = new VerificationResult(true, 3, []),
        Variants = variants,
    };

    private static VariantResultRecord Variant(Random rng, int n, double cv, string name, string library, double medianNs, long allocated, ProfileRecord profile, bool baseline = false)
    {
        var xs = Measurements(rng, medianNs, n, cv);
        var sorted = xs.Order().ToList();
        return new VariantResultRecord
        {
            Name = name,
            Library = library,
            Technique = name,
            IsBaseline = baseline,
            Timing = new TimingRecord(xs.Average(), sorted[sorted.Count / 2], sorted[(int)Math.Ceiling(0.95 * sorted.Count) - 1], Std(xs) / Math.Sqrt(xs.Count), allocated, xs, null),
            Profile = profile,
        };
    }

    /// <summary>Log-normal noise around the median, with one slow iteration in about ten (a GC, a context switch).</summary>
    public static List<double> Measurements(Random rng, double medianNs, int n, double cv)
    {
        var xs = new List<double>(n);
        for (var i = 0; i < n; i++)
        {
            var z = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            var x = medianNs * Math.Exp(cv * z);
            xs.Add(rng.NextDouble() < 0.1 ? x * (1 + (3 * cv * rng.NextDouble())) : x);
        }

        return xs;
    }

    private static double Std(List<double> xs)
    {
        var m = xs.Average();
        return Math.Sqrt(xs.Sum(x => (x - m) * (x - m)) / (xs.Count - 1));
    }

    private static StatementRecord Stmt(string sql, string shape, long sharedHit, int executions = 1) =>
        new(sql, ["'x'"], executions, "plans/p.json", null, Plan(shape, sharedHit), null, null, [], null);

    private static ProfileRecord Profile(int roundTrips, int statements, long rows, params StatementRecord[] distinct) =>
        new(roundTrips, statements, rows, [], distinct, []);
}
