using System.Globalization;
using System.Text.RegularExpressions;
using QueryLab.Seed;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Latency;

/// <summary>
/// <c>--latency</c>: the round-trip times a run measures at, through QueryLab's latency relay — one (<c>1ms</c>) or a
/// sweep (<c>0,0.5ms,1ms,5ms</c>), in the order given. Parsed and checked once; anything else is exit 2 with one line.
/// </summary>
public sealed partial record LatencyOptions(IReadOnlyList<TimeSpan> RoundTrips)
{
    public bool IsSweep => RoundTrips.Count > 1;

    /// <summary>The latencies of <paramref name="value"/> (us, µs, ms or s; a bare number is milliseconds), or null when it is absent.</summary>
    public static LatencyOptions? Parse(string? value, bool sweepAllowed = true)
    {
        if (value is null)
        {
            return null;
        }

        var parts = value.Split(',', StringSplitOptions.TrimEntries);
        var trips = new List<TimeSpan>();
        foreach (var part in parts)
        {
            var m = Spec().Match(part);
            if (!m.Success)
            {
                throw LabException.BadInput($"--latency '{part}' is not a round-trip time; give e.g. 0.5ms, 2ms, 500us (a bare number is ms){(sweepAllowed ? ", or a sweep 0,0.5ms,1ms,5ms" : "")}");
            }

            var number = double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            var ms = number * m.Groups["unit"].Value switch { "us" or "µs" => 1e-3, "s" => 1e3, _ => 1 };
            if (ms < 0)
            {
                throw LabException.BadInput($"--latency '{part}' is negative; a round-trip time is 0 or more");
            }

            var rtt = TimeSpan.FromMilliseconds(ms);
            if (rtt > LatencyRelay.MaxRoundTrip)
            {
                throw LabException.BadInput($"--latency '{part}' is over 1 s; real networks are 0.05–20 ms (give e.g. 0.5ms, 2ms, 20ms)");
            }

            if (trips.Contains(rtt))
            {
                throw LabException.BadInput($"--latency gives {Label(rtt)} twice; name each round-trip time of a sweep once");
            }

            trips.Add(rtt);
        }

        if (trips.Count > 1 && !sweepAllowed)
        {
            throw LabException.BadInput($"--latency '{value}' is a sweep; this verb takes one round-trip time (bench and run take a sweep)");
        }

        return new LatencyOptions(trips);
    }

    /// <summary>"0 ms", "0.5 ms", "5 ms": how a round-trip time is named in reports and folders.</summary>
    public static string Label(TimeSpan rtt) => Label(rtt.TotalMilliseconds);

    public static string Label(double ms) => ms.ToString("0.###", CultureInfo.InvariantCulture) + " ms";

    [GeneratedRegex(@"^(?<value>-?\d+(\.\d+)?)(?<unit>us|µs|ms|s)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Spec();
}
