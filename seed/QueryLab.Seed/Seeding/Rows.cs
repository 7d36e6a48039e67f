using System.Buffers;

namespace QueryLab.Seed.Seeding;

/// <summary>One shipments row. Times are UTC ticks; DeliveredAt 0 means NULL.</summary>
internal struct ShipmentRow
{
    public Guid Id;
    public string TrackingNumber;
    public string Status;
    public int CarrierId;
    public string Origin;
    public string Destination;
    public int WeightGrams;
    public long CreatedAt;
    public long UpdatedAt;
    public long DeliveredAt;
}

/// <summary>One tracking_events row.</summary>
internal struct EventRow
{
    public long Id;
    public Guid ShipmentId;
    public long OccurredAt;
    public string Status;
    public string Location;
}

/// <summary>One transactions row.</summary>
internal struct TransactionRow
{
    public long Id;
    public Guid ShipmentId;
    public decimal Amount;
    public string Currency;
    public long OccurredAt;
}

/// <summary>A chunk's rows of one table, in a pooled array; the consumer returns it.</summary>
internal sealed class RowBatch<T>(int chunk, T[] rows, int count)
{
    public int Chunk { get; } = chunk;

    public T[] Rows { get; } = rows;

    public int Count { get; } = count;

    public ReadOnlySpan<T> Span => Rows.AsSpan(0, Count);

    /// <summary>Back to the pool uncleared: every slot below Count is overwritten by the next chunk that rents it.</summary>
    public void Return() => ArrayPool<T>.Shared.Return(Rows);
}

/// <summary>Everything generated from one chunk of shipments.</summary>
internal sealed record GeneratedChunk(
    int Index,
    RowBatch<ShipmentRow> Shipments,
    RowBatch<EventRow> Events,
    RowBatch<TransactionRow> Transactions)
{
    public void Return()
    {
        Shipments.Return();
        Events.Return();
        Transactions.Return();
    }
}
