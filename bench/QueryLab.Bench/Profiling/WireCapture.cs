using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace QueryLab.Bench.Profiling;

/// <summary>One parameter as it went over the wire: name (empty for positional), type and value.</summary>
public sealed record CapturedParameter(string Name, NpgsqlDbType? DbType, string? DataTypeName, object? Value)
{
    public string Display => (Name.Length > 0 ? Name + " = " : "") + ValueText(Value);

    public static string ValueText(object? v) => v switch
    {
        null or DBNull => "NULL",
        string s => $"'{(s.Length > 80 ? s[..77] + "…" : s)}'",
        DateTime d => d.ToString("yyyy-MM-dd HH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture) + (d.Kind == DateTimeKind.Utc ? "Z" : ""),
        System.Collections.IEnumerable e and not string => "[" + string.Join(", ", e.Cast<object?>().Take(5).Select(ValueText)) + (e.Cast<object?>().Skip(5).Any() ? $", … {e.Cast<object?>().Count()} in all" : "") + "]",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };
}

/// <summary>How a statement went over the wire: a command of its own, one of a batch (sharing its round trip), or a COPY.</summary>
public enum StatementKind
{
    Command,
    Batch,
    Copy,
}

/// <summary>One statement PostgreSQL received: its SQL and parameters, and the round trip it travelled in.</summary>
public sealed record CapturedStatement(int RoundTrip, StatementKind Kind, string Sql, IReadOnlyList<CapturedParameter> Parameters);

/// <summary>
/// Capture at the wire: every command, batch and COPY that goes through a data source configured with
/// <see cref="Configure"/> is recorded while a <see cref="CaptureScope"/> is active on the current async
/// flow. EF Core, Dapper and raw Npgsql all go through the same data source, so the capture is the same
/// for all three. It relies on Npgsql's own tracing (an Activity per command/batch/COPY — one round trip
/// each), and costs nothing when no scope is active; timing runs on a data source without it.
/// </summary>
public static class WireCapture
{
    private static readonly AsyncLocal<CaptureScope?> Current = new();
    private static readonly ActivityListener Listener = CreateListener();

    /// <summary>Adds capture to a data source builder (the profiling pass's data source).</summary>
    public static void Configure(NpgsqlDataSourceBuilder builder)
    {
        _ = Listener;
        builder.ConfigureTracing(o => o
            .ConfigureCommandFilter(_ => Current.Value is not null)
            .ConfigureBatchFilter(_ => Current.Value is not null)
            .ConfigureCopyOperationFilter(_ => Current.Value is not null)
            .ConfigureCommandEnrichmentCallback((_, cmd) => Current.Value?.Record(cmd))
            .ConfigureBatchEnrichmentCallback((_, batch) => Current.Value?.Record(batch))
            .ConfigureCopyOperationEnrichmentCallback((_, copy) => Current.Value?.RecordCopy(copy)));
    }

    /// <summary>Starts recording on this async flow until the scope is disposed.</summary>
    public static CaptureScope Begin()
    {
        var scope = new CaptureScope(() => Current.Value = null);
        Current.Value = scope;
        return scope;
    }

    private static ActivityListener CreateListener()
    {
        var l = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => Current.Value is null ? ActivitySamplingResult.None : ActivitySamplingResult.AllData,
        };
        ActivitySource.AddActivityListener(l);
        return l;
    }
}

/// <summary>The statements of one operation, in the order they were sent.</summary>
public sealed class CaptureScope(Action onDispose) : IDisposable
{
    private readonly List<CapturedStatement> _statements = [];
    private int _roundTrips;

    public IReadOnlyList<CapturedStatement> Statements
    {
        get
        {
            lock (_statements)
            {
                return _statements.ToList();
            }
        }
    }

    public int RoundTrips => _roundTrips;

    /// <remarks>
    /// A command whose text holds several statements (EF Core's SaveChanges batch: <c>UPDATE … @p3; UPDATE … @p7; …</c>) is
    /// what PostgreSQL receives as that many statements in one round trip: each is recorded on its own, with the named
    /// parameters it uses, as one of a batch — so its plans, buffers and WAL count once per statement, and its generic plan
    /// can be PREPAREd (a multi-statement text cannot be).
    /// </remarks>
    internal void Record(NpgsqlCommand cmd)
    {
        var parameters = Parameters(cmd.Parameters);
        var parts = cmd.CommandType == System.Data.CommandType.Text && parameters.All(p => p.Name.Length > 0) ? Placeholders.Split(cmd.CommandText) : [];
        lock (_statements)
        {
            var rt = ++_roundTrips;
            if (parts.Count < 2)
            {
                _statements.Add(new CapturedStatement(rt, StatementKind.Command, cmd.CommandText, parameters));
                return;
            }

            foreach (var part in parts)
            {
                var used = Placeholders.NamesUsed(part);
                var own = used
                    .Select(n => parameters.FirstOrDefault(p => string.Equals(p.Name.TrimStart('@', ':'), n, StringComparison.OrdinalIgnoreCase)))
                    .OfType<CapturedParameter>()
                    .ToList();
                _statements.Add(new CapturedStatement(rt, StatementKind.Batch, part, own));
            }
        }
    }

    internal void Record(NpgsqlBatch batch)
    {
        lock (_statements)
        {
            var rt = ++_roundTrips;
            foreach (var c in batch.BatchCommands)
            {
                _statements.Add(new CapturedStatement(rt, StatementKind.Batch, c.CommandText, Parameters((NpgsqlParameterCollection)c.Parameters)));
            }
        }
    }

    internal void RecordCopy(string copyCommand)
    {
        lock (_statements)
        {
            var rt = ++_roundTrips;
            _statements.Add(new CapturedStatement(rt, StatementKind.Copy, copyCommand, []));
        }
    }

    private static List<CapturedParameter> Parameters(NpgsqlParameterCollection ps) =>
        ps.Select(p => new CapturedParameter(
            p.ParameterName ?? "",
            p.NpgsqlDbType == NpgsqlDbType.Unknown ? null : p.NpgsqlDbType,
            p.DataTypeName,
            Snapshot(p.Value))).ToList();

    /// <summary>Arrays and lists are copied: the application may reuse them after the command.</summary>
    private static object? Snapshot(object? v) => v is Array a ? a.Clone() : v;

    public void Dispose() => onDispose();
}
