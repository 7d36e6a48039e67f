using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace QueryLab.Seed.Seeding;

/// <summary>
/// Fills the querylab schema with deterministic synthetic data at a named scale (see seed/DISTRIBUTIONS.md), and
/// records what it loaded in querylab.seed_manifest. Assumes the migrations have been applied.
/// </summary>
/// <param name="dataSource">The lab database.</param>
/// <param name="console">Where the plan, the progress and the summary go.</param>
public sealed partial class Seeder(NpgsqlDataSource dataSource, TextWriter console)
{
    private readonly NpgsqlDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
    private readonly TextWriter _console = console ?? throw new ArgumentNullException(nameof(console));
    private string _seeding = "seeding";

    /// <summary>The oldest major the seeder fills: the oldest QueryLab supports (13 computes the checksums' hash_record_extended in SQL).</summary>
    public const int MinimumServerMajor = Server.ServerBinaries.OldestSupportedMajor;

    /// <summary>How long a seed waits for another seed of the same database to finish before refusing.</summary>
    public TimeSpan LockWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Redraw progress in place (a terminal) or print a line every few seconds (a log). Default: in place only
    /// when <c>console</c> is <see cref="Console.Out"/> and the output is not redirected.</summary>
    public bool ConsoleIsTerminal { get; init; } = ReferenceEquals(console, Console.Out) && !Console.IsOutputRedirected;

    /// <summary>Told which phase the seed is in once the manifest is marked incomplete, for the line an interrupt prints.</summary>
    public WorkInProgress? Work { get; init; }

    public async Task<SeedOutcome> SeedAsync(SeedRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var total = Stopwatch.StartNew();
        await using var seedLock = await AdvisoryLock.AcquireAsync(_dataSource, LockWait, ct);

        SeedDecision decision;
        await using (var conn = await _dataSource.OpenConnectionAsync(ct))
        {
            if (conn.PostgreSqlVersion.Major < MinimumServerMajor)
            {
                throw new SeedException(
                    $"the seeder needs PostgreSQL {MinimumServerMajor} or later; the server is {conn.PostgreSqlVersion}");
            }

            var existing = await SeedManifest.ReadAsync(conn, ct);
            var unmanifested = existing is null && await ManifestStore.AnyDataAsync(conn, ct);
            decision = SeedDecision.Decide(existing, unmanifested, request);
            _console.WriteLine(decision.Reason);
            if (decision.IsNoOp)
            {
                return new SeedOutcome(true, existing!, total.Elapsed, []);
            }
        }

        var model = GenerationModel.Create(request.Scale, request.Seed);
        var plan = SeedPlan.Estimate(model);
        plan.Print(_console, request);
        await using (var conn = await _dataSource.OpenConnectionAsync(ct))
        {
            var existing = await SeedManifest.ReadAsync(conn, ct);
            var room = await DiskRoom.MeasureAsync(conn, plan, existing?.IsComplete == true, ct);
            _console.WriteLine(DiskRoom.Describe(room, request.Scale.Key));
            if (DiskRoom.Refusal(room, request.Scale.Key) is { } refusal)
            {
                throw refusal; // before the manifest is touched: the data there stays as it was
            }
        }

        var phases = new List<SeedPhase>();
        int deferred;
        await using (var conn = await _dataSource.OpenConnectionAsync(ct))
        {
            await ManifestStore.MarkIncompleteAsync(conn, request, ct);
            _seeding = $"seeding scale {request.Scale.Key} seed {request.Seed}";
            Work?.Enter(
                $"{_seeding} (dropping keys and indexes)",
                () => "the seed manifest is marked incomplete: verify and bench refuse this database, and the next `querylab seed` (or `run`) reseeds it from scratch without --force");
            deferred = await DeferredDdl.RecordAndDropAsync(conn, ct);
        }

        Work?.Step($"{_seeding} (loading the tables)");

        _console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Loading with binary COPY FREEZE on {GeneratorInfo.Tables.Count} connections ({deferred} keys and indexes deferred):"));
        var loaded = await LoadAsync(model, plan, request.EffectiveParallelism, phases, ct);

        await StepAsync(phases, SeedPhase.Indexes, () => DeferredDdl.RebuildAsync(_dataSource, ct));
        await StepAsync(phases, SeedPhase.Vacuum, () => PostLoad.VacuumAnalyzeAsync(_dataSource, ct));
        await StepAsync(phases, SeedPhase.Refresh, () => PostLoad.RefreshSummaryAsync(_dataSource, ct));
        await StepAsync(phases, SeedPhase.Sequences, () => PostLoad.ResetSequencesAsync(_dataSource, ct));
        IReadOnlyDictionary<string, TableChecksum> checksums = new Dictionary<string, TableChecksum>();
        await StepAsync(phases, SeedPhase.Checksums, async () => checksums = await TableChecksums.ComputeAsync(_dataSource, ct));
        var sizes = await PostLoad.SizesAsync(_dataSource, ct);

        foreach (var l in loaded)
        {
            if (checksums[l.Table].Rows != l.Rows)
            {
                throw new SeedException($"{l.Table} holds {checksums[l.Table].Rows} rows after the load, {l.Rows} were copied");
            }
        }

        SeedManifest manifest;
        await using (var conn = await _dataSource.OpenConnectionAsync(ct))
        {
            await ManifestStore.MarkCompleteAsync(conn, checksums, ct);
            Work?.Leave();
            manifest = (await SeedManifest.ReadAsync(conn, ct))!;
        }

        var stats = loaded.Select(l => new TableLoadStats(l.Table, l.Rows, l.Elapsed, sizes[l.Table])).ToList();
        var outcome = new SeedOutcome(false, manifest, total.Elapsed, stats) { Phases = phases };
        PrintSummary(outcome);
        return outcome;
    }

    private async Task<IReadOnlyList<TableLoadResult>> LoadAsync(
        GenerationModel model, SeedPlan plan, int parallelism, List<SeedPhase> phases, CancellationToken ct)
    {
        var progress = plan.CreateProgress();
        var reporter = new ProgressReporter(_console, progress, ConsoleIsTerminal);
        var started = Stopwatch.GetTimestamp();
        using var stopReporting = new CancellationTokenSource();
        var reporting = reporter.RunAsync(stopReporting.Token);
        try
        {
            return await new LoadPipeline(_dataSource, model, parallelism, progress).RunAsync(ct);
        }
        finally
        {
            await stopReporting.CancelAsync();
            await reporting;
            reporter.Report(final: true);
            phases.Add(new SeedPhase(SeedPhase.Load, Stopwatch.GetElapsedTime(started)));
        }
    }

    private async Task StepAsync(List<SeedPhase> phases, string name, Func<Task> step)
    {
        Work?.Step($"{_seeding} ({name})");
        _console.Write(string.Create(CultureInfo.InvariantCulture, $"  {name,-27}"));
        _console.Flush();
        var started = Stopwatch.GetTimestamp();
        await step();
        var elapsed = Stopwatch.GetElapsedTime(started);
        phases.Add(new SeedPhase(name, elapsed));
        _console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalSeconds,7:0.0} s"));
    }

    private void PrintSummary(SeedOutcome outcome)
    {
        var inv = CultureInfo.InvariantCulture;
        _console.WriteLine(string.Create(inv,
            $"Seeded scale {outcome.Manifest.Scale} seed {outcome.Manifest.Seed} in {outcome.Elapsed.TotalSeconds:0.0} s; manifest complete."));
        _console.WriteLine(string.Create(inv, $"  {"table",-17}{"rows",13} {"copy s",8} {"rows/s",8} {"size MB",9}  checksum"));
        foreach (var t in outcome.Tables)
        {
            _console.WriteLine(string.Create(inv,
                $"  {t.Table,-17}{t.Rows,13:N0} {t.LoadElapsed.TotalSeconds,8:0.0} {TableProgress.Rate(t.RowsPerSecond),8} {t.Bytes / 1e6,9:0.0}  {outcome.Manifest.TableChecksums.GetValueOrDefault(t.Table)}"));
        }

        var load = outcome.Phases.FirstOrDefault(p => p.Name == SeedPhase.Load)?.Elapsed ?? TimeSpan.Zero;
        _console.WriteLine(string.Create(inv,
            $"  {"total",-17}{outcome.TotalRows,13:N0} {load.TotalSeconds,8:0.0} {TableProgress.Rate(outcome.TotalRows / Math.Max(load.TotalSeconds, 1e-9)),8} {outcome.TotalBytes / 1e6,9:0.0}"));
    }
}
