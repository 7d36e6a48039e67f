using Npgsql;
using QueryLab.Queries.Model;

namespace QueryLab.Queries.Catalog;

/// <summary>
/// The transaction a write operation runs in. It is always rolled back, so the seeded data never drifts;
/// every library uses this one connection and transaction.
/// </summary>
public sealed class WriteScope(CatalogContext lab, NpgsqlConnection connection, NpgsqlTransaction transaction)
{
    public CatalogContext Lab => lab;

    public NpgsqlConnection Connection => connection;

    public NpgsqlTransaction Transaction => transaction;

    /// <summary>A fresh EF Core context on this connection and transaction.</summary>
    public LabDbContext CreateEfContext() => lab.CreateEfContext(connection, transaction);
}

/// <summary>A write variant: do the write inside the scope's transaction and return the rows affected.</summary>
public sealed record WriteVariant<TParam>(
    string Name,
    Library Library,
    string Technique,
    Func<WriteScope, TParam, CancellationToken, Task<long>> Run,
    bool IsBaseline = false) : IVariant
{
    /// <inheritdoc/>
    public VariantForm Form { get; init; } = VariantForm.Best;
}

/// <summary>
/// A scenario that writes. Each operation opens a connection, begins a transaction, runs the variant and
/// rolls back. Verification compares rows affected and the rows as the transaction sees them afterwards.
/// </summary>
public abstract class WriteScenario<TParam, TRow> : IScenario
    where TRow : notnull
{
    private IReadOnlyList<IVariant>? _variants;

    public abstract string Name { get; }

    public abstract string Description { get; }

    public abstract string Parameters { get; }

    public bool Writes => true;

    public IReadOnlyList<IVariant> Variants => _variants ??= DefineVariants().ToList();

    protected abstract IEnumerable<WriteVariant<TParam>> DefineVariants();

    protected abstract Task<IReadOnlyList<TParam>> PickParametersAsync(CatalogContext lab, CancellationToken ct);

    /// <summary>The rows the write touched, as the transaction sees them after the write, in a defined order.</summary>
    protected abstract Task<IReadOnlyList<TRow>> ReadBackAsync(WriteScope scope, TParam parameter, CancellationToken ct);

    protected virtual string Describe(TParam parameter) => parameter?.ToString() ?? "";

    public async Task<IPreparedScenario> PrepareAsync(CatalogContext lab, CancellationToken ct)
    {
        var parameters = await PickParametersAsync(lab, ct);
        if (parameters.Count == 0)
        {
            throw new InvalidOperationException($"scenario {Name} found no parameter values in the seeded data; reseed (querylab seed --force)");
        }

        return new Prepared(this, lab, parameters);
    }

    private sealed class Prepared(WriteScenario<TParam, TRow> scenario, CatalogContext lab, IReadOnlyList<TParam> parameters) : IPreparedScenario
    {
        public IScenario Scenario => scenario;

        public int ParameterCount => parameters.Count;

        public string DescribeParameters(int iteration) => scenario.Describe(parameters[iteration % parameters.Count]);

        public string? NotRunReason(IVariant variant) => null;

        public async Task<VariantResult> RunAsync(IVariant variant, int iteration, bool collect, CancellationToken ct)
        {
            var v = (WriteVariant<TParam>)variant;
            var p = parameters[iteration % parameters.Count];
            await using var conn = await lab.DataSource.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            var scope = new WriteScope(lab, conn, tx);
            try
            {
                var affected = await v.Run(scope, p, ct);
                var rows = collect ? (await scenario.ReadBackAsync(scope, p, ct)).Cast<object>().ToList() : [];
                return new VariantResult(rows, affected);
            }
            finally
            {
                // Always rolled back: even a cancelled or failed operation leaves the seeded data as it was.
                await tx.RollbackAsync(CancellationToken.None);
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
