using System.Globalization;
using QueryLab.Bench.Load;
using QueryLab.Queries.Catalog;
using QueryLab.Seed;

namespace QueryLab.Bench.Rehearsal;

/// <summary>
/// What one <c>querylab migrate --rehearse</c> does, checked once and then frozen: the migration folder, the scenarios
/// whose baselines make the traffic, how many clients, how long the traffic runs before and after the migration, and
/// how long a statement may block it before the rehearsal fails.
/// </summary>
public sealed record RehearsalPlan(
    string? Folder,
    IReadOnlyList<IScenario> Scenarios,
    int Clients,
    TimeSpan MaxBlock,
    TimeSpan Steady,
    TimeSpan After)
{
    public const int MaxClients = 1_000;

    /// <summary>The traffic when --scenario is not given: the catalog's short reads and writes of shipments and tracking events (an application's day, not its reports).</summary>
    public static readonly IReadOnlyList<string> DefaultScenarios = ["lookup-by-tracking-number", "pending-page", "mark-delivered", "record-tracking-events"];

    public const int DefaultClients = 8;
    public static readonly TimeSpan DefaultMaxBlock = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultSteady = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultAfter = TimeSpan.FromSeconds(5);

    /// <summary>The scenarios of --scenario (a name or glob, comma-separated alternatives), or the default traffic.</summary>
    public static IReadOnlyList<IScenario> SelectScenarios(string? pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern))
        {
            return ScenarioCatalog.All.Where(s => DefaultScenarios.Contains(s.Name)).ToList();
        }

        var selected = ScenarioCatalog.Select(pattern);
        return selected.Count > 0
            ? selected
            : throw LabException.BadInput($"no scenario matches '{pattern}'; the scenarios are: {string.Join(", ", ScenarioCatalog.All.Select(s => s.Name))}");
    }

    /// <summary>The concurrent clients of the traffic: a whole number from 1 to 1,000.</summary>
    public static int ParseClients(string value) =>
        int.TryParse(value?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxClients
            ? n
            : throw LabException.BadInput($"--clients '{value}': the rehearsal's traffic needs a whole number of clients from 1 to {MaxClients:N0}");

    /// <summary>A duration as load writes it (30s, 500ms, 1m30s).</summary>
    public static TimeSpan ParseDuration(string value, string option, bool allowZero) => LoadPlan.ParseDuration(value, option, allowZero);
}
