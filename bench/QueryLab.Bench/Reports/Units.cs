using System.Globalization;

namespace QueryLab.Bench.Reports;

/// <summary>Figures with units on them, the way a reader expects them.</summary>
public static class Units
{
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

    public static string Bytes(long? b) => b switch
    {
        null => "–",
        < 1024 => $"{b} B",
        < 1024 * 1024 => F(b.Value / 1024.0, "0.0") + " KB",
        < 1024L * 1024 * 1024 => F(b.Value / (1024.0 * 1024), "0.0") + " MB",
        _ => F(b.Value / (1024.0 * 1024 * 1024), "0.0") + " GB",
    };

    public static string Ratio(double? r) => r is { } v ? F(v, v < 10 ? "0.00" : "0.0") + "×" : "–";

    /// <summary>A paired ratio with its interval, <c>1.54× [1.47–1.62]</c>; the plain ratio when it has no interval.</summary>
    public static string Ratio(Results.RatioRecord? paired, double? plain) => paired switch
    {
        { Lower: { } lo, Upper: { } hi } => $"{Ratio(paired.Ratio)} [{F(lo, lo < 10 ? "0.00" : "0.0")}–{F(hi, hi < 10 ? "0.00" : "0.0")}]",
        not null => Ratio(paired.Ratio),
        _ => Ratio(plain),
    };

    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
}
