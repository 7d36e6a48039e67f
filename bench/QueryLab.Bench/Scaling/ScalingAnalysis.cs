using System.Globalization;
using QueryLab.Bench.Results;
using QueryLab.Seed.Seeding;

namespace QueryLab.Bench.Scaling;

/// <summary>One scale's measured run, as the analysis reads it.</summary>
public sealed record MeasuredScale(Scale Scale, string Database, long DatabaseBytes, string RunFolder, RunResults Results);

/// <summary>
/// Growth exponents and the budget: for each variant, the slope of log(median time) over log(shipments) by least squares
/// (its interval from 2,000 bootstrap resamples of each scale's measured iterations, with a fixed seed, so the same runs give
/// the same interval), the same slope of the plans' rows processed and of the answer's rows, and a finding where the cost grows
/// faster than the answer (OFFSET paging, an N+1 loop, a live aggregate): with the scale at which its time crosses the budget,
/// measured or extrapolated as time × (shipments ratio)^exponent, and, with three scales or more, the extrapolation checked
/// against the largest scale measured.
/// </summary>
public static class ScalingAnalysis
{
    /// <summary>How much faster than its answer a cost must grow (exponent difference) to be a finding: 0.3 is a cost that doubles where the answer grows 10×.</summary>
    public const double FasterThanResult = 0.3;

    private const int Resamples = 2000;

    public static IReadOnlyList<ScalingScenario> Analyse(IReadOnlyList<MeasuredScale> scales, TimeSpan budget)
    {
        ArgumentNullException.ThrowIfNull(scales);
        var ordered = scales.OrderBy(s => s.Scale.Shipments).ToList();
        var names = ordered.SelectMany(s => s.Results.Scenarios.Select(x => x.Name)).Distinct(StringComparer.Ordinal).ToList();
        var result = new List<ScalingScenario>();
        foreach (var name in names)
        {
            var variants = ordered.SelectMany(s => s.Results.Scenarios.Where(x => x.Name == name).SelectMany(x => x.Variants))
                .Select(v => v.Name).Distinct(StringComparer.Ordinal).ToList();
            result.Add(new ScalingScenario(name, variants.Select(v => Variant(ordered, name, v, budget)).ToList()));
        }

        return result;
    }

    private static ScalingVariant Variant(IReadOnlyList<MeasuredScale> scales, string scenario, string variant, TimeSpan budget)
    {
        VariantResultRecord? At(MeasuredScale s) => s.Results.Scenarios.FirstOrDefault(x => x.Name == scenario)?.Variants.FirstOrDefault(v => v.Name == variant);
        var records = scales.Select(s => (Scale: s, Record: At(s))).Where(x => x.Record is not null).ToList();
        var first = records[0].Record!;
        var points = records.Select(x =>
        {
            var t = x.Record!.Timing;
            var timed = t is { Error: null } && double.IsFinite(t.MedianNs);
            return new ScalingPoint(
                x.Scale.Scale.Key,
                x.Scale.Scale.Shipments,
                timed ? t!.MedianNs : null,
                timed ? t!.MeasurementsNs.Count : 0,
                x.Record.Profile?.Rows,
                x.Record.Profile?.RowsProcessed,
                timed ? null : x.Record.NotRun ?? t?.Error ?? "not timed");
        }).ToList();

        var timedScales = records.Where(x => x.Record!.Timing is { Error: null } t && double.IsFinite(t.MedianNs)).ToList();
        Exponent? time = null;
        if (timedScales.Count >= 2)
        {
            var xs = timedScales.Select(x => Math.Log(x.Scale.Scale.Shipments)).ToArray();
            var samples = timedScales.Select(x => x.Record!.Timing!.MeasurementsNs.Where(m => m > 0).ToArray()).ToArray();
            var value = Slope(xs, samples.Select(m => Math.Log(Timing.PairedRatio.RoundMedian(m))).ToArray());
            var random = new Random(20261201);
            var boots = new double[Resamples];
            for (var b = 0; b < Resamples; b++)
            {
                boots[b] = Slope(xs, samples.Select(m => Math.Log(Timing.PairedRatio.RoundMedian(Resample(m, random)))).ToArray());
            }

            Array.Sort(boots);
            time = new Exponent(value, boots[(int)(Resamples * 0.025)], boots[(int)(Resamples * 0.975) - 1]);
        }

        var work = SlopeOf(points, p => p.RowsProcessed);
        var answer = SlopeOf(points, p => p.Rows);
        string? finding = null;
        string? budgetText = null;
        string? check = null;
        var grows = (work ?? time?.Lower) is { } cost && cost - (answer ?? 0) >= FasterThanResult;
        if (grows)
        {
            finding = $"its cost grows faster than its answer: "
                + (work is { } w ? $"rows processed ∝ shipments^{F(w)}" : "")
                + (work is not null && time is not null ? ", " : "")
                + (time is { } e ? $"time ∝ shipments^{F(e.Value)} [{F(e.Lower)}–{F(e.Upper)}]" : "")
                + $", while its answer grows ∝ shipments^{F(answer ?? 0)}";
        }

        if (timedScales.Count > 0)
        {
            var last = timedScales[^1];
            var lastNs = last.Record!.Timing!.MedianNs;
            var budgetNs = budget.TotalNanoseconds;
            var overAt = timedScales.FirstOrDefault(x => x.Record!.Timing!.MedianNs > budgetNs);
            if (overAt.Record is not null)
            {
                budgetText = $"over {Ms(budgetNs)} at {overAt.Scale.Scale.Key}: measured {Ms(overAt.Record.Timing!.MedianNs)}";
            }
            else if (time is { } e && (grows || e.Lower > 0) && e.Value > 0)
            {
                // Only a variant that does grow is extrapolated: a flat one's small slope is noise, and its "crossing" meaningless.
                var production = Scale.Production.Shipments;
                var atProduction = lastNs * Math.Pow(production / (double)last.Scale.Scale.Shipments, e.Value);
                if (atProduction <= budgetNs)
                {
                    budgetText = $"within {Ms(budgetNs)} up to production (≈{Ms(atProduction)} extrapolated)";
                }
                else
                {
                    var crossing = last.Scale.Scale.Shipments * Math.Pow(budgetNs / lastNs, 1 / e.Value);
                    var named = Scale.All.First(s => s.Shipments >= crossing);
                    budgetText = $"crosses {Ms(budgetNs)} at about {Shipments(crossing)} shipments (by {named.Key}: ≈{Ms(lastNs * Math.Pow(named.Shipments / (double)last.Scale.Scale.Shipments, e.Value))} extrapolated)";
                }
            }

            if (points.Any(p => p.NotRun is { } why && why.StartsWith("did not finish", StringComparison.Ordinal)))
            {
                var dnf = points.First(p => p.NotRun is { } why && why.StartsWith("did not finish", StringComparison.Ordinal));
                budgetText = $"did not finish at {dnf.Scale} (past the statement limit)";
            }

            if (timedScales.Count >= 3)
            {
                var fit = timedScales.Take(timedScales.Count - 1).ToList();
                var xs = fit.Select(x => Math.Log(x.Scale.Scale.Shipments)).ToArray();
                var ys = fit.Select(x => Math.Log(x.Record!.Timing!.MedianNs)).ToArray();
                var slope = Slope(xs, ys);
                var intercept = ys.Average() - (slope * xs.Average());
                var predicted = Math.Exp(intercept + (slope * Math.Log(last.Scale.Scale.Shipments)));
                check = $"{last.Scale.Scale.Key} predicted from the smaller scales: {Ms(predicted)}; measured {Ms(lastNs)} ({(lastNs / predicted) - 1:+0%;-0%;0%})";
            }
        }

        return new ScalingVariant
        {
            Name = variant,
            Library = first.Library,
            Form = first.Form,
            IsBaseline = first.IsBaseline,
            Points = points,
            Time = time,
            Work = work,
            Result = answer,
            Finding = finding,
            Budget = budgetText,
            Check = check,
        };
    }

    /// <summary>Least-squares slope of <paramref name="ys"/> over <paramref name="xs"/>.</summary>
    public static double Slope(IReadOnlyList<double> xs, IReadOnlyList<double> ys)
    {
        ArgumentNullException.ThrowIfNull(xs);
        ArgumentNullException.ThrowIfNull(ys);
        var mx = xs.Average();
        var my = ys.Average();
        double num = 0, den = 0;
        for (var i = 0; i < xs.Count; i++)
        {
            num += (xs[i] - mx) * (ys[i] - my);
            den += (xs[i] - mx) * (xs[i] - mx);
        }

        return den == 0 ? 0 : num / den;
    }

    private static double? SlopeOf(IReadOnlyList<ScalingPoint> points, Func<ScalingPoint, long?> value)
    {
        var known = points.Where(p => value(p) is not null).ToList();
        if (known.Count < 2 || known.Count != points.Count)
        {
            return null;
        }

        return Slope(known.Select(p => Math.Log(p.Shipments)).ToArray(), known.Select(p => Math.Log(Math.Max(1, value(p)!.Value))).ToArray());
    }

    private static double[] Resample(double[] m, Random random)
    {
        var r = new double[m.Length];
        for (var i = 0; i < m.Length; i++)
        {
            r[i] = m[random.Next(m.Length)];
        }

        return r;
    }

    private static string F(double v) => v.ToString("0.00", CultureInfo.InvariantCulture);

    private static string Ms(double ns) => Reports.Units.Time(ns);

    private static string Shipments(double n) =>
        n >= 1e6 ? (n / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + " M"
        : n >= 1e3 ? (n / 1e3).ToString("0", CultureInfo.InvariantCulture) + " k"
        : n.ToString("0", CultureInfo.InvariantCulture);
}
