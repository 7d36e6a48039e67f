using System.Globalization;
using System.Text;
using QueryLab.Bench.Results;
using QueryLab.Bench.Timing;

namespace QueryLab.Bench.Reports;

/// <summary>
/// report.md: what a reviewer reads before a release, top to bottom in a few minutes — the header, the summary, then per
/// scenario its chart, table and findings, with a link to scenarios/&lt;name&gt;.md, which holds each variant's SQL and
/// plans (<see cref="ScenarioFile"/>). Rendered from results.json alone, so `querylab report` can regenerate it.
/// Summary first; every figure carries its unit. Its size does not grow with the statements or the plans.
/// </summary>
public static partial class MarkdownReport
{
    /// <summary>report.md alone; <see cref="Write"/> writes it with its scenario files.</summary>
    public static string Render(RunResults r)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# QueryLab report — {r.RunId}");
        md.AppendLine();
        Header(md, r);
        Summary(md, r);
        Published(md, r);
        LatencySweep(md, r);
        Fidelity(md, r);
        foreach (var s in r.Scenarios)
        {
            Scenario(md, s, r.Profile);
        }

        return md.ToString();
    }

    /// <summary>
    /// Writes report.md and scenarios/&lt;name&gt;.md of every scenario into <paramref name="folder"/> (a run's temporary folder,
    /// or a run folder being re-rendered): each file written aside and renamed, the scenario files first, so a report.md is
    /// never newer than the files it links to; a scenario file of a scenario the run no longer holds is removed.
    /// </summary>
    public static void Write(RunResults r, string folder)
    {
        ArgumentNullException.ThrowIfNull(r);
        var scenarios = Path.Combine(folder, ScenarioFile.Folder);
        Directory.CreateDirectory(scenarios);
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in r.Scenarios)
        {
            var path = Path.Combine(folder, ScenarioFile.PathOf(s.Name));
            WriteAside(path, ScenarioFile.Render(r, s, folder));
            written.Add(Path.GetFullPath(path));
        }

        foreach (var stale in Directory.GetFiles(scenarios, "*.md").Where(f => !written.Contains(Path.GetFullPath(f))))
        {
            File.Delete(stale);
        }

        WriteAside(Path.Combine(folder, "report.md"), Render(r));
    }

    private static void WriteAside(string path, string text)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }

    private static void Header(StringBuilder md, RunResults r)
    {
        var m = r.Machine;
        var d = r.Dataset;
        var header = new MarkdownTable("", "")
            .Row("when", $"{r.StartedAt:yyyy-MM-dd HH:mm:ss} UTC ({Markdown.Took(r.StartedAt, r.FinishedAt)})")
            .Row("commit", Markdown.Commit(r.Git?.Commit, r.Git?.Dirty ?? false, r.Git?.Branch))
            .Row("machine", $"{m.Cores} cores, {Units.Bytes(m.MemoryBytes)} memory, {m.Os}, {m.Runtime}")
            .Row("PostgreSQL", $"{r.Server.Version} ({(r.Server.Embedded ? "" : "given server ")}{r.Server.Description})")
            .Row("settings", string.Join(", ", r.Server.Settings.Select(kv => $"{kv.Key}={kv.Value}")))
            .Row("dataset", $"scale **{d.Scale}**, seed {d.Seed}, generator v{d.GeneratorVersion}, data up to {d.ReferenceTime:yyyy-MM-dd}; {string.Join(", ", d.RowCounts.Select(kv => $"{kv.Key} {Units.Count(kv.Value)} rows"))}")
            .Row("benchmark", $"profile **{r.Profile.Name}**: {r.Profile.Description} (BenchmarkDotNet job {Markdown.Code(r.Profile.Job)})")
            .Row("command", Markdown.Code(r.Command));
        if (r.Floor is { } floor)
        {
            header.Row("harness floor", FloorText(floor));
        }

        if (r.StealPercent is { } steal)
        {
            header.Row("host steal", HostSteal.Line(steal, r.Scenarios.SelectMany(s => s.Variants).Select(v => v.Timing?.StealPercent)));
        }

        if (NetworkText(r) is { } network)
        {
            header.Row("network", network);
        }

        header.WriteTo(md);
        if (r.InjectedDelaysNs is { Count: > 0 } delays)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"> **Calibration run**: a busy-CPU delay was injected into {string.Join(", ", delays.Select(kv => $"{kv.Key} ({Units.Time(kv.Value)} per operation)"))}. Its times measure what `compare` detects, not the code.");
            md.AppendLine();
        }
    }

    /// <summary>The harness floor in one cell: what the simplest operation costs through QueryLab, and through pgbench.</summary>
    public static string FloorText(HarnessFloor f) =>
        $"raw Npgsql's one-row lookup in a plain async loop: {Units.Time(f.LoopMedianNs)} per operation (median of {f.Batches} batches, {Units.Time(f.LoopMinNs)}–{Units.Time(f.LoopMaxNs)}); "
        + (f.PgbenchNs is { } pg
            ? $"`pgbench -S -M prepared -c 1` on the same server: {Units.Time(pg)} per transaction ({Units.Time(f.PgbenchMinNs ?? pg)}–{Units.Time(f.PgbenchMaxNs ?? pg)} over its 1-second windows)"
            : $"pgbench: {f.PgbenchNote ?? "not run"}");

    private static void Summary(StringBuilder md, RunResults r)
    {
        md.AppendLine("## Summary");
        md.AppendLine();
        var failed = r.Scenarios.Where(s => !s.Verification.Passed).ToList();
        md.AppendLine(failed.Count == 0
            ? $"All {r.Scenarios.Count} scenarios verified: every variant returned the same answer as raw Npgsql before it was timed."
            : $"**{failed.Count} scenario(s) failed verification** ({string.Join(", ", failed.Select(s => s.Name))}): a variant returned a different answer, and the scenario was not timed.");
        md.AppendLine();
        var tooSlow = r.Scenarios.SelectMany(s => s.Variants.Where(v => v.DidNotFinish).Select(v => $"{s.Name}/{v.Name}")).ToList();
        if (tooSlow.Count > 0)
        {
            var limit = r.StatementLimitMs is { } ms ? Seed.Server.StatementLimit.Display(TimeSpan.FromMilliseconds(ms)) : "the statement limit";
            var line = $"**{tooSlow.Count} variant(s) did not finish within {limit} at this scale** ({string.Join(", ", tooSlow)}): the server stopped a statement at the limit (`--statement-limit`), "
                + "so they are not timed; each is reported with the plan the planner estimated (`did-not-finish`), and the run went on with the others.";
            md.AppendLine(line);
            md.AppendLine();
        }

        LookFirst(md, r);
        var summary = new MarkdownTable("scenario", "fastest variant", "raw Npgsql (baseline)", "best EF Core × raw", "best Dapper × raw", "round trips per operation", "findings", "verified");
        foreach (var s in r.Scenarios)
        {
            var fastest = s.Fastest();
            var baseline = s.Variants.Single(v => v.IsBaseline);
            summary.Row(
                $"[{s.Name}](#{Anchor(s.Name)})",
                fastest is null ? "–" : $"{fastest.Name} ({Units.Time(fastest.Timing!.MeanNs)})",
                baseline.Timing is null ? "–" : Units.Time(baseline.Timing.MeanNs),
                Best(s, "EF Core"),
                Best(s, "Dapper"),
                RoundTripRange(s),
                FindingCounts(s.Variants.SelectMany(v => v.Profile?.Findings ?? [])),
                !s.Verification.Passed ? "**no**" : s.Variants.Any(v => v.IsBaseline && v.DidNotFinish) ? "not verified: the baseline did not finish" : "yes");
        }

        summary.WriteTo(md);
        md.AppendLine("× raw is a variant's time divided by the baseline's (raw Npgsql's best form): 2.00× takes twice as long. It is measured in pairs — "
            + "each measured iteration of a variant lies between two slices of its baseline, milliseconds apart, so the machine's drift cancels — and given as the "
            + "median pair ratio (Hodges–Lehmann) with its 95% interval, `1.54× [1.47–1.62]`. "
            + "Best EF Core and best Dapper are the fastest of that library's **best forms** (each variant is labelled best form, naive or alternative in its table; a naive form is never a library's answer), named beside the figure. "
            + "Round trips are statements or batches sent per operation (fewest–most over the variants). Findings come from the plans of every statement and from the round trips (N+1).");
        md.AppendLine();
    }


    /// <summary>
    /// Where this run stands beside the comparisons people quote: the one-row lookup, the scenario closest to the published
    /// micro-benchmarks, with the reasons QueryLab's figures differ from theirs (README, "Published comparisons").
    /// </summary>
    private static void Published(StringBuilder md, RunResults r)
    {
        var lookup = r.Scenarios.FirstOrDefault(s => s.Name == "lookup-by-tracking-number");
        if (lookup?.BestVariant("Dapper") is not { } dapper || lookup.BestVariant("EF Core") is not { } ef)
        {
            return;
        }

        md.AppendLine("## Beside the published comparisons");
        md.AppendLine();
        var line = $"On the one-row lookup — the shape of the published micro-benchmarks — this run measured best Dapper ({dapper.Name}) at {Units.Ratio(dapper.Ratio, dapper.RatioToBaseline)} raw Npgsql and best EF Core ({ef.Name}) at {Units.Ratio(ef.Ratio, ef.RatioToBaseline)}. "
            + "Dapper's README table (SQL Server, 500 SELECTs) puts Dapper at 49 ms against 47 ms hand-coded, about 1.04×; QueryLab's operation is one awaited round trip to PostgreSQL on the same two cores over loopback, with the pooled connection opened and returned each time, so a library's fixed cost per operation (tens of µs) is a larger share of a ~100–200 µs operation than of one across a network, and the interval, not one figure, is the result. "
            + "The README's \"Published comparisons\" gives each published figure's source and why QueryLab's differ.";
        md.AppendLine(line);
        md.AppendLine();
    }

    /// <summary>"ef-projection 5.40× [5.1–5.7]": a library's fastest best form and its × raw; "–" when it has none timed.</summary>
    private static string Best(ScenarioResult s, string library) =>
        s.BestVariant(library) is { } v ? $"{v.Name} {Units.Ratio(v.Ratio, v.RatioToBaseline)}" : "–";

    /// <summary>bench --fidelity: each variant's bench time against the same operations' plain async loop, pair by pair.</summary>
    private static void Fidelity(StringBuilder md, RunResults r)
    {
        var rows = FidelityRows(r).ToList();
        if (rows.Count == 0)
        {
            return;
        }

        md.AppendLine("## Fidelity: bench against a plain loop");
        md.AppendLine();
        md.AppendLine("After each measured iteration of a variant, the same operations ran in a plain async loop (as an application, or `querylab load`, runs them). "
            + "bench ÷ loop is the median ratio of those pairs (Hodges–Lehmann, 95% interval): near 1.00, bench timed the operation, not the harness.");
        md.AppendLine();
        var table = new MarkdownTable("variant", Column.Figures("bench median"), Column.Figures("loop median"), Column.Figures("bench ÷ loop"));
        foreach (var f in rows)
        {
            table.Row(f.Key, Units.Time(f.BenchNs), Units.Time(f.LoopNs), Units.Ratio(f.Ratio, null));
        }

        table.WriteTo(md);
    }

    /// <summary>A variant the fidelity check measured: bench's median, the loop's, and bench ÷ loop pair by pair.</summary>
    public sealed record FidelityRow(string Key, double BenchNs, double LoopNs, RatioRecord? Ratio);

    public static IEnumerable<FidelityRow> FidelityRows(RunResults r) =>
        r.Scenarios.SelectMany(s => s.Variants
            .Where(v => v.Timing is { Error: null, LoopMedianNs: not null })
            .Select(v => new FidelityRow($"{s.Name}/{v.Name}", v.Timing!.MedianNs, v.Timing.LoopMedianNs!.Value, v.Timing.Fidelity)));

    private static void Scenario(StringBuilder md, ScenarioResult s, ProfileInfo profile)
    {
        md.AppendLine(CultureInfo.InvariantCulture, $"## {s.Name}");
        md.AppendLine();
        md.AppendLine(s.Description);
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"*Parameters:* {s.Parameters}{(s.Writes ? " Each operation runs in a transaction that is rolled back." : "")}");
        md.AppendLine();
        if (!s.Verification.Passed)
        {
            md.AppendLine("**Verification failed — not timed.**");
            md.AppendLine();
            foreach (var m in s.Verification.Mismatches)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- `{m.Variant}` for {Markdown.Cell(m.Parameters)}: {Markdown.Cell(m.What)}");
                for (var i = 0; i < Math.Max(m.BaselineRows.Count, m.VariantRows.Count); i++)
                {
                    md.AppendLine(CultureInfo.InvariantCulture, $"  - baseline: `{(i < m.BaselineRows.Count ? m.BaselineRows[i] : "(no row)")}`");
                    md.AppendLine(CultureInfo.InvariantCulture, $"  - {m.Variant}: `{(i < m.VariantRows.Count ? m.VariantRows[i] : "(no row)")}`");
                }
            }

            md.AppendLine();
        }

        Chart(md, s);
        var table = new MarkdownTable(
            "variant", "library", "form", "technique", Column.Figures("mean"), Column.Figures("median"), Column.Figures("p95"), Column.Figures("± error"),
            Column.Figures("allocated"), Column.Figures("round trips"), Column.Figures("rows"), Column.Figures("shared buffers"),
            Column.Figures("rows processed"), Column.Figures("temp blocks"), Column.Figures("WAL"), Column.Figures("× raw"));
        foreach (var v in s.Variants)
        {
            var t = v.Timing;
            var link = v.Profile is null ? v.Name : $"[{v.Name}]({ScenarioFile.Link(s.Name, v.Name)})";
            var name = v.IsBaseline ? $"**{link}** (baseline)" : link;
            if (t is null)
            {
                table.Row(name, v.Library, v.Form ?? "–", v.Technique, v.NotRun ?? "not run");
                continue;
            }

            var p = v.Profile;
            table.Row(
                name, v.Library, v.Form ?? "–", v.Technique, Units.Time(t.MeanNs), Units.Time(t.MedianNs), Units.Time(t.P95Ns), Units.Time(t.StdErrNs), Units.Bytes(t.AllocatedBytesPerOp),
                p is null ? "–" : $"{p.RoundTrips}", p is null ? "–" : Units.Count(p.Rows), p is null ? "–" : Units.Count(p.SharedBuffers),
                p?.RowsProcessed is { } processed ? Units.Count(processed) : "–", p is null ? "–" : Units.Count(p.TempBlocks), Units.Bytes(p?.WalBytes),
                Units.Ratio(v.Ratio, v.RatioToBaseline));
        }

        table.WriteTo(md);
        var budgeted = s.Variants.Where(v => v.Timing?.IterationsPerRound is { } n && profile.IterationsPerRound is { } full && n < full).ToList();
        if (budgeted.Count > 0)
        {
            var line = $"Fewer iterations within the variant budget ({profile.VariantBudgetSeconds:0} s of measured time each, at least {Timing.BenchProfile.MinIterationsPerRound} per round): "
                + string.Join(", ", budgeted.Select(v => $"`{v.Name}` {v.Timing!.IterationsPerRound} of {profile.IterationsPerRound} per round"))
                + " — their operations are slow at this scale, so their intervals are wider.";
            md.AppendLine(line);
            md.AppendLine();
        }

        var extra = s.Variants.Where(v => v.Timing?.ExtraRounds is > 0).ToList();
        if (extra.Count > 0)
        {
            md.AppendLine("More rounds where × raw's interval was wide after the profile's rounds (each round as many iterations again): "
                + string.Join(", ", extra.Select(v => $"`{v.Name}` +{v.Timing!.ExtraRounds} ({v.Ratio?.Pairs ?? 0} pairs)"))
                + ".");
            md.AppendLine();
        }

        md.AppendLine("Times are per operation; ± error is the standard error of the mean; allocated is managed memory per operation; shared buffers are 8 KiB blocks the statements' plans touched (hit + read); rows processed are the rows every plan node handed up (Σ actual rows × loops), temp blocks those written to and read from temp files, WAL the bytes of write-ahead log — each over the statements, times how often each was sent.");
        md.AppendLine();
        Findings(md, s);
        md.AppendLine(CultureInfo.InvariantCulture, $"details: [{ScenarioFile.PathOf(s.Name)}]({ScenarioFile.Link(s.Name)}) — each variant's statements as PostgreSQL received them, their plans and the plan JSON");
        md.AppendLine();
    }

    /// <summary>
    /// A bar of mean time per variant, from zero, each labelled with its × raw (the figure the table's last column
    /// gives): the bars' lengths are in the ratio of the times.
    /// </summary>
    private static void Chart(StringBuilder md, ScenarioResult s)
    {
        var timed = s.Variants.Where(v => v.Timing is { Error: null } t && double.IsFinite(t.MeanNs)).ToList();
        if (timed.Count == 0)
        {
            return;
        }

        var (unit, div) = MermaidChart.TimeUnit(timed.Max(v => v.Timing!.MeanNs));
        MermaidChart.Write(md, new BarChart(
            MermaidChart.Title(s.Name, $"mean {unit} per operation"),
            unit,
            timed.Select(v => (v.Ratio?.Ratio ?? v.RatioToBaseline) is { } x ? $"{v.Name} · {Units.Ratio(x)} raw" : v.Name).ToList(),
            timed.Select(v => v.Timing!.MeanNs / div).ToList()));
    }

    public static string Anchor(string name) => Markdown.Anchor(name);
}
