using System.Globalization;
using QueryLab.Bench.Results;
using QueryLab.Seed;

namespace QueryLab.Bench.Ab;

/// <summary>One side's run of one step: its results and the run folder they are in (plans, BenchmarkDotNet's exports).</summary>
public sealed record SideRun(RunResults Results, string Folder);

/// <summary>
/// Runs one side's bench for one step of the plan. The one part of ab that knows how a side measures: today a round is a
/// whole-catalog <c>querylab bench</c> child process (<see cref="ChildBench"/>); two long-lived processes alternating per
/// variant in short slices will replace this function and leave the rest of the room as it is.
/// </summary>
public delegate Task<SideRun> SideBench(AbBuild build, AbStep step, CancellationToken ct);

/// <summary>A round as a <c>querylab bench</c> child process of the side's build against the side's own database.</summary>
public static class ChildBench
{
    public static SideBench For(AbOptions options, AbDatabases databases, string runsDir, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(databases);
        return async (build, step, ct) =>
        {
            var reports = Path.Combine(runsDir, step.Name);
            var args = Arguments(options, build, step, reports);
            var r = await ChildQuerylab.RunAsync(build, args, databases.ConnectionString(build.Side), step.Name, output, ct);
            var latest = Path.Combine(reports, "latest");
            var file = Path.Combine(latest, "results.json");
            if (r.ExitCode is not (0 or 1) || !File.Exists(file))
            {
                var what = build.Side == AbSide.Base ? $"the base {build.Label}'s querylab bench" : "this querylab bench";
                throw new LabException(
                    r.ExitCode is 3 or 130 ? (ExitCode)r.ExitCode : ExitCode.BadInput,
                    $"{what} ({step.Name}) failed with exit {r.ExitCode} and wrote no run: {ChildQuerylab.Reason(r)} (its output is above, prefixed [{step.Name}])");
            }

            if (build.Side == AbSide.Base && ResultsJson.SchemaVersionOf(file) is var version && version != RunResults.CurrentSchemaVersion)
            {
                throw LabException.BadInput(
                    $"the base {build.Label} writes results.json with {(version is { } v ? $"schema version {v}" : "no schema version")}, this querylab reads version {RunResults.CurrentSchemaVersion}; "
                    + "the two cannot be compared: pick a base ref with the same schema, or compare with a baseline saved by this version");
            }

            try
            {
                return new SideRun(ResultsJson.Read(latest), latest);
            }
            catch (LabException ex) when (build.Side == AbSide.Base)
            {
                throw LabException.BadInput($"the base {build.Label} wrote a results.json this querylab cannot read: {ex.Message}", ex);
            }
        };
    }

    /// <summary>
    /// <c>bench --profile P [--scenario S] --reports DIR</c>, and for a build that takes them each round's share of the iterations
    /// and <c>--no-profile</c> before the last round (only the last round's plans and counters are kept); delays go to the head only.
    /// </summary>
    public static IReadOnlyList<string> Arguments(AbOptions options, AbBuild build, AbStep step, string reports)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(step);
        var args = new List<string> { "bench", "--profile", options.Profile.Name };
        if (options.ScenarioPattern is { Length: > 0 } scenario)
        {
            args.AddRange(["--scenario", scenario]);
        }

        args.AddRange(["--reports", reports]);
        if (build.Abilities.TakesRoundOptions)
        {
            if (options.IterationsPerRound is { } n)
            {
                args.AddRange(["--iterations", n.ToString(CultureInfo.InvariantCulture)]);
            }

            if (step.Round < options.Rounds)
            {
                args.Add("--no-profile");
            }
        }

        if (build.Side == AbSide.Head)
        {
            args.AddRange(options.InjectDelays.SelectMany(d => new[] { "--inject-delay", d }));
            if (options.InjectDelays.Count > 0)
            {
                args.AddRange(["--inject-at", options.InjectAt]);
            }

        }

        return args;
    }
}
