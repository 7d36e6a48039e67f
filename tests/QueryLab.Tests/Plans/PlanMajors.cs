using QueryLab.Bench.Pipeline;
using QueryLab.Bench.Plans;
using QueryLab.Tests.Infrastructure;

namespace QueryLab.Tests.Plans;

/// <summary>The golden plans of every shape on every major QueryLab supports: Plans/Golden/shapes/pg&lt;major&gt;/, made by generate.sh.</summary>
public static class PlanMajors
{
    public static readonly int[] All = [13, 14, 15, 16, 17, 18];

    public static string Shapes { get; } = Path.Combine(LabFixture.RepoRoot, "tests", "QueryLab.Tests", "Plans", "Golden", "shapes");

    public static string PathOf(int major, string file) => Path.Combine(Shapes, "pg" + major.ToString(System.Globalization.CultureInfo.InvariantCulture), file);

    /// <summary>The plan file read as `querylab explain --plan` reads it.</summary>
    public static PlanAnalysis Read(int major, string file) => PlanFileExplanation.Read(PathOf(major, file), file).Analysis;
}
