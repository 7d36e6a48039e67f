using QueryLab.Queries.Model;

namespace QueryLab.Queries.Scenarios;

/// <summary>A shipment as every variant returns it: all columns, plain values, UTC timestamps.</summary>
public sealed record ShipmentRow(
    Guid Id,
    string TrackingNumber,
    string Status,
    int CarrierId,
    string Origin,
    string Destination,
    int WeightGrams,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    DateTime? DeliveredAt)
{
    /// <summary>The column list in the order of the record, for hand-written SQL (Dapper maps by these aliases).</summary>
    public const string Columns =
        "s.id AS \"Id\", s.tracking_number AS \"TrackingNumber\", s.status AS \"Status\", s.carrier_id AS \"CarrierId\", "
        + "s.origin AS \"Origin\", s.destination AS \"Destination\", s.weight_grams AS \"WeightGrams\", "
        + "s.created_at AS \"CreatedAt\", s.updated_at AS \"UpdatedAt\", s.delivered_at AS \"DeliveredAt\"";

    public static ShipmentRow From(Shipment s) =>
        new(s.Id, s.TrackingNumber, s.Status, s.CarrierId, s.Origin, s.Destination, s.WeightGrams, s.CreatedAt, s.UpdatedAt, s.DeliveredAt);

    public static ShipmentRow Read(Npgsql.NpgsqlDataReader r, int o = 0) =>
        new(
            r.GetGuid(o),
            r.GetString(o + 1),
            r.GetString(o + 2),
            r.GetInt32(o + 3),
            r.GetString(o + 4),
            r.GetString(o + 5),
            r.GetInt32(o + 6),
            r.GetDateTime(o + 7),
            r.GetDateTime(o + 8),
            r.IsDBNull(o + 9) ? null : r.GetDateTime(o + 9));
}
