using System.Globalization;
using System.Text;
using System.Text.Json;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Timing;

namespace QueryLab.Bench.Calibration;

/// <summary>calibrate.md (what a team reads to learn what its runner detects), calibrate.json, and the terminal lines.</summary>
public static class CalibrationReport
{
    public static string Serialize(CalibrationResults r) => JsonSerializer.Serialize(r, Results.ResultsJson.Options);

    public static CalibrationResults? Deserialize(string json) => JsonSerializer.Deserialize<CalibrationResults>(json, Results.ResultsJson.Options);

    /// <summary>One variant in a line: its median and spread, the A/A duets, × raw and its spread, what was caught.</summary>
    public static string Line(VariantCalibration v)
    {
        var aa = string.Join(" ", v.AaTrials.Select(t => Change(t.Ratio)));
        var raw = v.RawTrials.Count == 0 ? "baseline" : $"× raw {Units.Ratio(v.RawTrials.Min(t => t.Ratio))}–{Units.Ratio(v.RawTrials.Max(t => t.Ratio))}";
        var injected = string.Join(" ", v.Injections.Select(i => $"+{i.Slowdown * 100:0.#}%→{Change(i.MeasuredRatio)}{(i.Caught ? " caught" : " missed")}"));
        var pairs = v.Pairs is { } p ? $" ({p.First}–{p.Most} pairs a duet: the budget)" : "";
        var steal = HostSteal.IsNoisy(v.StealPercent) ? $" (⚠ host steal {HostSteal.Percent(v.StealPercent!.Value)})" : "";
        return $"median {Units.Time(v.MedianNs)} (±{Half(v.MedianSpread)}), A/A {aa}{(v.FalseAlarms > 0 ? $" ({v.FalseAlarms} false alarm(s))" : "")}, {raw}, {injected}{pairs}{steal}";
    }

    public static string Markdown(CalibrationResults r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var md = new StringBuilder();
        var s = r.Settings;
        md.AppendLine(CultureInfo.InvariantCulture, $"# QueryLab calibration — {r.RunId}");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"What this runner can detect: {r.Machine.Cores} cores, {r.Machine.Os}; PostgreSQL {r.Server.Version}; scale **{r.Dataset.Scale}**; `{r.Command}`.");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture,
            $"Each duet alternates slices of ~{s.SliceMs:0} ms of two sides (A B A B … A, {s.Pairs} pairs, {s.Pairs} more at a time up to {s.MaxPairs} while undecided), takes each B slice over the A slices around it, and gives the Hodges–Lehmann ratio with its {s.Confidence:P0} interval; "
            + $"a change is called slower only when it is at least {s.Threshold:P0} with the interval above 0, and a second duet confirms it — the duet `querylab ab` runs between two builds. "
            + $"Per variant: {s.Trials} A/A duets (the variant against itself: any verdict is a false alarm), {s.Trials} duets against its baseline (how much × raw moves here), "
            + $"and one duet against the variant slowed by {string.Join(", ", s.Slowdowns.OrderDescending().Select(x => $"{x * 100:0.#}%"))} of its median, the largest first: a slowdown missed, the smaller ones are not measured (– in the table) ({(s.Injection == "server" ? "a busy wait inside the server, spread over the variant's statements" : "a busy wait in the client before each operation")}{(s.InjectionNote is null ? "" : "; " + s.InjectionNote)}).");
        if (s.BudgetSeconds is { } budget)
        {
            var reduced = r.Variants.Where(v => v.Pairs is not null).ToList();
            md.AppendLine();
            var taken = ((r.FinishedAt ?? r.StartedAt) - r.StartedAt).TotalMinutes;
            var given = string.Create(CultureInfo.InvariantCulture, $"The run was given {budget / 60:0.#} min ({taken:0.0} min taken): each variant's duets were planned to fit its share of what was left. ");
            var fewer = string.Join(", ", reduced.Select(v => $"{v.Scenario}/{v.Variant} ({v.Pairs!.First}–{v.Pairs.Most})"));
            md.AppendLine(given + (reduced.Count == 0
                ? "Every variant got the full number of pairs."
                : $"{reduced.Count} variant(s) got fewer pairs (at least {s.MinPairs}), so wider intervals — their verdicts are more often *unknown*: {fewer}; `--budget` gives them more."));
        }

        md.AppendLine();
        if (r.Floor is { } floor)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"Harness floor: {MarkdownReport.FloorText(floor)}.");
            md.AppendLine();
        }

        var variants = r.Variants;
        var caught = s.Slowdowns.Select(x => (x, n: variants.Count(v => v.Injections.Any(i => i.Slowdown == x && i.Caught)))).ToList();
        md.AppendLine("## Summary");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- A/A false alarms: **{variants.Sum(v => v.FalseAlarms)}** in {variants.Sum(v => v.AaTrials.Count)} duets over {variants.Count} variants.");
        foreach (var (x, n) in caught)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {x * 100:0.#}% slowdown caught in **{n} of {variants.Count}** variants.");
        }

        var spreads = variants.Where(v => v.RawSpread is not null && v.MedianNs >= 100_000).Select(v => v.RawSpread!.Value).Order().ToList();
        if (spreads.Count > 0)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- × raw over {s.Trials} paired duets (variants of 100 µs or more): largest ÷ smallest {Units.Ratio(spreads[spreads.Count / 2])} at the median variant, {Units.Ratio(spreads[^1])} at the worst.");
        }

        if (TimeLine(variants) is { } time)
        {
            md.AppendLine("- " + time);
        }

        if (r.StealPercent is { } steal)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {Capital(HostSteal.Line(steal, variants.Select(v => v.StealPercent), "during the duets"))}.");
        }

        md.AppendLine();
        md.AppendLine("## Per variant");
        md.AppendLine();
        md.AppendLine("| variant | median | median spread | A/A (each duet) | false alarms | × raw (min–max) | × raw spread | " + string.Join(" | ", s.Slowdowns.Select(x => $"+{x * 100:0.#}%")) + " | smallest caught | host steal | time |");
        md.AppendLine("| --- | ---: | ---: | --- | ---: | ---: | ---: | " + string.Join(" | ", s.Slowdowns.Select(_ => "---")) + " | ---: | ---: | ---: |");
        foreach (var v in variants)
        {
            var raw = v.RawTrials.Count == 0 ? "baseline" : $"{Units.Ratio(v.RawTrials.Min(t => t.Ratio))}–{Units.Ratio(v.RawTrials.Max(t => t.Ratio))}";
            var injected = string.Join(" | ", s.Slowdowns.Select(x => v.Injections.FirstOrDefault(i => i.Slowdown == x) is { } i ? $"{Change(i.MeasuredRatio)} {(i.Caught ? "✓" : "✗")}" : "–"));
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {v.Scenario}/{v.Variant} | {Units.Time(v.MedianNs)} | {Units.Ratio(v.MedianSpread)} | {string.Join(" ", v.AaTrials.Select(t => Change(t.Ratio)))} | {v.FalseAlarms} | {raw} | {(v.RawSpread is { } rs ? Units.Ratio(rs) : "–")} | {injected} | {(v.SmallestCaught is { } sc ? $"{sc * 100:0.#}%" : "none")} | {(v.StealPercent is { } st ? (HostSteal.IsNoisy(st) ? "⚠ " : "") + HostSteal.Percent(st) : "–")} | {(v.Seconds is { } sec ? string.Create(CultureInfo.InvariantCulture, $"{sec:0.0} s") : "–")} |");
        }

        md.AppendLine();
        md.AppendLine("Spread is the largest over the smallest of the trials. A/A is B ÷ A − 1 of each duet of the variant against itself; the injected columns are the change the duet measured, ✓ when it was called slower and confirmed; host steal is the share of the machine's CPU time the hypervisor gave to other guests during the variant's duets (⚠ from 10%: its figures depend on the host); time is the variant's wall time, its injection's data sources included.");
        return md.ToString();
    }

    /// <summary>Where the variants' time went: how much of it the injection's data sources took, and the slowest variants.</summary>
    public static string? TimeLine(IReadOnlyList<VariantCalibration> variants)
    {
        ArgumentNullException.ThrowIfNull(variants);
        var timed = variants.Where(v => v.Seconds is not null).ToList();
        if (timed.Count == 0)
        {
            return null;
        }

        var total = timed.Sum(v => v.Seconds!.Value);
        var setup = timed.Sum(v => v.SetupSeconds ?? 0);
        var slowest = string.Join(", ", timed.OrderByDescending(v => v.Seconds).Take(3).Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Scenario}/{v.Variant} {v.Seconds:0} s")));
        return string.Create(CultureInfo.InvariantCulture,
            $"Time: {total / 60:0.0} min over the variants, {setup:0} s of it ({100 * setup / Math.Max(total, 1e-9):0}%) building and warming the injection's data sources; the slowest: {slowest}.");
    }

    private static string Capital(string line) => line.Length > 0 && char.IsLower(line[0]) ? char.ToUpperInvariant(line[0]) + line[1..] : line;

    private static string Change(double ratio) =>
        double.IsNaN(ratio) ? "–" : (ratio >= 1 ? "+" : "−") + Math.Abs((ratio - 1) * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Half(double spread) =>
        double.IsNaN(spread) ? "–" : ((spread - 1) * 50).ToString("0.0", CultureInfo.InvariantCulture) + "%";
}
