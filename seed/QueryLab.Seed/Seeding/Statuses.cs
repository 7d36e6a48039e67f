namespace QueryLab.Seed.Seeding;

/// <summary>shipments.status (the check constraint's values).</summary>
internal enum ShipmentStatus : byte { Pending, InTransit, OutForDelivery, Delivered, Exception, Returned, Cancelled }

/// <summary>tracking_events.status (the check constraint's values).</summary>
internal enum EventStatus : byte
{
    LabelCreated, PickedUp, InTransit, ArrivedAtFacility, OutForDelivery, Delivered, Exception, ReturnedToSender, Cancelled,
}

/// <summary>Where an event happens, resolved to a city when the event row is written.</summary>
internal enum Place : byte { Origin, Destination, OriginHub, DestinationHub, Previous }

internal static class Statuses
{
    /// <summary>Target shipment status mix, in <see cref="ShipmentStatus"/> order.</summary>
    public static readonly double[] Mix = [0.05, 0.10, 0.02, 0.78, 0.015, 0.02, 0.015];

    private static readonly string[] ShipmentNames =
        ["pending", "in_transit", "out_for_delivery", "delivered", "exception", "returned", "cancelled"];

    private static readonly string[] EventNames =
    [
        "label_created", "picked_up", "in_transit", "arrived_at_facility", "out_for_delivery", "delivered",
        "exception", "returned_to_sender", "cancelled",
    ];

    public static string Name(ShipmentStatus s) => ShipmentNames[(int)s];

    public static string Name(EventStatus s) => EventNames[(int)s];

    public static IReadOnlyList<string> ShipmentStatusNames => ShipmentNames;

    /// <summary>The latest event a shipment in this status may have.</summary>
    public static IReadOnlyList<string> LatestEventsFor(string shipmentStatus) => shipmentStatus switch
    {
        "pending" => ["label_created"],
        "in_transit" => ["picked_up", "in_transit", "arrived_at_facility"],
        "out_for_delivery" => ["out_for_delivery"],
        "delivered" => ["delivered"],
        "exception" => ["exception"],
        "returned" => ["returned_to_sender"],
        "cancelled" => ["cancelled"],
        _ => throw new ArgumentOutOfRangeException(nameof(shipmentStatus), shipmentStatus, "not a shipment status"),
    };
}
