using Npgsql;
using QueryLab.Bench.Advice;
using QueryLab.Bench.Findings;
using QueryLab.Bench.Pipeline;
using QueryLab.Bench.Plans;
using QueryLab.Bench.Profiling;
using QueryLab.Tests.Infrastructure;
using Xunit.Abstractions;

namespace QueryLab.Tests.Advice;

/// <summary>
/// advise's INCLUDE candidates and its heap-fetch advice against the real server, in a database of their own (a table in
/// its <c>querylab</c> schema, as the lab's are), dropped at the end. The plans come from the same VERBOSE EXPLAIN advise
/// runs; the INCLUDE candidate is proven by the same <see cref="IndexProof"/> as every candidate (built in a transaction,
/// same answer, paired time, rolled back). The planner is kept off sequential and bitmap scans through the connection's
/// options, so that every connection the proof opens plans alike.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class IncludeAndHeapFetchTests(LabFixture lab, ITestOutputHelper output)
{
    private const string Database = "querylab_include";

    [Fact]
    public async Task An_index_scan_reading_the_heap_for_a_column_its_index_lacks_gets_an_INCLUDE_candidate_proven_faster_as_an_index_only_scan_and_rolled_back()
    {
        await using var ds = await ScratchAsync();
        try
        {
            var before = await Advising.IndexesAsync(ds, CancellationToken.None);
            // 10,000 rows read for 50 returned: the time is the scan's, and the scan's is the heap's.
            var select = new CapturedStatement(1, StatementKind.Command, "SELECT grp, count(*), max(label) FROM querylab.parcels WHERE grp < 50 GROUP BY grp ORDER BY grp", []);
            var plan = await ExplainAsync(ds, select);
            Assert.Contains(plan.Nodes, n => n is { NodeType: "Index Scan", IndexName: "parcels_grp_idx" });

            var source = Assert.Single(CandidateFinder.For(plan, select.Sql));
            Assert.Equal(IncludeColumns.Code, source.Code);
            Assert.Equal("querylab.parcels (grp) INCLUDE (label)", source.Candidate.ToString());
            Assert.Equal("parcels_grp_incl_label_idx", source.Candidate.Name);
            Assert.Contains("read the heap for 10,000 rows only for label, which its index lacks", source.Why, StringComparison.Ordinal);

            var op = new ReplayOperation("include-test", "npgsql", false, [select]);
            var proof = await new IndexProof(ds, AdviceSettings.Default, plansDir: null, TextWriter.Null).ProveAsync(source.Candidate, [source], [op], [], CancellationToken.None);
            var p = Assert.Single(proof.Plans);
            Assert.True(p.UsesIndex, p.AfterTree);
            Assert.Contains("Index Only Scan using parcels_grp_incl_label_idx on parcels", p.AfterTree, StringComparison.Ordinal);
            Assert.True(p.AfterBuffers < p.BeforeBuffers, $"{p.BeforeBuffers} → {p.AfterBuffers}");
            Assert.True(proof.SameAnswer);
            Assert.True(proof.BuildMs > 0 && proof.SizeBytes > 0);
            var read = Assert.Single(proof.Reads);
            output.WriteLine($"{proof.Name}: {proof.Verdict}; after ÷ before {read.Ratio:0.00} [{read.Lower:0.00}–{read.Upper:0.00}] over {read.Pairs} pairs; {p.BeforeMs:0.00} → {p.AfterMs:0.00} ms, shared buffers {p.BeforeBuffers} → {p.AfterBuffers}; build {proof.BuildMs:0.0} ms, {proof.SizeBytes} bytes");
            Assert.True(proof.Verdict == AdviceVerdict.Recommended, proof.Why);
            Assert.True(read.Upper < 1, $"{read.Ratio} [{read.Lower}–{read.Upper}] {read.Why}");
            Assert.Equal(before, await Advising.IndexesAsync(ds, CancellationToken.None));
        }
        finally
        {
            await DropAsync();
        }
    }

    [Fact]
    public async Task A_heap_fetching_index_only_scan_proposes_no_index_and_says_VACUUM_which_then_fixes_it()
    {
        await using var ds = await ScratchAsync();
        try
        {
            // A new version of every third row after the VACUUM: no page is all-visible any more.
            await ExecAsync(ds, "UPDATE querylab.parcels SET label = label WHERE id % 3 = 0", "ANALYZE querylab.parcels");
            var select = new CapturedStatement(1, StatementKind.Command, "SELECT grp FROM querylab.parcels WHERE grp < 10", []);
            var stale = await ExplainAsync(ds, select);
            var scan = Assert.Single(stale.Nodes, n => n.NodeType == "Index Only Scan");
            Assert.True(scan.HeapFetches >= 0.5 * scan.TotalActualRows, $"{scan.HeapFetches} of {scan.TotalActualRows}");
            output.WriteLine($"stale: {scan.HeapFetches} heap fetches for {scan.TotalActualRows} rows, {stale.ExecutionTime:0.00} ms");
            Assert.Contains(stale.Findings, f => f is { Code: FindingCodes.HeapFetches, Severity: Severity.Warning });

            Assert.Empty(CandidateFinder.For(stale, select.Sql)); // the index is the right one: a second would be read the same way
            var remedy = Assert.Single(NotAnIndex.For(stale, "include-test/npgsql", 1));
            Assert.Equal(FindingCodes.HeapFetches, remedy.Code);
            Assert.StartsWith("VACUUM parcels: its visibility map is out of date", remedy.Remedy, StringComparison.Ordinal);

            await ExecAsync(ds, "VACUUM querylab.parcels");
            var vacuumed = await ExplainAsync(ds, select);
            Assert.Equal(0, Assert.Single(vacuumed.Nodes, n => n.NodeType == "Index Only Scan").HeapFetches);
            Assert.Empty(NotAnIndex.For(vacuumed));
            output.WriteLine($"after VACUUM: 0 heap fetches, {vacuumed.ExecutionTime:0.00} ms");
        }
        finally
        {
            await DropAsync();
        }
    }

    /// <summary>The plan as advise reads it: EXPLAIN (ANALYZE, BUFFERS, SETTINGS, VERBOSE) inside a transaction rolled back.</summary>
    private static async Task<PlanAnalysis> ExplainAsync(NpgsqlDataSource ds, CapturedStatement s)
    {
        await using var conn = await ds.OpenConnectionAsync();
        await using var tx = await conn.BeginTransactionAsync();
        var plan = PlanAnalyzer.Analyze(await StatementReplay.ExplainAsync(conn, s, verbose: true, CancellationToken.None));
        await tx.RollbackAsync();
        return plan;
    }

    /// <summary>100,000 parcels over 500 groups (a group's rows on pages all over the table), an index on grp, all pages all-visible.</summary>
    private async Task<NpgsqlDataSource> ScratchAsync()
    {
        var cs = await lab.CreateDatabaseAsync(Database);
        var ds = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(cs) { Options = "-c enable_seqscan=off -c enable_bitmapscan=off -c max_parallel_workers_per_gather=0 -c jit=off" }.ConnectionString);
        await ExecAsync(
            ds,
            "CREATE SCHEMA querylab",
            "CREATE TABLE querylab.parcels (id int PRIMARY KEY, grp int NOT NULL, weight int NOT NULL, label text NOT NULL) WITH (autovacuum_enabled = false)",
            "INSERT INTO querylab.parcels SELECT i, i % 500, i % 97, md5(i::text) FROM generate_series(1, 100000) i",
            "CREATE INDEX parcels_grp_idx ON querylab.parcels (grp)",
            "VACUUM ANALYZE querylab.parcels");
        return ds;
    }

    private static async Task ExecAsync(NpgsqlDataSource ds, params string[] statements)
    {
        foreach (var sql in statements)
        {
            await using var cmd = ds.CreateCommand(sql);
            await cmd.ExecuteNonQueryAsync();
        }
    }

    private async Task DropAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var conn = new NpgsqlConnection(lab.ConnectionString);
        await conn.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Database} WITH (FORCE)", conn);
        await drop.ExecuteNonQueryAsync();
    }
}
