namespace QueryLab.Bench.Plans;

/// <summary>Which way the planner got a node's row count wrong.</summary>
public enum EstimateDirection
{
    /// <summary>Actual and planned rows agree (after flooring both at one row).</summary>
    None,

    /// <summary>More rows came out than the planner expected: it under-estimated.</summary>
    Under,

    /// <summary>Fewer rows came out than the planner expected: it over-estimated.</summary>
    Over,
}

/// <summary>
/// The planner's row estimate of one node against what happened, per loop: PostgreSQL's "Plan Rows" is a
/// per-loop figure, and so is "Actual Rows" (an average over loops). <see cref="Factor"/> is
/// max(a, e) / min(a, e) with both floored at one row, the floor the planner itself uses, so a node
/// that returned nothing is compared as one row and the factor is never infinite.
/// </summary>
public sealed record RowEstimate(double ActualPerLoop, double PlannedPerLoop, double Factor, EstimateDirection Direction)
{
    public static RowEstimate Of(double actualPerLoop, double plannedPerLoop)
    {
        var a = Math.Max(1.0, actualPerLoop);
        var e = Math.Max(1.0, plannedPerLoop);
        var direction = a > e ? EstimateDirection.Under : a < e ? EstimateDirection.Over : EstimateDirection.None;
        return new RowEstimate(actualPerLoop, plannedPerLoop, Math.Max(a, e) / Math.Min(a, e), direction);
    }
}
