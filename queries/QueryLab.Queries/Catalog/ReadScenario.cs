namespace QueryLab.Queries.Catalog;

/// <summary>A read variant: given the catalog context and a parameter value, return the normalised rows.</summary>
public sealed record ReadVariant<TParam, TRow>(
    string Name,
    Library Library,
    string Technique,
    Func<CatalogContext, TParam, CancellationToken, Task<IReadOnlyList<TRow>>> Run,
    bool IsBaseline = false) : IVariant
    where TRow : notnull
{
    /// <inheritdoc/>
    public VariantForm Form { get; init; } = VariantForm.Best;
}

/// <summary>
/// A scenario that only reads. Subclasses pick parameters and define variants; running, rotation and
/// normalisation are shared.
/// </summary>
public abstract class ReadScenario<TParam, TRow> : IScenario
    where TRow : notnull
{
    private IReadOnlyList<IVariant>? _variants;

    public abstract string Name { get; }

    public abstract string Description { get; }

    public abstract string Parameters { get; }

    public bool Writes => false;

    public IReadOnlyList<IVariant> Variants => _variants ??= DefineVariants().ToList();

    protected abstract IEnumerable<ReadVariant<TParam, TRow>> DefineVariants();

    /// <summary>The parameter set, fetched deterministically from the seeded data (same data ⇒ same set, same order).</summary>
    protected abstract Task<IReadOnlyList<TParam>> PickParametersAsync(CatalogContext lab, CancellationToken ct);

    /// <summary>Variants that cannot run in this environment say why (null: all can run).</summary>
    protected virtual string? NotRunReason(CatalogContext lab, IVariant variant) => null;

    protected virtual string Describe(TParam parameter) => parameter?.ToString() ?? "";

    /// <summary>
    /// Opens the connections the variants need beyond the shared data source (unpooled, through the lab's pooler),
    /// once per preparation. They live as long as the prepared scenario, which disposes them; variants and
    /// <see cref="NotRunReason"/> reach them through <see cref="CatalogContext.Connections"/>. Null: nothing to open.
    /// </summary>
    protected virtual Task<ScenarioConnections?> OpenConnectionsAsync(CatalogContext lab, CancellationToken ct) => Task.FromResult<ScenarioConnections?>(null);

    public async Task<IPreparedScenario> PrepareAsync(CatalogContext lab, CancellationToken ct)
    {
        var parameters = await PickParametersAsync(lab, ct);
        if (parameters.Count == 0)
        {
            throw new InvalidOperationException($"scenario {Name} found no parameter values in the seeded data; reseed (querylab seed --force)");
        }

        var connections = await OpenConnectionsAsync(lab, ct);
        return new Prepared(this, connections is null ? lab : lab.WithConnections(connections), parameters, connections);
    }

    private sealed class Prepared(ReadScenario<TParam, TRow> scenario, CatalogContext lab, IReadOnlyList<TParam> parameters, ScenarioConnections? connections) : IPreparedScenario
    {
        public IScenario Scenario => scenario;

        public int ParameterCount => parameters.Count;

        public string DescribeParameters(int iteration) => scenario.Describe(parameters[iteration % parameters.Count]);

        public string? NotRunReason(IVariant variant) => scenario.NotRunReason(lab, variant);

        public async Task<VariantResult> RunAsync(IVariant variant, int iteration, bool collect, CancellationToken ct)
        {
            var v = (ReadVariant<TParam, TRow>)variant;
            var rows = await v.Run(lab, parameters[iteration % parameters.Count], ct);
            return new VariantResult(collect ? rows.Cast<object>().ToList() : [], rows.Count);
        }

        public ValueTask DisposeAsync() => connections?.DisposeAsync() ?? ValueTask.CompletedTask;
    }
}
