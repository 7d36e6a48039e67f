using System.Globalization;
using System.Text.RegularExpressions;
using QueryLab.Queries.Catalog;
using QueryLab.Seed;

namespace QueryLab.Bench.Timing;

/// <summary>
/// How a measuring run departs from its profile: fewer or more measured iterations (<c>--iterations</c>, what
/// <c>querylab ab</c> gives each round), no profiling pass (<c>--no-profile</c>), and delays injected into chosen
/// variants (<c>--inject-delay</c>, spent where <c>--inject-at</c> says) to calibrate what <c>compare</c> can detect.
/// </summary>
public sealed partial record TimingOptions(int? Iterations, bool Profile, IReadOnlyDictionary<string, InjectedDelay> InjectedDelays)
{
    public static TimingOptions Default { get; } = new(null, true, new Dictionary<string, InjectedDelay>());

    /// <summary>Where the injected delays are spent: <see cref="SlowdownInjection.Places"/>.</summary>
    public string InjectAt { get; init; } = SlowdownInjection.Auto;

    /// <summary>Each case is followed by a plain async loop of the same operations (calibrate's fidelity check).</summary>
    public bool LoopCheck { get; init; }

    /// <summary>
    /// A sweep's pass at another round-trip time than the run's own: no allocation pass and no harness floor, which the
    /// run's own pass measures (allocations and the floor do not change with the network; the report shows the run's).
    /// </summary>
    public bool OtherSweepPoint { get; init; }

    /// <summary>The round-trip times to measure at through the latency relay (<c>--latency</c>); null: straight to the server.</summary>
    public Latency.LatencyOptions? Latency { get; init; }

    /// <summary>
    /// Parses <c>scenario/variant=delay</c> (delay: <c>250ns</c>, <c>40us</c>, <c>1.5ms</c>, or <c>10%</c> of the variant's
    /// warm-up median; the variant may be <c>*</c> for every variant of the scenario) against the catalog; anything else
    /// is exit 2.
    /// </summary>
    public static IReadOnlyDictionary<string, InjectedDelay> ParseDelays(IEnumerable<string> specs, IReadOnlyList<IScenario> catalog)
    {
        ArgumentNullException.ThrowIfNull(specs);
        ArgumentNullException.ThrowIfNull(catalog);
        var delays = new Dictionary<string, InjectedDelay>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            var m = DelaySpec().Match(spec);
            if (!m.Success)
            {
                throw LabException.BadInput($"--inject-delay '{spec}' is not scenario/variant=delay (e.g. pending-page/npgsql-prepared=25us or =10%; units ns, us, ms, % of the variant's median)");
            }

            var (scenarioName, variantName) = (m.Groups["scenario"].Value, m.Groups["variant"].Value);
            var scenario = catalog.FirstOrDefault(s => s.Name == scenarioName)
                ?? throw LabException.BadInput($"--inject-delay '{spec}': no scenario '{scenarioName}' among those selected ({string.Join(", ", catalog.Select(s => s.Name))})");
            var variants = variantName == "*" ? scenario.Variants : scenario.Variants.Where(v => v.Name == variantName).ToList();
            if (variants.Count == 0)
            {
                throw LabException.BadInput($"--inject-delay '{spec}': {scenarioName} has no variant '{variantName}' ({string.Join(", ", scenario.Variants.Select(v => v.Name))})");
            }

            var value = double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            InjectedDelay delay;
            if (m.Groups["unit"].Value == "%")
            {
                if (value is < 0 or > 1000)
                {
                    throw LabException.BadInput($"--inject-delay '{spec}': a delay in percent must be between 0% (the reference: the injection's path, no delay) and 1000% of the variant's median");
                }

                delay = new InjectedDelay(null, value / 100);
            }
            else
            {
                var ns = value * m.Groups["unit"].Value switch { "ns" => 1, "us" or "µs" => 1e3, _ => 1e6 };
                if (ns < 0 || ns > 1e9)
                {
                    throw LabException.BadInput($"--inject-delay '{spec}': the delay must be between 0 (the reference: the injection's path, no delay) and 1 s");
                }

                delay = new InjectedDelay(ns, null);
            }

            foreach (var v in variants)
            {
                delays[BenchmarkCases.Key(scenarioName, v.Name)] = delay;
            }
        }

        return delays;
    }

    [GeneratedRegex(@"^(?<scenario>[a-z0-9-]+)/(?<variant>[a-z0-9*-]+)=(?<value>\d+(\.\d+)?)(?<unit>ns|us|µs|ms|%)$", RegexOptions.CultureInvariant)]
    private static partial Regex DelaySpec();
}

/// <summary>An <c>--inject-delay</c>: a fixed time per operation, or a fraction of the variant's warm-up median.</summary>
public sealed record InjectedDelay(double? Ns, double? Fraction)
{
    /// <summary>The delay per operation for a variant whose warm-up median is <paramref name="estimateNs"/>; null for a fraction without a median.</summary>
    public double? NsFor(double estimateNs) => Ns ?? (Fraction == 0 ? 0 : estimateNs > 0 ? Fraction * estimateNs : null);

    public override string ToString() => Ns is { } ns ? Reports.Units.Time(ns) : $"{Fraction * 100:0.#}%";
}
