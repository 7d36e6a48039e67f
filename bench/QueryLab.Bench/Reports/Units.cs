using System.Globalization;

namespace QueryLab.Bench.Reports;

/// <summary>
/// Every figure QueryLab prints — report.md, compare.md, load.md, the plan messages and trees, the terminal — with
/// its unit, the way a reader expects it: invariant culture, thousands separated by commas. Sizes are binary
/// (1 KiB = 1,024 bytes, as PostgreSQL counts its "kB": a block is 8 KiB).
/// </summary>
public static class Units
{
    private const double Ki = 1024;

    /// <summary>Nanoseconds as ns, µs, ms or s with three significant digits: "940 ns", "1.23 µs", "45.6 ms", "1.20 s".</summary>
    public static string Time(double ns)
    {
        if (double.IsNaN(ns))
        {
            return "–";
        }

        return ns switch
        {
            < 1_000 => F(ns, "0") + " ns",
            < 1_000_000 => F(ns / 1_000, ns < 10_000 ? "0.00" : ns < 100_000 ? "0.0" : "0") + " µs",
            < 1_000_000_000 => F(ns / 1_000_000, ns < 10_000_000 ? "0.00" : ns < 100_000_000 ? "0.0" : "0") + " ms",
            _ => F(ns / 1_000_000_000, "0.00") + " s",
        };
    }

    /// <summary>Milliseconds as the plans report them: "0.012 ms", "3.46 ms", "412.7 ms", "12,345 ms".</summary>
    public static string Ms(double ms) => Math.Abs(ms) switch
    {
        < 1 => F(ms, "0.000"),
        < 100 => F(ms, "0.00"),
        < 10_000 => F(ms, "0.0"),
        _ => F(ms, "N0"),
    } + " ms";

    /// <summary>A duration given in milliseconds, in the unit a person reads it: "310.4 ms", "3.1 s", "2.5 min".</summary>
    public static string Duration(double ms) => Math.Abs(ms) switch
    {
        < 1_000 => Ms(ms),
        < 120_000 => F(ms / 1_000, "0.0#") + " s",
        _ => F(ms / 60_000, "0.0") + " min",
    };

    /// <summary>Bytes in binary units: "512 B", "1.5 KiB", "12.0 MiB", "8.0 GiB".</summary>
    public static string Bytes(long? b) => b switch
    {
        null => "–",
        < 1024 => $"{b} B",
        < 1024 * 1024 => F(b.Value / Ki, "0.0") + " KiB",
        < 1024L * 1024 * 1024 => F(b.Value / (Ki * Ki), "0.0") + " MiB",
        _ => F(b.Value / (Ki * Ki * Ki), "0.0") + " GiB",
    };

    /// <summary>A size PostgreSQL reports in its kB (1,024 bytes: sort and hash memory, disk use): "950 KiB", "12.5 MiB".</summary>
    public static string KiB(long kib) => kib < 10_240 ? F(kib, "N0") + " KiB" : F(kib / Ki, "0.#") + " MiB";

    /// <summary>A multiple of another time: "1.62×", "12.4×"; "–" when there is none.</summary>
    public static string Ratio(double? r) => r is { } v ? F(v, v < 10 ? "0.00" : "0.0") + "×" : "–";

    /// <summary>An estimate's factor: 333.3 → "333×", 12.5 → "12.5×".</summary>
    public static string Factor(double f) => (f < 100 ? F(f, "0.#") : F(f, "N0")) + "×";

    /// <summary>A paired ratio with its interval, <c>1.54× [1.47–1.62]</c>; the plain ratio when it has no interval.</summary>
    public static string Ratio(Results.RatioRecord? paired, double? plain) => paired switch
    {
        { Lower: { } lo, Upper: { } hi } => $"{Ratio(paired.Ratio)} [{F(lo, lo < 10 ? "0.00" : "0.0")}–{F(hi, hi < 10 ? "0.00" : "0.0")}]",
        not null => Ratio(paired.Ratio),
        _ => Ratio(plain),
    };

    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>100000 → "100,000"; fractions (per-loop averages) keep up to two decimals.</summary>
    public static string Count(double n) => n == Math.Floor(n) ? F(n, "N0") : F(n, "#,##0.##");

    /// <summary>Short counts for the plan tree: 950, 12,345, 123k, 4.5M.</summary>
    public static string Short(double n) => Math.Abs(n) switch
    {
        < 100_000 => Count(Math.Round(n, 2)),
        < 10_000_000 => F(n / 1_000, "0.#") + "k",
        < 10_000_000_000 => F(n / 1_000_000, "0.#") + "M",
        _ => F(n / 1_000_000_000, "0.#") + "G",
    };

    /// <summary>0.623 → "62%", 0.004 → "0.4%", 0.0002 → "&lt;0.1%", 0.997 → "99.7%" (never "100%" unless it is), 0 → "0%".</summary>
    public static string Percent(double share) => share switch
    {
        <= 0 => "0%",
        < 0.001 => "<0.1%",
        < 0.01 => F(share * 100, "0.#") + "%",
        > 0.99 and < 1 => F(Math.Floor(share * 1000) / 10, "0.#") + "%",
        _ => F(share * 100, "0") + "%",
    };

    /// <summary>Operations per second with one decimal: "6,419.6".</summary>
    public static string Throughput(double opsPerSecond) => F(opsPerSecond, "N1");

    /// <summary>A number on a chart's axis or bar: up to three significant decimals, no separators ("931", "0.576", "12.5").</summary>
    public static string Plain(double v) => F(v, Math.Abs(v) >= 100 ? "0.#" : Math.Abs(v) >= 1 ? "0.###" : "0.#####");

    private static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
}
