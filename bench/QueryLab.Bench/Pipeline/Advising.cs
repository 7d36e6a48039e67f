using System.Globalization;
using Npgsql;
using QueryLab.Bench.Advice;
using QueryLab.Bench.Exits;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Plans;
using QueryLab.Bench.Profiling;
using QueryLab.Bench.Results;
using QueryLab.Queries.Catalog;
using QueryLab.Seed;
using QueryLab.Seed.Seeding;

namespace QueryLab.Bench.Pipeline;

/// <summary>What <c>querylab advise</c> was asked, parsed and checked once.</summary>
/// <param name="Variants">Comma-separated globs of variant names (null: every variant of the selected scenarios).</param>
/// <param name="MigrationDir">--write-migration: where the recommended indexes go as migration files (null: nowhere).</param>
public sealed record AdviseOptions(ServerChoice Server, IReadOnlyList<IScenario> Scenarios, string? Variants, string ReportsDir, string? MigrationDir, AdviceSettings Settings, string CommandLine);

/// <summary>
/// <c>querylab advise</c>: capture each selected variant's statements, read their plans' index-fixable findings, propose
/// candidates, prove each on the lab inside a rolled-back transaction (<see cref="IndexProof"/>), check that the lab is as
/// it was (its indexes, its tables' checksums against the seed manifest, its planner statistics), and write advice.md and
/// advice.json into a run folder.
/// </summary>
public static partial class Advising
{
    [System.Text.RegularExpressions.GeneratedRegex(@"\b(UPDATE|INSERT|DELETE|MERGE)\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex WritesRows();

    public static async Task<int> RunAsync(AdviseOptions o, LabContext ctx, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(o);
        ArgumentNullException.ThrowIfNull(ctx);
        var started = DateTimeOffset.UtcNow;
        var load = LoadAverage();
        await using var lab = await LabPipeline.OpenAsync(o.Server, ctx, seed: null, ct);
        await using var benchLock = await lab.AcquireBenchLockAsync(ct);
        var folder = RunFolder.Create(o.ReportsDir, $"{lab.Manifest.Scale}-advise", started);
        ctx.Work.Enter("capturing the statements", () => folder.DescribeUnfinished() + "; no candidate index was left on the lab (each lives in a transaction that is rolled back)");
        try
        {
            var indexesBefore = (await IndexesAsync(lab.DataSource, ct)).Concat(await ExtensionsAsync(lab.DataSource, ct)).ToList();
            var statsBefore = await PlannerStatistics.ReadAsync(lab.DataSource, ct);
            var (reads, writes, notes) = await CaptureAsync(lab, o, ctx, ct);
            var others = new List<OtherRemedy>();
            var candidates = await ProposeAsync(lab.DataSource, reads, indexesBefore, notes, others, ctx, ct);
            foreach (var r in others)
            {
                ctx.Out.WriteLine($"advise: {r.Code} in {r.Operation} statement {r.Statement} (node {r.NodePath}): {r.Message}; not an index: {r.Remedy}");
            }


            var proofs = new List<CandidateProof>();
            if (candidates.Count == 0)
            {
                ctx.Out.WriteLine($"advise: no index-fixable finding in the plans of {reads.Count} operation(s): nothing to propose");
            }
            else
            {
                ctx.Out.WriteLine($"advise: {candidates.Count} candidate(s) from {reads.Count} operation(s); proving each inside a transaction that is rolled back");
                var proof = new IndexProof(lab.DataSource, o.Settings, folder.WorkDir, ctx.Out);
                var hypopg = await HypotheticalScreen.UnavailableAsync(lab.DataSource, ct);
                ctx.Out.WriteLine("advise: " + (hypopg ?? "HypoPG screens each candidate first (a hypothetical index, planner costs only): one the planner would not choose is not built"));
                if (hypopg is not null)
                {
                    notes.Add(hypopg);
                }

                foreach (var (c, i) in candidates.Select((c, i) => (c, i + 1)))
                {
                    ctx.Work.Step($"proving {c.Candidate.Name} ({i}/{candidates.Count})");
                    ctx.Out.WriteLine($"advise: [{i}/{candidates.Count}] {c.Candidate}");
                    if (hypopg is null && !await HypotheticalScreen.WouldUseAsync(lab.DataSource, c.Candidate, c.Operations.SelectMany(r => r.Distinct).Where(s => s.Kind != StatementKind.Copy && IsExplainable(s.Sql)), ct))
                    {
                        var screened = IndexProof.ScreenedOut(c.Candidate, c.Sources);
                        ctx.Out.WriteLine($"  {c.Candidate.Name}: {IndexProof.Describe(screened.Verdict)} — {screened.Why}");
                        proofs.Add(screened);
                        continue;
                    }

                    proofs.Add(await proof.ProveAsync(c.Candidate, c.Sources, c.Operations.Where(r => r.Replayable).ToList(), writes, ct));
                }
            }

            ctx.Work.Step("checking that the lab is as it was");
            var restored = await RestoredAsync(lab, indexesBefore, statsBefore, ct);
            ctx.Out.WriteLine($"advise: the lab afterwards: {restored.Detail}");
            var results = new AdviceResults(
                AdviceResults.Version, folder.RunId, o.CommandLine, lab.Manifest.ToString(), lab.Server.Description, started, DateTimeOffset.UtcNow,
                load, o.Settings.WriteBudget, reads.Select(r => r.Key).ToList(), notes, proofs, restored) { OtherRemedies = others };
            ctx.Work.Step("writing the advice");
            await File.WriteAllTextAsync(folder.PathOf("advice.json"), AdviceReport.Json(results), ct);
            await File.WriteAllTextAsync(folder.PathOf("advice.md"), AdviceReport.Render(results), ct);
            var final = folder.Complete(updateLatest: false);
            foreach (var p in proofs)
            {
                ctx.Out.WriteLine($"  {IndexProof.Describe(p.Verdict),-15} {p.Name}: {p.Why}");
            }

            var recommended = proofs.Where(p => p.Verdict == AdviceVerdict.Recommended).ToList();
            ctx.Out.WriteLine($"advise: {recommended.Count} of {proofs.Count} candidate(s) recommended; advice: {ctx.Display(Path.Combine(final, "advice.md"))} (in {(DateTimeOffset.UtcNow - started).TotalSeconds:0} s)");
            if (o.MigrationDir is { } dir)
            {
                var files = AdviceMigration.Write(dir, recommended, folder.RunId);
                ctx.Out.WriteLine(files.Count == 0
                    ? "advise: --write-migration: nothing recommended, no migration written"
                    : $"advise: wrote {string.Join(", ", files.Select(ctx.Display))} (check it with `querylab migrate --check --migrations {ctx.Display(dir)}`)");
            }

            ctx.Work.Leave();
            return ExitCodes.Code(ExitCodes.If(!restored.All, Ending.VerificationFailed));
        }
        catch
        {
            // The stage stays entered: an interrupt is described after this unwinds, with the folder as it is then.
            folder.Abandon();
            throw;
        }
    }

    private sealed record Proposal(IndexCandidate Candidate, List<CandidateSource> Sources, List<ReplayOperation> Operations);

    /// <summary>Runs each selected variant once with capture on (after a warm-up operation), and each write scenario's baseline.</summary>
    private static async Task<(List<ReplayOperation> Reads, List<ReplayOperation> Writes, List<string> Notes)> CaptureAsync(LabPipeline lab, AdviseOptions o, LabContext ctx, CancellationToken ct)
    {
        var capture = new NpgsqlDataSourceBuilder(lab.Catalog.ConnectionString);
        WireCapture.Configure(capture);
        await using var captureSource = capture.Build();
        await using var catalog = new CatalogContext(captureSource, lab.Manifest.ReferenceTime, lab.Catalog.ConnectionString, WireCapture.Configure) { Poolers = lab.Catalog.Poolers };
        var globs = o.Variants?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var reads = new List<ReplayOperation>();
        var writes = new List<ReplayOperation>();
        var notes = new List<string>();
        var writeScenarios = ScenarioCatalog.All.Where(s => s.Writes);
        foreach (var scenario in o.Scenarios.Union(writeScenarios))
        {
            var selected = o.Scenarios.Contains(scenario)
                ? scenario.Variants.Where(v => globs is null || globs.Any(g => ScenarioCatalog.Matches(v.Name, g))).ToList()
                : [];
            var variants = scenario.Writes ? selected.Union([scenario.Baseline]).ToList() : selected;
            if (variants.Count == 0)
            {
                continue;
            }

            ctx.Work.Step($"capturing {scenario.Name}");
            await using var prepared = await scenario.PrepareAsync(catalog, ct);
            foreach (var v in variants)
            {
                if (prepared.NotRunReason(v) is { } reason)
                {
                    notes.Add($"{scenario.Name}/{v.Name} not looked at: {reason}");
                    continue;
                }

                await prepared.RunAsync(v, 0, collect: false, ct); // warm-up: caches, pools, EF's query cache
                IReadOnlyList<CapturedStatement> statements;
                using (var scope = WireCapture.Begin())
                {
                    await prepared.RunAsync(v, 0, collect: false, ct);
                    statements = scope.Statements;
                }

                var op = new ReplayOperation(scenario.Name, v.Name, scenario.Writes, statements);
                if (selected.Contains(v))
                {
                    reads.Add(op);
                }

                if (scenario.Writes && v.IsBaseline && statements.Any(st => WritesRows().IsMatch(st.Sql)))
                {
                    if (op.Replayable)
                    {
                        writes.Add(op);
                    }
                    else
                    {
                        notes.Add($"{op.Key}: its statements cannot be replayed (COPY), so no write cost is measured on it");
                    }
                }
            }
        }

        ctx.Out.WriteLine($"advise: captured {reads.Count} operation(s) ({reads.Sum(r => r.Distinct.Count)} distinct statement(s)); write scenarios for write cost: {string.Join(", ", writes.Select(w => w.Key))}");
        return (reads, writes, notes);
    }

    /// <summary>
    /// The candidates of every operation's plans (explained with VERBOSE, for the columns each scan returns), merged by
    /// definition; those an existing index already is are noted and dropped. The findings no index fixes go to <paramref name="others"/>.
    /// </summary>
    private static async Task<List<Proposal>> ProposeAsync(NpgsqlDataSource ds, List<ReplayOperation> reads, IReadOnlyList<string> existing, List<string> notes, List<OtherRemedy> others, LabContext ctx, CancellationToken ct)
    {
        var proposals = new Dictionary<string, Proposal>(StringComparer.Ordinal);
        await using var conn = await ds.OpenConnectionAsync(ct);
        await using var tx = await conn.BeginTransactionAsync(ct);
        try
        {
            foreach (var op in reads)
            {
                ctx.Work.Step($"explaining {op.Key}");
                foreach (var (s, i) in op.Distinct.Select((s, i) => (s, i + 1)))
                {
                    if (s.Kind == StatementKind.Copy || !IsExplainable(s.Sql))
                    {
                        continue;
                    }

                    PlanAnalysis plan;
                    try
                    {
                        plan = PlanAnalyzer.Analyze(await StatementReplay.ExplainAsync(conn, s, verbose: true, ct));
                    }
                    catch (PostgresException e) when (!ct.IsCancellationRequested)
                    {
                        notes.Add($"{op.Key} statement {i}: EXPLAIN failed ({e.SqlState} {e.MessageText})");
                        continue;
                    }

                    others.AddRange(NotAnIndex.For(plan, op.Key, i));
                    foreach (var source in CandidateFinder.For(plan, s.Sql))
                    {
                        var key = source.Candidate.ToString();
                        if (!proposals.TryGetValue(key, out var p))
                        {
                            p = new Proposal(source.Candidate, [], []);
                            proposals[key] = p;
                        }

                        p.Sources.Add(source with { Why = $"{op.Key} statement {i}: {source.Why}" });
                        if (!p.Operations.Contains(op))
                        {
                            p.Operations.Add(op);
                        }
                    }
                }
            }
        }
        finally
        {
            await tx.RollbackAsync(CancellationToken.None);
        }

        var kept = new List<Proposal>();
        foreach (var p in proposals.Values)
        {
            var same = existing.FirstOrDefault(e => e.EndsWith($"ON {IndexCandidate.Schema}.{p.Candidate.Table} USING btree {p.Candidate.Definition}", StringComparison.Ordinal));
            if (same is not null)
            {
                notes.Add($"{p.Candidate} is already an index of the lab ({same.Split(' ')[0]}); not proposed");
                continue;
            }

            kept.Add(p);
        }

        return kept;
    }

    private static bool IsExplainable(string sql)
    {
        var first = sql.TrimStart('(', ' ', '\n', '\r', '\t').Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.ToUpperInvariant();
        return first is "SELECT" or "WITH" or "INSERT" or "UPDATE" or "DELETE" or "VALUES" or "TABLE" or "MERGE";
    }

    /// <summary>The lab's indexes as the server defines them: <c>name CREATE INDEX … ON querylab.t USING btree (…)</c>, ordered.</summary>
    public static async Task<IReadOnlyList<string>> IndexesAsync(NpgsqlDataSource ds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(ds);
        const string sql = """
            SELECT i.relname || ' ' || pg_get_indexdef(i.oid)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
            WHERE n.nspname = 'querylab' ORDER BY 1
            """;
        var list = new List<string>();
        await using var cmd = ds.CreateCommand(sql);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(r.GetString(0));
        }

        return list;
    }

    /// <summary>The database's extensions (<c>extension hypopg 1.3.1</c>): HypoPG's, created in a savepoint, must be gone again.</summary>
    private static async Task<IReadOnlyList<string>> ExtensionsAsync(NpgsqlDataSource ds, CancellationToken ct)
    {
        var list = new List<string>();
        await using var cmd = ds.CreateCommand("SELECT 'extension ' || extname || ' ' || extversion FROM pg_extension ORDER BY 1");
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            list.Add(r.GetString(0));
        }

        return list;
    }

    private static async Task<LabRestored> RestoredAsync(LabPipeline lab, List<string> indexesBefore, IReadOnlyDictionary<string, string> statsBefore, CancellationToken ct)
    {
        var indexesAfter = (await IndexesAsync(lab.DataSource, ct)).Concat(await ExtensionsAsync(lab.DataSource, ct)).ToList();
        var checksums = await TableChecksums.ComputeAsync(lab.DataSource, ct);
        var statsAfter = await PlannerStatistics.ReadAsync(lab.DataSource, ct);
        var indexes = indexesBefore.SequenceEqual(indexesAfter, StringComparer.Ordinal);
        var changed = checksums.Where(c => lab.Manifest.TableChecksums.GetValueOrDefault(c.Key) != c.Value.Checksum).Select(c => c.Key).ToList();
        var stats = statsBefore.Count == statsAfter.Count && statsBefore.All(s => statsAfter.GetValueOrDefault(s.Key) == s.Value);
        var parts = new List<string>
        {
            indexes ? $"the same {indexesAfter.Count(i => !i.StartsWith("extension ", StringComparison.Ordinal))} indexes and extensions" : $"indexes or extensions differ (before: {indexesBefore.Count}, after: {indexesAfter.Count}: {string.Join("; ", indexesAfter.Except(indexesBefore))})",
            changed.Count == 0 ? $"the {checksums.Count} tables' checksums match the seed manifest" : $"checksums differ from the seed manifest: {string.Join(", ", changed)}",
            stats ? $"the planner statistics of {statsAfter.Count} tables are unchanged (the ANALYZE of each candidate was rolled back with it)" : "the planner statistics changed",
        };
        return new LabRestored(indexes, changed.Count == 0, stats, string.Join("; ", parts));
    }

    private static double? LoadAverage()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            return double.Parse(text.Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
