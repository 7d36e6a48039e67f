namespace QueryLab.Queries.Catalog;

/// <summary>One variant of a scenario: a library and a technique. The baseline is raw Npgsql's best form.</summary>
public interface IVariant
{
    string Name { get; }

    Library Library { get; }

    string Technique { get; }

    bool IsBaseline { get; }

    /// <summary>Best form, naive or alternative (<see cref="VariantForm"/>); the baseline is a best form.</summary>
    VariantForm Form { get; }
}

/// <summary>
/// A scenario of the catalog: one question an application asks, written once with all its variants.
/// Verification, timing, profiling, reports and tests all enumerate <see cref="ScenarioCatalog"/>.
/// </summary>
public interface IScenario
{
    /// <summary>Kebab-case id used on the command line and in reports.</summary>
    string Name { get; }

    /// <summary>What it asks and why it matters, in one or two sentences a reviewer reads in the report.</summary>
    string Description { get; }

    /// <summary>How its parameters are picked from the seeded data.</summary>
    string Parameters { get; }

    /// <summary>True for scenarios that write: each operation runs in a transaction that is rolled back.</summary>
    bool Writes { get; }

    IReadOnlyList<IVariant> Variants { get; }

    IVariant Baseline => Variants.Single(v => v.IsBaseline);

    /// <summary>Fetches the parameter set (deterministically, from the seeded data) and anything the variants need.</summary>
    Task<IPreparedScenario> PrepareAsync(CatalogContext lab, CancellationToken ct);
}

/// <summary>The normalised answer of one operation: plain rows in the scenario's defined order, and rows affected for writes.</summary>
public sealed record VariantResult(IReadOnlyList<object> Rows, long RowsAffected)
{
    public IEnumerable<string> RenderedRows => Rows.Select(r => r.ToString() ?? "");
}

/// <summary>A scenario ready to run: its parameters fetched, its connections (say, through a pooler) opened.</summary>
public interface IPreparedScenario : IAsyncDisposable
{
    IScenario Scenario { get; }

    /// <summary>How many distinct parameter values rotate through the operations.</summary>
    int ParameterCount { get; }

    /// <summary>Human description of the parameter value used by operation <paramref name="iteration"/>.</summary>
    string DescribeParameters(int iteration);

    /// <summary>Why a variant cannot run here (say, pgbouncer is not installed), or null when it can.</summary>
    string? NotRunReason(IVariant variant);

    /// <summary>
    /// Runs one operation of a variant with the parameter value of <paramref name="iteration"/> (rotating).
    /// With <paramref name="collect"/> the normalised result is returned (writes also read back the rows as
    /// the transaction sees them); without it only what the operation itself does runs — that is what is timed.
    /// </summary>
    Task<VariantResult> RunAsync(IVariant variant, int iteration, bool collect, CancellationToken ct);
}
