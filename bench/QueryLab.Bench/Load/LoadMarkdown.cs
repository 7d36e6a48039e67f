using System.Globalization;
using System.Text;
using QueryLab.Bench.Findings;
using QueryLab.Bench.Reports;

namespace QueryLab.Bench.Load;

/// <summary>
/// load.md: the load run a reviewer reads — the setup, the findings first, a table per (variant, clients) and two
/// Mermaid charts (throughput and p99 latency at each client count, one colour per variant). Rendered from load.json's model alone.
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
        md.AppendLine("| | |");
        md.AppendLine("| --- | --- |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| when | {r.StartedAt:yyyy-MM-dd HH:mm:ss} UTC{(r.FinishedAt is { } f ? $" (took {(f - r.StartedAt).TotalMinutes.ToString("0.0", CultureInfo.InvariantCulture)} min)" : "")} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| commit | {(r.Git is null ? "unknown" : $"`{r.Git.Commit[..Math.Min(12, r.Git.Commit.Length)]}`{(r.Git.Dirty ? " with uncommitted changes" : "")}{(r.Git.Branch is null ? "" : $" on {r.Git.Branch}")}")} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| machine | {m.Cores} cores, {Units.Bytes(m.MemoryBytes)} memory, {m.Os}, {m.Runtime} (the clients run here) |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| PostgreSQL | {Escape(r.Server.Version)} ({(r.Server.Embedded ? "" : "given server ")}{Escape(r.Server.Description)}) |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| dataset | scale **{d.Scale}**, seed {d.Seed}, generator v{d.GeneratorVersion} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| scenario | **{s.Scenario}**{(s.Writes ? " (writes: each operation in a transaction that is rolled back)" : "")} |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| load | clients {string.Join(", ", s.Clients)}; each step {LoadSession.Seconds(TimeSpan.FromMilliseconds(s.WarmupMs))} warm-up (not counted), then {LoadSession.Seconds(TimeSpan.FromMilliseconds(s.DurationMs))} measured; variants one after the other |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| pool | Maximum Pool Size {s.MaxPoolSize}, Timeout {s.PoolTimeoutSeconds} s, application_name `{s.ApplicationName}` |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| server limits | max_connections {l.MaxConnections} ({l.ReservedConnections} reserved), role {Escape(l.Role)}: {Limit(l.RoleLimit)}, database: {Limit(l.DatabaseLimit)}; {l.FreeAtStart} more connections free for the role when the run started |");
        md.AppendLine(CultureInfo.InvariantCulture, $"| command | `{Escape(r.Command)}` |");
        md.AppendLine();
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
            md.AppendLine(CultureInfo.InvariantCulture, $"- `{n.Variant}` not run: {Escape(n.Reason)}");
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

        md.AppendLine("| severity | finding | where | what | fix |");
        md.AppendLine("| --- | --- | --- | --- | --- |");
        foreach (var f in r.Findings)
        {
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {Severities.Name(f.Severity)} | `{f.Code}` | {(f.Variant is null ? "run" : $"{f.Variant}{(f.Clients is { } c ? $", {c} clients" : "")}")} | {Escape(f.Message)} | {Escape(f.Fix)} |");
        }

        md.AppendLine();
    }

    private static void Table(StringBuilder md, LoadResults r)
    {
        md.AppendLine("## Throughput and latency");
        md.AppendLine();
        md.AppendLine("| variant | library | clients | sent | completed | failed | ops/s | mean | p50 | p90 | p99 | p99.9 | max |");
        md.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var s in r.Steps)
        {
            var l = s.Latency;
            string T(Func<LatencyRecord, double> f) => l is null ? "–" : Units.Time(f(l));
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {s.Variant}{(s.Interrupted ? " (interrupted)" : "")} | {s.Library} | {s.Clients} | {Units.Count(s.Sent)} | {Units.Count(s.Completed)} | {Units.Count(s.Failed)} | {s.Throughput.ToString("N1", CultureInfo.InvariantCulture)} | {T(x => x.MeanNs)} | {T(x => x.P50Ns)} | {T(x => x.P90Ns)} | {T(x => x.P99Ns)} | {T(x => x.P999Ns)} | {T(x => x.MaxNs)} |");
        }

        md.AppendLine();
        md.AppendLine("A request is sent when it starts after the warm-up and before the duration ends; every one is counted once, completed or failed (sent = completed + failed). "
            + "ops/s is completed requests over the measured time (from the end of the warm-up until the last request sent had finished). "
            + "Latency is that of completed requests, a wait for a pooled connection included: exact, from every request's recorded time, percentiles by nearest rank.");
        md.AppendLine();
    }

    /// <summary>
    /// Two horizontal Mermaid bar charts, one category per (variant, clients) in run order. xychart has no legend, so each
    /// variant is a bar series of its own that is zero outside its categories: the label names it, the colour groups it.
    /// </summary>
    private static void Charts(StringBuilder md, LoadResults r)
    {
        if (r.Steps.Count == 0)
        {
            return;
        }

        md.AppendLine("## Charts");
        md.AppendLine();
        Chart(md, r, $"{r.Settings.Scenario}: throughput (ops/s, longer is more)", "ops/s", s => s.Throughput, 1);
        var maxP99 = r.Steps.Select(s => s.Latency?.P99Ns ?? 0).Max();
        var (unit, div) = maxP99 >= 1_000_000 ? ("ms", 1_000_000.0) : ("µs", 1_000.0);
        Chart(md, r, $"{r.Settings.Scenario}: p99 latency ({unit}, shorter is faster)", unit, s => s.Latency?.P99Ns ?? 0, div);
    }

    private static void Chart(StringBuilder md, LoadResults r, string title, string unit, Func<LoadStep, double> value, double div)
    {
        var variants = r.Steps.Select(s => s.Variant).Distinct(StringComparer.Ordinal).ToList();
        var max = r.Steps.Max(s => value(s) / div);
        md.AppendLine("```mermaid");
        md.AppendLine("xychart-beta horizontal");
        md.AppendLine(CultureInfo.InvariantCulture, $"    title {Label(title)}");
        md.AppendLine(CultureInfo.InvariantCulture, $"    x-axis [{string.Join(", ", r.Steps.Select(s => Label($"{s.Variant}, {s.Clients} client{(s.Clients == 1 ? "" : "s")}")))}]");
        md.AppendLine(CultureInfo.InvariantCulture, $"    y-axis \"{unit}\" 0 --> {N(max > 0 ? max * 1.1 : 1)}");
        foreach (var v in variants)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"    bar [{string.Join(", ", r.Steps.Select(s => s.Variant == v ? N(value(s) / div) : "0"))}]");
        }

        md.AppendLine("```");
        md.AppendLine();
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
        md.AppendLine("| variant | clients | kind | SqlState | requests | first seen |");
        md.AppendLine("| --- | ---: | --- | --- | ---: | --- |");
        foreach (var s in failed)
        {
            foreach (var f in s.Failures)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {s.Variant} | {s.Clients} | {Kind(f.Kind)} | {f.SqlState ?? "–"} | {Units.Count(f.Count)} | {Escape(f.Example)} |");
            }
        }

        md.AppendLine();
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

    private static string Label(string s) => "\"" + s.Replace("\"", "'", StringComparison.Ordinal) + "\"";

    private static string N(double v) => v.ToString(v >= 100 ? "0.#" : v >= 1 ? "0.###" : "0.#####", CultureInfo.InvariantCulture);

    private static string Escape(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
