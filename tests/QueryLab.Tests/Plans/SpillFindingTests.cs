using QueryLab.Bench.Findings;
using QueryLab.Bench.Plans;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Plans;

/// <summary>Sorts, hashes and bitmaps that did not fit in work_mem, made to happen with a 64 kB work_mem.</summary>
[Collection(LabCollection.Name)]
public class SpillFindingTests(LabFixture fixture)
{
    private static readonly Dictionary<string, string> Tiny = new() { ["work_mem"] = "64kB" };

    [Fact]
    public async Task A_sort_larger_than_work_mem_spills_to_disk()
    {
        var lab = await PlanLab.GetAsync(fixture);
        var a = await lab.ExplainAsync("SELECT * FROM items ORDER BY payload", Tiny);

        var sort = PlanAssert.One(a, n => n.NodeType == "Sort", "Sort");
        Assert.True(sort.Sort!.Spilled);
        Assert.Equal("Disk", sort.Sort.SpaceType);
        var f = PlanAssert.Single(a, FindingCodes.SortSpill, sort);
        Assert.Equal(Severity.Warning, f.Severity);
        Assert.Contains("work_mem", f.Fix, StringComparison.Ordinal);
        Assert.True(a.Buffers.TempWritten > 0);

        var roomy = await lab.ExplainAsync("SELECT * FROM items ORDER BY payload", new Dictionary<string, string> { ["work_mem"] = "256MB" });
        Assert.False(roomy.Nodes.Single(n => n.NodeType == "Sort").Sort!.Spilled);
        PlanAssert.None(roomy, FindingCodes.SortSpill);
        Assert.Equal(a.ShapeHash, roomy.ShapeHash); // the sort method and memory are not part of the shape
    }

    [Fact]
    public async Task A_hash_join_larger_than_work_mem_runs_in_batches()
    {
        var lab = await PlanLab.GetAsync(fixture);
        var a = await lab.ExplainAsync(
            "SELECT count(*) FROM items a JOIN items b ON a.v = b.id",
            new Dictionary<string, string> { ["work_mem"] = "64kB", ["enable_mergejoin"] = "off", ["enable_nestloop"] = "off" });

        var hash = PlanAssert.One(a, n => n.NodeType == "Hash", "Hash");
        Assert.True(hash.Hash!.Batches > 1);
        var f = PlanAssert.Single(a, FindingCodes.HashSpill, hash);
        Assert.Contains("batches", f.Message, StringComparison.Ordinal);
        PlanAssert.TimesAddUp(a);
    }

    [Fact]
    public async Task A_bitmap_larger_than_work_mem_goes_lossy()
    {
        var lab = await PlanLab.GetAsync(fixture);
        var a = await lab.ExplainAsync(
            "SELECT count(payload) FROM items WHERE v < 100000",
            new Dictionary<string, string> { ["work_mem"] = "64kB", ["enable_seqscan"] = "off", ["enable_indexscan"] = "off" });

        var heap = PlanAssert.One(a, n => n.NodeType == "Bitmap Heap Scan", "Bitmap Heap Scan");
        Assert.True(heap.LossyHeapBlocks > 0);
        Assert.True(heap.RowsRemovedByIndexRecheck > 0);
        PlanAssert.Single(a, FindingCodes.LossyBitmap, heap);

        // One cause, one finding: the rows the recheck threw away are the lossy bitmap's, not a filter's.
        Assert.DoesNotContain(a.Findings, f => f.Code == FindingCodes.RowsRemovedByFilter && f.NodePath == heap.Path);
    }
}
