using Npgsql;
using QueryLab.Queries.Catalog;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Lab;

/// <summary>The lab through QueryLab's latency relay (<c>--latency</c>).</summary>
public sealed partial class LabPipeline
{
    private readonly LatencyRelay? _relay;
    private readonly LabPipeline? _owned;

    private LabPipeline(LabPipeline direct, LatencyRelay relay, bool owns)
    {
        _owned = owns ? direct : null;
        Server = direct.Server;
        Manifest = direct.Manifest;
        _relay = relay;
        var through = relay.Through(direct.Server.Connection).ConnectionString;
        DataSource = new NpgsqlDataSourceBuilder(through).Build();
        StatementLimit = direct.StatementLimit;
        var limited = Seed.Server.StatementLimit.Apply(through, StatementLimit);
        _catalogSource = new NpgsqlDataSourceBuilder(limited).Build();
        Catalog = new CatalogContext(_catalogSource, Manifest.ReferenceTime, limited)
        {
            HarnessDataSource = DataSource,
            Poolers = direct.Catalog.Poolers is { } poolers ? new RelayedPoolers(poolers, direct.Server.Connection.ConnectionString, relay.RoundTrip) : null,
        };
    }

    /// <summary>
    /// Holds (true) or restores (false) the delay of every relay this lab's connections go through: its own and its
    /// poolers' (<see cref="LatencyRelay.DelaysHeld"/>). No relay: nothing to hold.
    /// </summary>
    public void HoldDelays(bool held)
    {
        if (_relay is not null)
        {
            _relay.DelaysHeld = held;
        }

        if (Catalog.Poolers is RelayedPoolers poolers)
        {
            poolers.HoldDelays(held);
        }
    }

    /// <summary>The round-trip time the relay adds to this lab's connections; null when they go straight to the server.</summary>
    public TimeSpan? RoundTrip => _relay?.RoundTrip;

    /// <summary>
    /// This lab with every connection of the catalog (its data source, and the connection strings variants build their own
    /// data sources from) through a new latency relay at <paramref name="roundTrip"/>; a pooler a scenario starts sits beside
    /// the server and the relay between the client and it. Disposing the view stops its relay and leaves the server open.
    /// </summary>
    public LabPipeline ThroughRelay(TimeSpan roundTrip) => new(this, LatencyRelay.Start(Server.Connection, roundTrip), owns: false);

    /// <summary>
    /// The lab of a verb that runs at one round-trip time (verify, explain, load with <c>--latency</c>): a view of
    /// <paramref name="lab"/> through a relay, owning it (disposing the view disposes both).
    /// </summary>
    private static LabPipeline At(LabPipeline lab, TimeSpan rtt, LabContext ctx)
    {
        ctx.Out.WriteLine($"latency: every connection of the lab through QueryLab's latency relay at {Latency.LatencyOptions.Label(rtt)} round trip");
        return new LabPipeline(lab, LatencyRelay.Start(lab.Server.Connection, rtt), owns: true);
    }

    /// <summary>Poolers started beside the server (straight to it), each behind a latency relay of its own: client → relay → pooler → server.</summary>
    private sealed class RelayedPoolers(IPoolerLauncher inner, string directServer, TimeSpan roundTrip) : IPoolerLauncher
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<LatencyRelay, byte> _relays = new();
        private volatile bool _held;

        public string? CannotServe(string serverConnectionString) => inner.CannotServe(directServer);

        public void HoldDelays(bool held)
        {
            _held = held;
            foreach (var r in _relays.Keys)
            {
                r.DelaysHeld = held;
            }
        }

        public async Task<IPooler> StartAsync(string serverConnectionString, CancellationToken ct)
        {
            var pooler = await inner.StartAsync(directServer, ct);
            var at = new NpgsqlConnectionStringBuilder(pooler.ClientConnectionString(pooling: false));
            var relay = LatencyRelay.Start(at.Host!, at.Port, roundTrip);
            relay.DelaysHeld = _held;
            _relays.TryAdd(relay, 0);
            return new Relayed(pooler, relay, () => _relays.TryRemove(relay, out _));
        }

        private sealed class Relayed(IPooler pooler, LatencyRelay relay, Action gone) : IPooler
        {
            public string Version => pooler.Version;

            public string ClientConnectionString(bool pooling) =>
                relay.Through(new NpgsqlConnectionStringBuilder(pooler.ClientConnectionString(pooling))).ConnectionString;

            public async ValueTask DisposeAsync()
            {
                gone();
                await relay.DisposeAsync();
                await pooler.DisposeAsync();
            }
        }
    }
}
