using QueryLab.Queries.Model;

namespace QueryLab.Queries.Scenarios;

/// <summary>
/// An in-transit shipment as the tracking board shows it: its carrier and its latest tracking event
/// (null event columns when it has none; every seeded in-transit shipment has at least three). UTC timestamps.
/// </summary>
public sealed record InTransitRow(
    Guid ShipmentId,
    string TrackingNumber,
    DateTime CreatedAt,
    string CarrierCode,
    string CarrierName,
    DateTime? LatestEventAt,
    string? LatestEventStatus,
    string? LatestEventLocation)
{
    public static InTransitRow From(Shipment s, Carrier c, TrackingEvent? e) =>
        new(s.Id, s.TrackingNumber, s.CreatedAt, c.Code, c.Name, e?.OccurredAt, e?.Status, e?.Location);

    /// <summary>Reads the eight columns in the record's order.</summary>
    public static InTransitRow Read(Npgsql.NpgsqlDataReader r) =>
        new(
            r.GetGuid(0),
            r.GetString(1),
            r.GetDateTime(2),
            r.GetString(3),
            r.GetString(4),
            r.IsDBNull(5) ? null : r.GetDateTime(5),
            r.IsDBNull(6) ? null : r.GetString(6),
            r.IsDBNull(7) ? null : r.GetString(7));
}
