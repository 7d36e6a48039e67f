namespace QueryLab.Bench.Compare;

/// <summary>
/// Benjamini–Hochberg adjusted p-values (q-values): with m tests, the i-th smallest p becomes
/// min over j ≥ i of p(j)·m/j, capped at 1. Declaring "q ≤ α" keeps the expected share of false
/// alarms among the flagged variants at most α, however many variants are compared.
/// </summary>
public static class BenjaminiHochberg
{
    public static double[] Adjust(IReadOnlyList<double> pValues)
    {
        ArgumentNullException.ThrowIfNull(pValues);
        var m = pValues.Count;
        var order = Enumerable.Range(0, m).OrderBy(i => pValues[i]).ThenBy(i => i).ToArray();
        var q = new double[m];
        var running = 1.0;
        for (var rank = m; rank >= 1; rank--)
        {
            var i = order[rank - 1];
            running = Math.Min(running, pValues[i] * m / rank);
            q[i] = Math.Min(1, running);
        }

        return q;
    }
}
