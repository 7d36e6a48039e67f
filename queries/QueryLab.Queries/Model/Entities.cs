namespace QueryLab.Queries.Model;

// The domain model, mapped onto seed/Migrations exactly (LabDbContext; a test compares the two).
// Timestamps are UTC DateTime, which Npgsql maps to timestamptz.

public sealed class Carrier
{
    public int Id { get; set; }

    public required string Code { get; set; }

    public required string Name { get; set; }

    public required string CountryCode { get; set; }

    public required string TrackingFormat { get; set; }

    public DateTime CreatedAt { get; set; }

    public List<Shipment> Shipments { get; set; } = [];
}

public sealed class Shipment
{
    public Guid Id { get; set; }

    public required string TrackingNumber { get; set; }

    public required string Status { get; set; }

    public int CarrierId { get; set; }

    public Carrier? Carrier { get; set; }

    public required string Origin { get; set; }

    public required string Destination { get; set; }

    public int WeightGrams { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }

    public DateTime? DeliveredAt { get; set; }

    public List<TrackingEvent> Events { get; set; } = [];

    public List<PaymentTransaction> Transactions { get; set; } = [];
}

public sealed class TrackingEvent
{
    public long Id { get; set; }

    public Guid ShipmentId { get; set; }

    public Shipment? Shipment { get; set; }

    public DateTime OccurredAt { get; set; }

    public required string Status { get; set; }

    public required string Location { get; set; }
}

/// <summary>A payment (table <c>transactions</c>; named so it does not collide with database transactions).</summary>
public sealed class PaymentTransaction
{
    public long Id { get; set; }

    public Guid ShipmentId { get; set; }

    public Shipment? Shipment { get; set; }

    public decimal Amount { get; set; }

    public required string Currency { get; set; }

    public DateTime OccurredAt { get; set; }
}

/// <summary>A row of the materialized view <c>daily_volume_summary</c> (keyless).</summary>
public sealed class DailyVolume
{
    public DateOnly Day { get; set; }

    public required string Currency { get; set; }

    public decimal TotalVolume { get; set; }

    public long TransactionCount { get; set; }
}

/// <summary>The statuses the schema's check constraint allows.</summary>
public static class ShipmentStatus
{
    public const string Pending = "pending";
    public const string InTransit = "in_transit";
    public const string OutForDelivery = "out_for_delivery";
    public const string Delivered = "delivered";
    public const string Exception = "exception";
    public const string Returned = "returned";
    public const string Cancelled = "cancelled";
}
