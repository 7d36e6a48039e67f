using QueryLab.Bench.Compare;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Ab;

/// <summary>
/// Which variants' time stays comparable when some relations hold other data in the two databases: a variant's time is
/// compared unless one of its statements (as the profiling pass captured them, on either side) names a relation whose
/// data differs. Its counters and plans are compared either way.
/// </summary>
public static class TimeScope
{
    public static CompareScope For(DatasetVerdict verdict, RunResults baseline, RunResults candidate)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        var notes = verdict.Changes;
        var notTimed = new Dictionary<VariantRef, string>();
        if (verdict.Differs.Count == 0)
        {
            return new CompareScope(notes, notTimed);
        }

        var before = baseline.Scenarios.SelectMany(s => s.Variants.Select(v => (s.Name, v))).DistinctBy(x => (x.Name, x.v.Name)).ToDictionary(x => (x.Name, x.v.Name), x => x.v);
        foreach (var s in candidate.Scenarios)
        {
            foreach (var v in s.Variants)
            {
                if (!before.TryGetValue((s.Name, v.Name), out var b))
                {
                    continue;
                }

                if (v.Profile is null || b.Profile is null)
                {
                    notTimed[new VariantRef(s.Name, v.Name)] =
                        $"time not compared: its statements were not captured in both runs, and {string.Join(", ", verdict.Differs.Keys.Select(k => "querylab." + k))} hold other data in the two databases";
                    continue;
                }

                var sql = v.Profile.DistinctStatements.Concat(b.Profile.DistinctStatements).Select(st => st.Sql).ToList();
                var read = verdict.Differs.Keys.Where(r => sql.Any(q => Names(q, r))).Order(StringComparer.Ordinal).ToList();
                if (read.Count > 0)
                {
                    notTimed[new VariantRef(s.Name, v.Name)] =
                        $"time not compared: {string.Join("; ", read.Select(r => $"querylab.{r} holds other data in the two databases ({verdict.Differs[r]})"))}";
                }
            }
        }

        return new CompareScope(notes, notTimed);
    }

    /// <summary>Whether the SQL names the relation of the querylab schema: <c>querylab.name</c>, quoted or not, as a whole identifier.</summary>
    public static bool Names(string sql, string relation)
    {
        ArgumentNullException.ThrowIfNull(sql);
        foreach (var form in new[] { $"querylab.{relation}", $"querylab.\"{relation}\"", $"\"querylab\".\"{relation}\"", $"\"querylab\".{relation}" })
        {
            for (var at = sql.IndexOf(form, StringComparison.OrdinalIgnoreCase); at >= 0; at = sql.IndexOf(form, at + 1, StringComparison.OrdinalIgnoreCase))
            {
                var end = at + form.Length;
                var before = at == 0 ? ' ' : sql[at - 1];
                var after = end >= sql.Length ? ' ' : sql[end];
                if (!IsIdentifierChar(before) && (form.EndsWith('"') || !IsIdentifierChar(after)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsIdentifierChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '$' or '"';
}
