using System.Globalization;

namespace QueryLab.Bench.Plans;

/// <summary>Numbers as the plan messages and the text tree print them: invariant culture, units attached.</summary>
internal static class Fmt
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>100000 → "100,000"; fractions (per-loop averages) keep up to two decimals.</summary>
    public static string Count(double n) =>
        n == Math.Floor(n) ? n.ToString("N0", Inv) : n.ToString("#,##0.##", Inv);

    /// <summary>Short counts for the tree: 950, 12,345, 123k, 4.5M.</summary>
    public static string Short(double n) => Math.Abs(n) switch
    {
        < 100_000 => Count(Math.Round(n, 2)),
        < 10_000_000 => (n / 1_000).ToString("0.#", Inv) + "k",
        < 10_000_000_000 => (n / 1_000_000).ToString("0.#", Inv) + "M",
        _ => (n / 1_000_000_000).ToString("0.#", Inv) + "G",
    };

    /// <summary>Milliseconds with three significant-ish decimals: "0.012 ms", "3.46 ms", "412.7 ms", "12,345 ms".</summary>
    public static string Ms(double ms) => Math.Abs(ms) switch
    {
        < 1 => ms.ToString("0.000", Inv),
        < 100 => ms.ToString("0.00", Inv),
        < 10_000 => ms.ToString("0.0", Inv),
        _ => ms.ToString("N0", Inv),
    } + " ms";

    /// <summary>0.623 → "62%", 0.004 → "0.4%", 0.0002 → "&lt;0.1%", 0.997 → "99.7%" (never "100%" unless it is), 0 → "0%".</summary>
    public static string Percent(double share) => share switch
    {
        <= 0 => "0%",
        < 0.001 => "<0.1%",
        < 0.01 => (share * 100).ToString("0.#", Inv) + "%",
        > 0.99 and < 1 => (Math.Floor(share * 1000) / 10).ToString("0.#", Inv) + "%",
        _ => (share * 100).ToString("0", Inv) + "%",
    };

    /// <summary>333.3 → "333×", 12.5 → "12.5×".</summary>
    public static string Factor(double f) => (f < 100 ? f.ToString("0.#", Inv) : f.ToString("N0", Inv)) + "×";

    public static string Kb(long kb) => kb < 10_240 ? kb.ToString("N0", Inv) + " kB" : (kb / 1024.0).ToString("0.#", Inv) + " MB";
}
