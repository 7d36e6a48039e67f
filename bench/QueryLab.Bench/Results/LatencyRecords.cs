namespace QueryLab.Bench.Results;

/// <summary>
/// The relay's own cost: the median <c>SELECT 1</c> round trip straight to the server and through the relay at
/// <paramref name="RoundTripMs"/> (0: the relay's hop alone), over <paramref name="Samples"/> round trips a side.
/// </summary>
public sealed record RelayCost(double DirectNs, double RelayedNs, double RoundTripMs, int Samples)
{
    /// <summary>What the relay adds to a round trip beyond the round-trip time it was asked for.</summary>
    public double AddedNs => RelayedNs - DirectNs - (RoundTripMs * 1e6);

    /// <summary>Round trips a new connection costs at the wire, the TCP handshake apart (counted by the relay); null in a run that did not count them.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public int? ConnectionRoundTrips { get; init; }
}

/// <summary>One round-trip time of a <c>--latency</c> sweep: the run measured at it (its folder under latency/, or this run), and its variants' figures.</summary>
public sealed record SweepPoint(double LatencyMs, string RunId, IReadOnlyList<SweepVariant> Variants)
{
    /// <summary>What one round trip through the relay came out at here (<see cref="RunResults.RelayRoundTripMs"/>); null where not measured.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public double? RelayRoundTripMs { get; init; }
}

/// <summary>A variant's figures at one round-trip time of a sweep: what report.md's sweep tables and charts show.</summary>
public sealed record SweepVariant(string Scenario, string Variant, bool IsBaseline, double? MeanNs, double? MedianNs, double? RatioToBaseline, RatioRecord? Ratio, int? RoundTrips)
{
    /// <summary>Round trips per operation at the wire at this point, connections' setup included (<see cref="WireRecord"/>); null when not counted.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public WireRecord? Wire { get; init; }
}

/// <summary>
/// A variant's operation at the wire through the latency relay: round trips (every turn of the conversation and every
/// TCP handshake) and connections opened, per operation, over <paramref name="Operations"/> operations.
/// </summary>
public sealed record WireRecord(double RoundTripsPerOp, double ConnectionsPerOp, int Operations)
{
    /// <summary>The round-trip model's check measured in pairs at this point; null where not measured (0 ms, older runs).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public ModelPairs? Model { get; init; }
}

/// <summary>
/// The round-trip model checked in pairs: slices of <paramref name="OperationsPerSlice"/> operations with the relay's delay
/// held (0 ms, the relay's hop kept) and at the round-trip time, alternating, <paramref name="Pairs"/> pairs. Medians per
/// operation: <paramref name="ZeroNs"/> at 0 ms, <paramref name="AddedNs"/> what the round-trip time added per pair.
/// </summary>
public sealed record ModelPairs(double ZeroNs, double AddedNs, int Pairs, int OperationsPerSlice)
{
    /// <summary>Measured ÷ predicted − 1, predicted = time at 0 ms + <paramref name="roundTrips"/> × RTT.</summary>
    public double Error(double roundTrips, double rttMs) => ((ZeroNs + AddedNs) / (ZeroNs + (roundTrips * rttMs * 1e6))) - 1;
}
