using System.Globalization;
using System.Text.RegularExpressions;
using QueryLab.Queries.Catalog;
using QueryLab.Seed;

namespace QueryLab.Bench.Timing;

/// <summary>
/// How a measuring run departs from its profile: fewer or more measured iterations (<c>--iterations</c>, what
/// <c>querylab ab</c> gives each round), no profiling pass (<c>--no-profile</c>), and delays injected into chosen
/// variants (<c>--inject-delay</c>) to calibrate what <c>compare</c> can detect.
/// </summary>
public sealed partial record TimingOptions(int? Iterations, bool Profile, IReadOnlyDictionary<string, double> InjectedDelaysNs)
{
    public static TimingOptions Default { get; } = new(null, true, new Dictionary<string, double>());

    /// <summary>Each case is followed by a plain async loop of the same operations (calibrate's fidelity check).</summary>
    public bool LoopCheck { get; init; }

    /// <summary>
    /// Parses <c>scenario/variant=duration</c> (duration: <c>250ns</c>, <c>40us</c>, <c>1.5ms</c>; the variant may be
    /// <c>*</c> for every variant of the scenario) against the catalog; anything else is exit 2.
    /// </summary>
    public static IReadOnlyDictionary<string, double> ParseDelays(IEnumerable<string> specs, IReadOnlyList<IScenario> catalog)
    {
        ArgumentNullException.ThrowIfNull(specs);
        ArgumentNullException.ThrowIfNull(catalog);
        var delays = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var spec in specs)
        {
            var m = DelaySpec().Match(spec);
            if (!m.Success)
            {
                throw LabException.BadInput($"--inject-delay '{spec}' is not scenario/variant=duration (e.g. pending-page/npgsql-prepared=25us; units ns, us, ms)");
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
            var ns = value * m.Groups["unit"].Value switch { "ns" => 1, "us" or "µs" => 1e3, _ => 1e6 };
            if (ns <= 0 || ns > 1e9)
            {
                throw LabException.BadInput($"--inject-delay '{spec}': the delay must be more than 0 and at most 1 s");
            }

            foreach (var v in variants)
            {
                delays[BenchmarkCases.Key(scenarioName, v.Name)] = ns;
            }
        }

        return delays;
    }

    [GeneratedRegex(@"^(?<scenario>[a-z0-9-]+)/(?<variant>[a-z0-9*-]+)=(?<value>\d+(\.\d+)?)(?<unit>ns|us|µs|ms)$", RegexOptions.CultureInvariant)]
    private static partial Regex DelaySpec();
}
