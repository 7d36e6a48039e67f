using System.Text.RegularExpressions;
using QueryLab.Bench.Reports;
using QueryLab.Bench.Results;

namespace QueryLab.Bench.Compare;

/// <summary>
/// The distinct statements of one variant, matched by normalised SQL: the plan shape of each (a changed
/// shape is a regression, shown with both plans), its generic plan's shape, the shared buffers its plan
/// touched (hit + read) and the executor's counters (<see cref="WorkComparer"/>). A statement only one run sent
/// cannot be compared: it is listed as unknown, and the variant's buffers and counters over all statements are
/// compared instead.
/// </summary>
public static partial class StatementComparer
{
    public static IEnumerable<MetricChange> Compare(VariantPair pair, ProfileRecord baseline, ProfileRecord candidate, CompareSettings settings)
    {
        ArgumentNullException.ThrowIfNull(pair);
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(settings);
        var before = ByKey(baseline);
        var after = ByKey(candidate);
        foreach (var (key, c) in after)
        {
            if (!before.TryGetValue(key, out var b))
            {
                yield return Unmatched(pair, c.Sql, "new statement: the baseline did not send it, so its plan and buffers have no baseline");
                continue;
            }

            if (b.Plan is { } bp && c.Plan is { } cp)
            {
                yield return Shape(pair, "plan shape", c.Sql, bp, cp);
                yield return CounterComparer.Relative(pair, "shared buffers", bp.SharedHit + bp.SharedRead, cp.SharedHit + cp.SharedRead, settings.CounterThreshold, Blocks) with
                {
                    Statement = c.Sql,
                    Baseline = bp.SharedHit + bp.SharedRead,
                    Candidate = cp.SharedHit + cp.SharedRead,
                };
                foreach (var w in WorkComparer.Statement(pair, c.Sql, bp, cp, settings))
                {
                    yield return w;
                }
            }

            if (b.GenericPlan is { } bg && c.GenericPlan is { } cg)
            {
                yield return Shape(pair, "generic plan shape", c.Sql, bg, cg);
            }
        }

        var gone = before.Where(kv => !after.ContainsKey(kv.Key)).Select(kv => kv.Value).ToList();
        foreach (var b in gone)
        {
            yield return Unmatched(pair, b.Sql, "statement gone: the candidate no longer sends it");
        }

        if (gone.Count > 0 || after.Keys.Any(k => !before.ContainsKey(k)))
        {
            yield return CounterComparer.Relative(pair, "shared buffers (all statements)", baseline.SharedBuffers, candidate.SharedBuffers, settings.CounterThreshold, Blocks) with
            {
                Baseline = baseline.SharedBuffers,
                Candidate = candidate.SharedBuffers,
                Note = "the statements differ, so buffers are compared over all of them, each weighted by how often it ran",
            };
            foreach (var w in WorkComparer.Variant(pair, baseline, candidate, settings))
            {
                yield return w;
            }
        }
    }

    /// <summary>SQL as matched across runs: the profiler's normalised text with runs of white space made one space.</summary>
    public static string Key(string sql) => Spaces().Replace(sql ?? "", " ").Trim();

    private static Dictionary<string, StatementRecord> ByKey(ProfileRecord p)
    {
        var d = new Dictionary<string, StatementRecord>(StringComparer.Ordinal);
        foreach (var s in p.DistinctStatements)
        {
            d.TryAdd(Key(s.Sql), s);
        }

        return d;
    }

    private static MetricChange Shape(VariantPair pair, string metric, string sql, PlanSummary b, PlanSummary c)
    {
        if (string.Equals(b.ShapeHash, c.ShapeHash, StringComparison.Ordinal))
        {
            return pair.Change(ChangeKind.Plan, metric, Outcome.Unchanged, b.ShapeHash, c.ShapeHash, "same shape") with { Statement = sql };
        }

        var changes = PlanDiffLines.Between(b.ShapeText, c.ShapeText);
        return pair.Change(ChangeKind.Plan, metric, Outcome.Regression, b.ShapeHash, c.ShapeHash, string.Join("; ", changes)) with
        {
            Statement = sql,
            Plan = new PlanChange(b.ShapeHash, c.ShapeHash, b.ShapeText, c.ShapeText, changes),
            Note = metric == "generic plan shape"
                ? "the plan PostgreSQL would use once the statement is prepared changed shape"
                : "PostgreSQL picks another plan for the same statement on the same data",
        };
    }

    private static MetricChange Unmatched(VariantPair pair, string sql, string what) =>
        pair.Change(ChangeKind.Plan, "statement", Outcome.Unknown, what.StartsWith("new", StringComparison.Ordinal) ? "–" : "sent", what.StartsWith("new", StringComparison.Ordinal) ? "sent" : "–", what) with
        {
            Statement = sql,
            Note = "the round trips, statements and rows of the variant judge the rewrite",
        };

    internal static string Blocks(long n) => Units.Count(n) + (n == 1 ? " block" : " blocks");

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Spaces();
}
