using System.Diagnostics;
using QueryLab.Seed.Seeding;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests;

/// <summary>Room for the scale asked: the disk a seed needs is checked before anything is written (issue "production scale, for real").</summary>
public sealed class DiskRoomTests
{
    [Fact]
    [Trait("Category", "Serverless")]
    public void The_estimate_follows_the_rows_at_the_bytes_per_row_measured_on_medium_with_a_quarter_more()
    {
        // medium's rows; its seed measured 1,316.7 MB of tables and indexes.
        var medium = DiskRoom.Estimate([("carriers", 200), ("shipments", 1_000_000), ("tracking_events", 5_762_313), ("transactions", 1_079_825)]);

        Assert.InRange(medium / (double)(1L << 20), 1316.7 * 1.25 * 0.97, 1316.7 * 1.25 * 1.03);
        Assert.InRange(DiskRoom.Estimate([("shipments", 1000)], measuredFactor: 2) - (2 * DiskRoom.Estimate([("shipments", 1000)])), -1, 1);
    }

    [Fact]
    [Trait("Category", "Serverless")]
    public void Too_little_room_is_exit_3_with_both_figures_and_an_unknown_disk_is_said_and_passes()
    {
        var tight = new DiskRoomCheck(NeededBytes: 17L << 30, FreeBytes: 4L << 30, ReclaimedBytes: 1L << 30, Where: "/var/lib/postgresql/data");
        var refusal = DiskRoom.Refusal(tight, "production");

        Assert.NotNull(refusal);
        Assert.Equal(Seed.ExitCode.Environment, refusal!.Code);
        Assert.Equal("not enough disk for scale production: it needs about 17.0 GB, and /var/lib/postgresql/data has 4.0 GB free (+1.0 GB the current seed would free); free space on that disk or seed a smaller scale (nothing was written)", refusal.Message);
        Assert.Null(DiskRoom.Refusal(tight with { FreeBytes = 16L << 30 }, "production")); // 16 free + 1 freed = 17 needed
        var unknown = tight with { FreeBytes = null, Where = "the server is on db.example.com" };
        Assert.Null(DiskRoom.Refusal(unknown, "production"));
        Assert.Contains("not known here (the server is on db.example.com), so it is not checked", DiskRoom.Describe(unknown, "production"), StringComparison.Ordinal);
    }

    /// <summary>
    /// A real embedded cluster on a small tmpfs: tiny fits, small does not; the refusal writes nothing, so tiny is still
    /// complete and verifies. Needs root (mount); skipped, saying why, where tmpfs cannot be mounted.
    /// </summary>
    [SkippableFact]
    public async Task A_seed_that_would_not_fit_on_the_servers_disk_is_refused_before_it_writes_and_the_data_there_stays()
    {
        var mount = Directory.CreateTempSubdirectory("querylab-tmpfs").FullName;
        var mounted = await RunAsync("mount", "-t", "tmpfs", "-o", "size=160m,mode=0777", "tmpfs", mount);
        Skip.If(mounted != 0, $"cannot mount a tmpfs here (mount exit {mounted}; it needs root): the disk-room refusal is checked by the serverless tests only");
        var env = new Dictionary<string, string?> { ["QUERYLAB_HOME"] = Path.Combine(mount, "home"), ["QUERYLAB_CONNECTION"] = null, ["DATABASE_URL"] = null };
        try
        {
            var tiny = await CliRunner.RunAsync(env, "seed", "--scale", "tiny");
            Assert.True(tiny.ExitCode == 0, tiny.All);
            Assert.Contains("disk: scale tiny needs about", tiny.Out, StringComparison.Ordinal);
            Assert.Contains($"free at {Path.Combine(mount, "home")}", tiny.Out, StringComparison.Ordinal);

            var small = await CliRunner.RunAsync(env, "seed", "--scale", "small", "--force");

            Assert.Equal(3, small.ExitCode);
            Assert.Contains("not enough disk for scale small: it needs about", small.Err, StringComparison.Ordinal);
            Assert.Contains("nothing was written", small.Err, StringComparison.Ordinal);
            var after = await CliRunner.RunAsync(env, "verify", "--scenario", "lookup-by-tracking-number");
            Assert.True(after.ExitCode == 0, after.All);
            Assert.Contains("dataset: scale tiny seed 42 (generator v1, complete)", after.Out, StringComparison.Ordinal);
        }
        finally
        {
            await CliRunner.RunAsync(env, "server", "stop");
            await RunAsync("umount", mount);
            try
            {
                Directory.Delete(mount, recursive: true);
            }
            catch (IOException)
            {
                // still mounted if the server would not stop: harmless in a temp folder
            }
        }
    }

    private static async Task<int> RunAsync(string file, params string[] args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            await p.WaitForExitAsync();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
