using System.Globalization;
using System.Text;
using QueryLab.Bench.Findings;
using QueryLab.Bench.Reports;

namespace QueryLab.Bench.Load;

/// <summary>
/// load.md: the load run a reviewer reads — the setup, the findings first, a table per (variant, clients) and two
/// Mermaid charts (throughput and p99 latency at each client count, each bar labelled with its figure, from zero). Rendered from load.json's model alone.
/// </summary>
public static class LoadMarkdown
{
    public static string Render(LoadResults r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# QueryLab load — {r.RunId}");
        md.AppendLine();
        Header(md, r);
        Summary(md, r);
        Table(md, r);
        LittlesLaw(md, r);
        Charts(md, r);
        Failures(md, r);
        return md.ToString();
    }

    private static void Header(StringBuilder md, LoadResults r)
    {
        var m = r.Machine;
        var s = r.Settings;
        var l = s.Limits;
        var d = r.Dataset;
        new MarkdownTable("", "")
            .Row("when", $"{r.StartedAt:yyyy-MM-dd HH:mm:ss} UTC{(r.FinishedAt is null ? "" : $" ({Markdown.Took(r.StartedAt, r.FinishedAt)})")}")
            .Row("commit", Markdown.Commit(r.Git?.Commit, r.Git?.Dirty ?? false, r.Git?.Branch))
            .Row("machine", $"{m.Cores} cores, {Units.Bytes(m.MemoryBytes)} memory, {m.Os}, {m.Runtime} (the clients run here)")
            .Row("PostgreSQL", $"{r.Server.Version} ({(r.Server.Embedded ? "" : "given server ")}{r.Server.Description})")
            .Row("dataset", $"scale **{d.Scale}**, seed {d.Seed}, generator v{d.GeneratorVersion}")
            .Row("scenario", $"**{s.Scenario}**{(s.Writes ? " (writes: each operation in a transaction that is rolled back)" : "")}")
            .Row("load", $"clients {string.Join(", ", s.Clients)}; each step {LoadSession.Seconds(TimeSpan.FromMilliseconds(s.WarmupMs))} warm-up (not counted), then {LoadSession.Seconds(TimeSpan.FromMilliseconds(s.DurationMs))} measured; variants one after the other")
            .Row("pool", $"Maximum Pool Size {s.MaxPoolSize}, Timeout {s.PoolTimeoutSeconds} s, application_name {Markdown.Code(s.ApplicationName)}")
            .Row("server limits", $"max_connections {l.MaxConnections} ({l.ReservedConnections} reserved), role {l.Role}: {Limit(l.RoleLimit)}, database: {Limit(l.DatabaseLimit)}; {l.FreeAtStart} more connections free for the role when the run started")
            .Row("network", r.LatencyMs is { } rtt ? $"through QueryLab's latency relay: {QueryLab.Bench.Latency.LatencyOptions.Label(rtt)} round trip added to every connection (half each way)" : "loopback, straight to the server")
            .Row("command", Markdown.Code(r.Command))
            .WriteTo(md);
    }

    private static void Summary(StringBuilder md, LoadResults r)
    {
        md.AppendLine("## Summary");
        md.AppendLine();
        var sent = r.Steps.Sum(s => s.Sent);
        var failed = r.Steps.Sum(s => s.Failed);
        var leaks = r.LeakedBackendsAtEnd == 0 ? "No connection of the run was left open on the server." : $"**{r.LeakedBackendsAtEnd} connection(s) of the run were left open on the server.**";
        md.AppendLine(CultureInfo.InvariantCulture,
            $"{r.Steps.Count} step(s): {Units.Count(sent)} requests sent, {Units.Count(r.Steps.Sum(s => s.Completed))} completed, {Units.Count(failed)} failed. {leaks}");
        md.AppendLine();
        foreach (var n in r.NotRun)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- `{n.Variant}` not run: {Markdown.Cell(n.Reason)}");
        }

        if (r.NotRun.Count > 0)
        {
            md.AppendLine();
        }

        if (r.Findings.Count == 0)
        {
            md.AppendLine("**Findings:** none — no request failed and no connection was left open.");
            md.AppendLine();
            return;
        }

        var findings = new MarkdownTable("severity", "finding", "where", "what", "fix");
        foreach (var f in r.Findings)
        {
            findings.Row(Severities.Name(f.Severity), Markdown.Code(f.Code), f.Variant is null ? "run" : $"{f.Variant}{(f.Clients is { } c ? $", {c} clients" : "")}", f.Message, f.Fix);
        }

        findings.WriteTo(md);
    }

    private static void Table(StringBuilder md, LoadResults r)
    {
        md.AppendLine("## Throughput and latency");
        md.AppendLine();
        var table = new MarkdownTable(
            "variant", "library", Column.Figures("clients"), Column.Figures("sent"), Column.Figures("completed"), Column.Figures("failed"), Column.Figures("ops/s"),
            Column.Figures("mean"), Column.Figures("p50"), Column.Figures("p90"), Column.Figures("p99"), Column.Figures("p99.9"), Column.Figures("max"));
        foreach (var s in r.Steps)
        {
            var l = s.Latency;
            string T(Func<LatencyRecord, double> f) => l is null ? "–" : Units.Time(f(l));
            table.Row(
                $"{s.Variant}{(s.Interrupted ? " (interrupted)" : "")}", s.Library, $"{s.Clients}", Units.Count(s.Sent), Units.Count(s.Completed), Units.Count(s.Failed), Units.Throughput(s.Throughput),
                T(x => x.MeanNs), T(x => x.P50Ns), T(x => x.P90Ns), T(x => x.P99Ns), T(x => x.P999Ns), T(x => x.MaxNs));
        }

        table.WriteTo(md);
        md.AppendLine("A request is sent when it starts after the warm-up and before the duration ends; every one is counted once, completed or failed (sent = completed + failed). "
            + "ops/s is completed requests over the measured time (from the end of the warm-up until the last request sent had finished). "
            + "Latency is that of completed requests, a wait for a pooled connection included: exact, from every request's recorded time, percentiles by nearest rank.");
        md.AppendLine();
    }

    /// <summary>With --latency: Little's law per step — requests in flight (ops/s × mean) against the clients and the pool — and what the pool caps throughput at.</summary>
    private static void LittlesLaw(StringBuilder md, LoadResults r)
    {
        if (r.LatencyMs is not { } rtt || r.Steps.Count == 0)
        {
            return;
        }

        md.AppendLine(CultureInfo.InvariantCulture, $"## Pool sizing at {QueryLab.Bench.Latency.LatencyOptions.Label(rtt)} round trip");
        md.AppendLine();
        md.AppendLine("Little's law: connections busy = throughput × time per request. A pool of *P* connections caps throughput at *P* ÷ the time a request holds one "
            + "(its time unqueued: the mean of the variant's smallest step with no more clients than connections); past that, more clients only wait. "
            + "At a longer round trip each request holds its connection longer, so the same pool caps throughput lower.");
        md.AppendLine();
        var pool = r.Settings.MaxPoolSize;
        var table = new MarkdownTable("variant", Column.Figures("clients"), Column.Figures("ops/s"), Column.Figures("mean"), Column.Figures("time unqueued"), Column.Figures("pool"), Column.Figures("pool's cap (ops/s)"), "limited by");
        foreach (var s in r.Steps.Where(s => s.Latency is not null))
        {
            var unqueued = r.Steps.Where(x => x.Variant == s.Variant && x.Latency is not null && x.Clients <= pool).MinBy(x => x.Clients)?.Latency!.MeanNs;
            var cap = unqueued is { } u ? pool / (u / 1e9) : (double?)null;
            table.Row(s.Variant, $"{s.Clients}", Units.Throughput(s.Throughput), Units.Time(s.Latency!.MeanNs), unqueued is { } t ? Units.Time(t) : "–", $"{pool}", cap is { } c ? Units.Throughput(c) : "–",
                s.Clients > pool ? "**the pool**: more clients than connections, requests wait for one" : "the clients");
        }

        table.WriteTo(md);
    }

    /// <summary>Two bar charts, one bar per (variant, clients) in run order, each labelled with its figure.</summary>
    private static void Charts(StringBuilder md, LoadResults r)
    {
        if (r.Steps.Count == 0)
        {
            return;
        }

        md.AppendLine("## Charts");
        md.AppendLine();
        var (perSecond, scale) = r.Steps.Max(s => s.Throughput) >= 1_000 ? ("k ops/s", 1_000.0) : ("ops/s", 1.0); // short numbers on the axis
        Chart(md, r, perSecond, $"throughput ({perSecond})", s => s.Throughput, scale, s => Units.Throughput(s.Throughput) + " ops/s");
        var (unit, div) = MermaidChart.TimeUnit(r.Steps.Select(s => s.Latency?.P99Ns ?? 0).Max());
        Chart(md, r, unit, $"p99 latency ({unit})", s => s.Latency?.P99Ns ?? 0, div, s => s.Latency is { } l ? "p99 " + Units.Time(l.P99Ns) : "none completed");
    }

    private static void Chart(StringBuilder md, LoadResults r, string unit, string what, Func<LoadStep, double> value, double div, Func<LoadStep, string> figure)
    {
        MermaidChart.Write(md, new BarChart(
            MermaidChart.Title(r.Settings.Scenario, what),
            unit,
            r.Steps.Select(s => $"{s.Variant}, {s.Clients} client{(s.Clients == 1 ? "" : "s")} · {figure(s)}").ToList(),
            r.Steps.Select(s => value(s) / div).ToList()));
    }

    private static void Failures(StringBuilder md, LoadResults r)
    {
        var failed = r.Steps.Where(s => s.Failures.Count > 0).ToList();
        if (failed.Count == 0)
        {
            return;
        }

        md.AppendLine("## Failures");
        md.AppendLine();
        var failures = new MarkdownTable("variant", Column.Figures("clients"), "kind", "SqlState", Column.Figures("requests"), "first seen");
        foreach (var s in failed)
        {
            foreach (var f in s.Failures)
            {
                failures.Row(s.Variant, $"{s.Clients}", Kind(f.Kind), f.SqlState ?? "–", Units.Count(f.Count), f.Example);
            }
        }

        failures.WriteTo(md);
    }

    public static string Kind(FailureKind k) => k switch
    {
        FailureKind.PoolExhausted => "pool exhausted",
        FailureKind.ServerRefused => "server refused",
        FailureKind.Timeout => "timeout",
        FailureKind.Interrupted => "interrupted",
        _ => "error",
    };

    private static string Limit(int n) => n < 0 ? "no limit" : $"CONNECTION LIMIT {n}";
}
