using Microsoft.EntityFrameworkCore;

namespace QueryLab.Queries.Model;

/// <summary>
/// EF Core's view of the lab schema. Every table, column type, nullability and index here matches
/// seed/Migrations; the schema is owned by those SQL files, never by EF migrations.
/// </summary>
public sealed class LabDbContext(DbContextOptions<LabDbContext> options) : DbContext(options)
{
    public DbSet<Carrier> Carriers => Set<Carrier>();

    public DbSet<Shipment> Shipments => Set<Shipment>();

    public DbSet<TrackingEvent> TrackingEvents => Set<TrackingEvent>();

    public DbSet<PaymentTransaction> Transactions => Set<PaymentTransaction>();

    public DbSet<DailyVolume> DailyVolumes => Set<DailyVolume>();

    protected override void OnModelCreating(ModelBuilder b)
    {
        b.HasDefaultSchema("querylab");

        b.Entity<Carrier>(e =>
        {
            e.ToTable("carriers");
            e.Property(x => x.Id).HasColumnName("id").HasColumnType("integer").UseIdentityByDefaultColumn();
            e.Property(x => x.Code).HasColumnName("code").HasColumnType("character varying(12)");
            e.Property(x => x.Name).HasColumnName("name").HasColumnType("character varying(100)");
            e.Property(x => x.CountryCode).HasColumnName("country_code").HasColumnType("character(2)");
            e.Property(x => x.TrackingFormat).HasColumnName("tracking_format").HasColumnType("character varying(20)");
            e.Property(x => x.CreatedAt).HasColumnName("created_at").HasColumnType("timestamp with time zone");
            e.HasIndex(x => x.Code).IsUnique().HasDatabaseName("carriers_code_key");
        });

        b.Entity<Shipment>(e =>
        {
            e.ToTable("shipments");
            e.Property(x => x.Id).HasColumnName("id").HasColumnType("uuid").ValueGeneratedNever();
            e.Property(x => x.TrackingNumber).HasColumnName("tracking_number").HasColumnType("character varying(32)");
            e.Property(x => x.Status).HasColumnName("status").HasColumnType("character varying(20)").HasDefaultValue("pending");
            e.Property(x => x.CarrierId).HasColumnName("carrier_id").HasColumnType("integer");
            e.Property(x => x.Origin).HasColumnName("origin").HasColumnType("character varying(100)");
            e.Property(x => x.Destination).HasColumnName("destination").HasColumnType("character varying(100)");
            e.Property(x => x.WeightGrams).HasColumnName("weight_grams").HasColumnType("integer");
            e.Property(x => x.CreatedAt).HasColumnName("created_at").HasColumnType("timestamp with time zone");
            e.Property(x => x.UpdatedAt).HasColumnName("updated_at").HasColumnType("timestamp with time zone");
            e.Property(x => x.DeliveredAt).HasColumnName("delivered_at").HasColumnType("timestamp with time zone");
            e.HasIndex(x => x.TrackingNumber).IsUnique().HasDatabaseName("shipments_tracking_number_key");
            e.HasIndex(x => x.Status).HasDatabaseName("shipments_status_idx");
            e.HasIndex(x => x.CarrierId).HasDatabaseName("shipments_carrier_id_idx");
            e.HasIndex(x => x.CreatedAt).HasDatabaseName("shipments_created_at_idx");
            e.HasOne(x => x.Carrier).WithMany(c => c.Shipments).HasForeignKey(x => x.CarrierId).HasConstraintName("shipments_carrier_id_fkey");
        });

        b.Entity<TrackingEvent>(e =>
        {
            e.ToTable("tracking_events");
            e.Property(x => x.Id).HasColumnName("id").HasColumnType("bigint").UseIdentityByDefaultColumn();
            e.Property(x => x.ShipmentId).HasColumnName("shipment_id").HasColumnType("uuid");
            e.Property(x => x.OccurredAt).HasColumnName("occurred_at").HasColumnType("timestamp with time zone");
            e.Property(x => x.Status).HasColumnName("status").HasColumnType("character varying(30)");
            e.Property(x => x.Location).HasColumnName("location").HasColumnType("character varying(100)");
            e.HasIndex(x => new { x.ShipmentId, x.OccurredAt }).IsDescending(false, true).HasDatabaseName("tracking_events_shipment_latest_idx");
            e.HasOne(x => x.Shipment).WithMany(s => s.Events).HasForeignKey(x => x.ShipmentId).HasConstraintName("tracking_events_shipment_id_fkey");
        });

        b.Entity<PaymentTransaction>(e =>
        {
            e.ToTable("transactions");
            e.Property(x => x.Id).HasColumnName("id").HasColumnType("bigint").UseIdentityByDefaultColumn();
            e.Property(x => x.ShipmentId).HasColumnName("shipment_id").HasColumnType("uuid");
            e.Property(x => x.Amount).HasColumnName("amount").HasColumnType("numeric(12,2)");
            e.Property(x => x.Currency).HasColumnName("currency").HasColumnType("character(3)");
            e.Property(x => x.OccurredAt).HasColumnName("occurred_at").HasColumnType("timestamp with time zone");
            e.HasIndex(x => x.OccurredAt).HasDatabaseName("transactions_occurred_at_idx");
            e.HasIndex(x => x.ShipmentId).HasDatabaseName("transactions_shipment_id_idx");
            e.HasOne(x => x.Shipment).WithMany(s => s.Transactions).HasForeignKey(x => x.ShipmentId).HasConstraintName("transactions_shipment_id_fkey");
        });

        b.Entity<DailyVolume>(e =>
        {
            e.HasNoKey();
            e.ToView("daily_volume_summary");
            e.Property(x => x.Day).HasColumnName("day").HasColumnType("date");
            e.Property(x => x.Currency).HasColumnName("currency").HasColumnType("character(3)");
            e.Property(x => x.TotalVolume).HasColumnName("total_volume").HasColumnType("numeric(14,2)");
            e.Property(x => x.TransactionCount).HasColumnName("transaction_count").HasColumnType("bigint");
        });
    }
}
