using QueryLab.Bench.Results;

namespace QueryLab.Bench.Reports;

/// <summary>The few lines a terminal shows at the end of a run: per scenario, its variants by speed.</summary>
public static class TerminalSummary
{
    public static void Print(RunResults r, TextWriter o)
    {
        o.WriteLine();
        o.WriteLine($"{"scenario / variant",-58} {"mean",10} {"allocated",10} {"× raw",7}");
        foreach (var s in r.Scenarios)
        {
            o.WriteLine(s.Verification.Passed ? s.Name : $"{s.Name}  (FAILED verification: not timed)");
            foreach (var v in s.Variants.OrderBy(v => v.Timing?.MeanNs ?? double.MaxValue))
            {
                var label = $"  {v.Name}{(v.IsBaseline ? " (baseline)" : "")}";
                o.WriteLine(v.Timing is { } t
                    ? $"{label,-58} {Units.Time(t.MeanNs),10} {Units.Bytes(t.AllocatedBytesPerOp),10} {Units.Ratio(v.RatioToBaseline),7}"
                    : $"{label,-58} {v.NotRun}");
            }
        }
    }
}
