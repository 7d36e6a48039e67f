using System.Globalization;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Upgrade;

/// <summary>
/// The per-major clusters one upgrade run uses: whether each was running before the run, whether the run started it,
/// and — once the run has ended, however it ended — what became of each, which the interrupt line says: stopped or left
/// running, where it lives, and the command that removes it.
/// </summary>
internal sealed class UpgradeClusters(IReadOnlyList<int> majors)
{
    private readonly List<Use> _uses = [];

    /// <summary>Starts a major's cluster (making it first if needed); true when this run started it.</summary>
    public async Task<bool> StartAsync(EmbeddedServer server, CancellationToken ct)
    {
        var before = await server.StatusAsync(ct);
        var use = new Use(server, before.Running) { Dir = before.ClusterDir };
        _uses.Add(use); // before the start: an interrupt in pg_ctl start may leave the server up, and it is then this run's to stop
        return await server.StartAsync(ct);
    }

    public EmbeddedServer Of(int major) => _uses.First(u => u.Server.Binaries.MajorVersion == major).Server;

    /// <summary>Stops every cluster this run started or was starting (never one that was running before it), and records each one's fate.</summary>
    public async Task StopAsync(TextWriter err)
    {
        foreach (var u in _uses)
        {
            try
            {
                var status = await u.Server.StatusAsync(CancellationToken.None);
                u.Dir = status.ClusterDir ?? u.Dir;
                u.Outcome = !status.Exists ? Fate.NotMade
                    : u.RunningBefore ? Fate.LeftRunning
                    : await u.Server.StopAsync(CancellationToken.None) ? Fate.Stopped : Fate.NotRunning;
            }
            catch (Seed.LabException ex)
            {
                u.Outcome = Fate.StillRunning;
                err.WriteLine($"upgrade: warning: {ex.Message}");
            }
        }
    }

    /// <summary>
    /// "the PostgreSQL 15 cluster (/…/clusters/15/cluster) was stopped, the PostgreSQL 17 cluster (…) was left running, as
    /// it was before this run; their data stays for the next run (`querylab server destroy --pg 15`, … remove them)".
    /// Read after <see cref="StopAsync"/>.
    /// </summary>
    public string Describe()
    {
        if (_uses.Count == 0)
        {
            return "no cluster was started";
        }

        var parts = _uses.Select(u => u.Outcome == Fate.NotMade
            ? $"no PostgreSQL {Key(u)} cluster was made"
            : $"the PostgreSQL {Key(u)} cluster ({u.Dir ?? "its folder unknown"}) {Says(u)}").ToList();
        parts.AddRange(majors.Where(m => _uses.All(u => u.Server.Binaries.MajorVersion != m)).Select(m => $"PostgreSQL {Key(m)} was not reached"));
        var kept = _uses.Where(u => u.Outcome != Fate.NotMade).Select(u => $"`querylab server destroy --pg {Key(u)}`").ToList();
        var text = string.Join(", ", parts);
        return kept.Count switch
        {
            0 => text,
            1 => $"{text}; its data stays for the next run ({kept[0]} removes it)",
            _ => $"{text}; their data stays for the next run ({string.Join(", ", kept)} remove them)",
        };
    }

    private static string Says(Use u) => u.Outcome switch
    {
        Fate.Stopped => "was stopped",
        Fate.LeftRunning => "was left running, as it was before this run",
        Fate.NotRunning => "is not running",
        Fate.StillRunning => $"could not be stopped and may still be running (`querylab server stop --pg {Key(u)}` stops it)",
        _ => "was left as it was",
    };

    private static string Key(Use u) => Key(u.Server.Binaries.MajorVersion);

    private static string Key(int major) => major.ToString(CultureInfo.InvariantCulture);

    private enum Fate
    {
        Stopped,
        LeftRunning,
        NotRunning,
        StillRunning,
        NotMade,
    }

    private sealed class Use(EmbeddedServer server, bool runningBefore)
    {
        public EmbeddedServer Server { get; } = server;

        public bool RunningBefore { get; } = runningBefore;

        public string? Dir { get; set; }

        public Fate? Outcome { get; set; }
    }
}
