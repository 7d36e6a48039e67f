using System.Globalization;
using System.Text;
using QueryLab.Bench.Reports;

namespace QueryLab.Bench.Rehearsal;

/// <summary>rehearsal.md, and the summary printed at the end of a rehearsal.</summary>
public static class RehearsalMarkdown
{
    public static string Render(RehearsalResults r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var md = new StringBuilder();
        var s = r.Settings;
        md.AppendLine(CultureInfo.InvariantCulture, $"# Migration rehearsal — {r.Dataset.Scale} (seed {r.Dataset.Seed})");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"**Verdict:** {r.Verdict}");
        md.AppendLine();
        md.AppendLine(
            $"The pending files of `{s.Migrations}` were applied statement by statement, as `querylab migrate` applies them, to `{s.Copy}`, a copy of the lab "
            + $"(`CREATE DATABASE … TEMPLATE`, {Units.Duration(s.CopyMs)}), while {s.Clients} client(s) ran {string.Join(", ", s.Scenarios.Select(Markdown.Code))} "
            + $"on it ({Units.Duration(s.SteadyMs)} measured before the migration, {Units.Duration(s.AfterMs)} after). Who waited for the migration was sampled from "
            + $"`pg_stat_activity`/`pg_locks` every {Units.Duration(s.SampleIntervalMs)} ({Units.Count(r.SamplerTicks)} samples). The copy was dropped afterwards; "
            + (r.LabChanges.Count == 0 ? "the lab's tables were then checked against the seed's manifest: unchanged." : $"**the lab changed**: {string.Join("; ", r.LabChanges)}."));
        md.AppendLine();
        foreach (var n in s.NotRun)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"> Left out of the traffic: {n}");
            md.AppendLine();
        }

        new MarkdownTable("", "")
            .Row("command", Markdown.Code(r.Command))
            .Row("server", $"{r.Server.Description}, PostgreSQL {r.Server.MajorVersion}")
            .Row("machine", $"{r.Machine.Host}, {r.Machine.Cores} cores (the traffic, the migration and, on the embedded server, PostgreSQL share them)")
            .Row("load average", r.LoadAverage ?? "–")
            .Row("--max-block", Units.Duration(s.MaxBlockMs))
            .Row("started", r.StartedAt.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture))
            .WriteTo(md);

        md.AppendLine("## Files");
        md.AppendLine();
        var files = new MarkdownTable("file", "runs", Column.Figures("took"), Column.Figures("longest wait"), "verdict");
        foreach (var f in r.Files)
        {
            files.Row(Markdown.Code(f.File), f.InTransaction ? "in a transaction" : "outside a transaction", f.DurationMs is { } d ? Units.Duration(d) : "–", Units.Duration(f.LongestWaitMs), f.Verdict);
        }

        files.WriteTo(md);

        md.AppendLine("## Statements");
        md.AppendLine();
        md.AppendLine("*took*: the statement alone; *held*: until its locks were released (its file's COMMIT in a transaction); *waited*: requests of the traffic "
            + "that waited for the migration's backend on this statement's locks (or queued behind it), and the longest wait; *WAL*: written by the server "
            + "while it ran (the traffic's writes included); *rewrote*: tables whose relfilenode changed.");
        md.AppendLine();
        var table = new MarkdownTable("#", "file:line", "statement", Column.Figures("took"), Column.Figures("held"), "locks", Column.Figures("waited"),
            Column.Figures("longest wait"), Column.Figures("failed requests"), "rewrote", Column.Figures("WAL"), "outcome");
        foreach (var st in r.Statements)
        {
            table.Row(
                $"S{st.Index + 1}",
                $"{st.File}:{st.Line}",
                Markdown.Code(Short(st.Sql)),
                st.DurationMs is { } d ? Units.Duration(d) : "–",
                Units.Duration(st.HoldMs),
                st.Locks.Count > 0 ? string.Join(", ", st.Locks) : "–",
                Units.Count(st.WaitingRequests),
                Units.Duration(st.LongestWaitMs) + (st.Blocked ? " **> --max-block**" : ""),
                Units.Count(st.FailedRequests),
                st.Rewritten.Count > 0 ? string.Join(", ", st.Rewritten) : "–",
                st.WalBytes is { } w ? Units.Bytes(w) : "–",
                st.Error is null ? st.Outcome : $"failed: {st.Error}");
        }

        table.WriteTo(md);

        var notes = r.Statements.SelectMany(st => st.Lint.Select(l => (st, l))).ToList();
        md.AppendLine("## Lint findings beside what was measured");
        md.AppendLine();
        if (notes.Count == 0)
        {
            md.AppendLine("`migrate --check` has no finding on these files.");
            md.AppendLine();
        }

        foreach (var (st, l) in notes)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- S{st.Index + 1} `{st.File}:{st.Line}` **{l.Rule}**{(l.Severity == "info" ? " (info)" : "")} — {l.Measured}. *{l.Message}*");
        }

        if (notes.Count > 0)
        {
            md.AppendLine();
        }

        md.AppendLine("## The traffic before, during and after");
        md.AppendLine();
        var phases = new MarkdownTable("scenario", "phase", Column.Figures("requests"), Column.Figures("failed"), Column.Figures("p50"), Column.Figures("p99"), Column.Figures("max"));
        foreach (var p in r.Phases)
        {
            phases.Row(p.Scenario, p.Phase, Units.Count(p.Requests), Units.Count(p.Failed), Opt(p.P50Ms), Opt(p.P99Ms), Opt(p.MaxMs));
        }

        phases.WriteTo(md);

        if (r.Failures.Count > 0)
        {
            md.AppendLine("Failed requests:");
            md.AppendLine();
            var failed = new MarkdownTable("phase", "scenario", "kind", "SqlState", Column.Figures("requests"), "first message");
            foreach (var f in r.Failures)
            {
                failed.Row(f.Phase, f.Scenario, f.Kind, f.SqlState ?? "–", Units.Count(f.Count), f.Example);
            }

            failed.WriteTo(md);
        }

        if (r.Statements.Any(st => st.Latency.Count > 0))
        {
            md.AppendLine("While each statement held its locks:");
            md.AppendLine();
            var held = new MarkdownTable("#", "scenario", Column.Figures("requests"), Column.Figures("failed"), Column.Figures("p50"), Column.Figures("p99"), Column.Figures("max"));
            foreach (var st in r.Statements)
            {
                foreach (var p in st.Latency)
                {
                    held.Row($"S{st.Index + 1}", p.Scenario, Units.Count(p.Requests), Units.Count(p.Failed), Opt(p.P50Ms), Opt(p.P99Ms), Opt(p.MaxMs));
                }
            }

            held.WriteTo(md);
        }

        if (r.Timeline.Count > 0)
        {
            md.AppendLine("## Latency over time");
            md.AppendLine();
            md.AppendLine("The slowest request that started in each slice, all scenarios together (a request that waited for the migration shows here; the slice's p99 is in rehearsal.json), each slice labelled with its start in seconds from the start of the measured traffic; a label `▶S1` marks the slice in which statement S1 started.");
            md.AppendLine();
            var slice = r.Timeline.Count > 1 ? r.Timeline[1].StartMs - r.Timeline[0].StartMs : 1_000;
            var labels = r.Timeline.Select(t =>
            {
                var starts = r.Statements.Where(st => st.StartMs >= t.StartMs && st.StartMs < t.StartMs + slice).Select(st => $"S{st.Index + 1}").ToList();
                var time = (t.StartMs / 1_000).ToString("0.#", CultureInfo.InvariantCulture);
                return starts.Count > 0 ? $"▶{string.Join("+", starts)} {time}" : time;
            }).ToList();
            MermaidChart.WriteLines(md, "slowest request of the traffic", "ms", labels, [r.Timeline.Select(t => t.MaxMs ?? 0).ToList()]);
        }

        md.AppendLine("## The statements");
        md.AppendLine();
        foreach (var st in r.Statements)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"S{st.Index + 1} — `{st.File}:{st.Line}`");
            md.AppendLine();
            md.AppendLine("```sql");
            md.AppendLine(st.Sql);
            md.AppendLine("```");
            md.AppendLine();
        }

        return md.ToString();
    }

    /// <summary>The end of a rehearsal in the terminal: a line per statement, the lint beside the measurement, the verdict.</summary>
    public static void PrintTerminal(RehearsalResults r, TextWriter o)
    {
        ArgumentNullException.ThrowIfNull(r);
        ArgumentNullException.ThrowIfNull(o);
        foreach (var st in r.Statements)
        {
            var what = st.Error is not null ? $"failed: {st.Error}"
                : $"took {Units.Duration(st.DurationMs ?? 0)}, held {Units.Duration(st.HoldMs)}; {(st.Locks.Count > 0 ? string.Join(", ", st.Locks) : "no table lock seen")}; "
                  + $"{Units.Count(st.WaitingRequests)} request(s) waited, longest {Units.Duration(st.LongestWaitMs)}{(st.Blocked ? " (more than --max-block)" : "")}; "
                  + $"{Units.Count(st.FailedRequests)} failed; {(st.Rewritten.Count > 0 ? "rewrote " + string.Join(", ", st.Rewritten) : "no rewrite")}; WAL {(st.WalBytes is { } w ? Units.Bytes(w) : "–")}";
            o.WriteLine($"S{st.Index + 1} {st.File}:{st.Line} {Short(st.Sql)}");
            o.WriteLine($"    {what}");
            foreach (var l in st.Lint)
            {
                o.WriteLine($"    {l.Rule} — {l.Measured}");
            }
        }

        foreach (var p in r.Phases.GroupBy(p => p.Scenario))
        {
            o.WriteLine($"traffic {p.Key}: p99 {string.Join(" → ", p.Select(x => $"{Opt(x.P99Ms)} {x.Phase}"))}; failed {string.Join("/", p.Select(x => Units.Count(x.Failed)))}");
        }

        foreach (var f in r.Failures)
        {
            o.WriteLine($"traffic {f.Scenario} {f.Phase}: {Units.Count(f.Count)} request(s) failed: {f.Kind} {f.Example}");
        }

        foreach (var f in r.Files)
        {
            o.WriteLine($"{f.File}: {f.Verdict}");
        }

        o.WriteLine(r.LabChanges.Count == 0 ? "rehearse: the lab is unchanged (its tables match the seed's manifest)" : $"rehearse: THE LAB CHANGED: {string.Join("; ", r.LabChanges)}");
        o.WriteLine($"rehearse: {r.Verdict}");
    }

    private static string Opt(double? ms) => ms is { } v ? Units.Duration(v) : "–";

    /// <summary>A statement on one line, cut at 80 characters.</summary>
    private static string Short(string sql)
    {
        var one = string.Join(' ', sql.Split((char[])['\n', '\r', '\t', ' '], StringSplitOptions.RemoveEmptyEntries));
        return one.Length <= 80 ? one : one[..79] + "…";
    }
}
