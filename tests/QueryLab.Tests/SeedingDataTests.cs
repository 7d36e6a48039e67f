using QueryLab.Seed.Seeding;

namespace QueryLab.Tests;

/// <summary>What a seeded tiny database holds is plausible shipping data and obeys the generator's promises.</summary>
[Collection(SeedingDatabaseCollection.Name)]
public sealed class SeedingDataTests(SeedingTestDatabase db) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await db.ResetSchemaAsync();
        await new Seeder(db.DataSource, new StringWriter()).SeedAsync(new SeedRequest(Scale.Tiny, 42), CancellationToken.None);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData("pending", 0.05)]
    [InlineData("in_transit", 0.10)]
    [InlineData("out_for_delivery", 0.02)]
    [InlineData("delivered", 0.78)]
    [InlineData("exception", 0.015)]
    [InlineData("returned", 0.02)]
    [InlineData("cancelled", 0.015)]
    public async Task The_status_mix_is_within_three_points_of_the_target(string status, double target)
    {
        var share = await db.ScalarAsync<decimal>(
            $"SELECT avg((status = '{status}')::int)::numeric FROM querylab.shipments");
        Assert.InRange((double)share, target - 0.03, target + 0.03);
    }

    [Fact]
    public async Task Every_shipment_has_events_whose_latest_matches_its_status()
    {
        Assert.Equal(0L, await db.ScalarAsync<long>("""
            SELECT count(*) FROM querylab.shipments s
            WHERE NOT EXISTS (SELECT 1 FROM querylab.tracking_events e WHERE e.shipment_id = s.id)
            """));
        Assert.Equal(0L, await db.ScalarAsync<long>("""
            SELECT count(*) FROM querylab.shipments s
            CROSS JOIN LATERAL (SELECT e.status FROM querylab.tracking_events e WHERE e.shipment_id = s.id
                                ORDER BY e.occurred_at DESC LIMIT 1) latest
            WHERE latest.status <> ALL (CASE s.status
                WHEN 'pending' THEN ARRAY['label_created']
                WHEN 'in_transit' THEN ARRAY['picked_up', 'in_transit', 'arrived_at_facility']
                WHEN 'out_for_delivery' THEN ARRAY['out_for_delivery']
                WHEN 'delivered' THEN ARRAY['delivered']
                WHEN 'exception' THEN ARRAY['exception']
                WHEN 'returned' THEN ARRAY['returned_to_sender']
                WHEN 'cancelled' THEN ARRAY['cancelled'] END)
            """));
    }

    [Fact]
    public async Task Event_times_move_forward_and_frame_the_shipment()
    {
        Assert.Equal(0L, await db.ScalarAsync<long>("""
            SELECT count(*) FROM (
                SELECT occurred_at <= lag(occurred_at) OVER (PARTITION BY shipment_id ORDER BY id) AS backwards
                FROM querylab.tracking_events) e
            WHERE backwards
            """));
        Assert.Equal(0L, await db.ScalarAsync<long>("""
            SELECT count(*) FROM querylab.shipments s
            JOIN LATERAL (SELECT min(occurred_at) AS first, max(occurred_at) AS last,
                                 max(occurred_at) FILTER (WHERE status = 'delivered') AS delivered,
                                 min(status) FILTER (WHERE id % 16 = 1) AS first_status
                          FROM querylab.tracking_events e WHERE e.shipment_id = s.id) e ON true
            WHERE s.created_at <> e.first OR s.updated_at <> e.last OR s.delivered_at IS DISTINCT FROM e.delivered
               OR e.first_status <> 'label_created'
            """));
        Assert.True(await db.ScalarAsync<bool>("""
            SELECT (SELECT max(occurred_at) FROM querylab.tracking_events) < m.reference_time
               AND (SELECT max(occurred_at) FROM querylab.transactions) < m.reference_time
               AND (SELECT min(created_at) FROM querylab.shipments) >= m.reference_time - interval '730 days'
            FROM querylab.seed_manifest m
            """));
    }

    [Fact]
    public async Task Pending_and_in_transit_shipments_are_recent_and_finished_ones_are_not()
    {
        Assert.True(await db.ScalarAsync<bool>("""
            SELECT bool_and(CASE WHEN status IN ('pending', 'in_transit', 'out_for_delivery')
                                 THEN created_at >= timestamptz '2026-01-01Z' - interval '14 days'
                                 ELSE created_at < timestamptz '2026-01-01Z' - interval '3 days' END)
            FROM querylab.shipments
            """));
    }

    [Fact]
    public async Task Tracking_numbers_are_unique_and_in_their_carrier_format()
    {
        Assert.True(await db.ScalarAsync<bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'shipments_tracking_number_key' AND contype = 'u')"));
        Assert.Equal(0L, await db.ScalarAsync<long>("""
            SELECT count(*) FROM querylab.shipments s JOIN querylab.carriers c ON c.id = s.carrier_id
            WHERE s.tracking_number !~ CASE c.tracking_format
                WHEN 'ups' THEN '^1Z[0-9A-Z]{6}[0-9]{10}$'
                WHEN 'fedex' THEN '^[0-9]{12}$'
                WHEN 'dhl' THEN '^[0-9]{10}$'
                WHEN 'usps' THEN '^9[0-9]{21}$'
                WHEN 'postnl' THEN '^3S[A-Z]{4}[0-9]{9}$'
                ELSE '^[A-Z]{3}[0-9]{12}$' END
            """));
    }

    [Fact]
    public async Task Carrier_popularity_is_skewed()
    {
        var top = await db.ScalarAsync<decimal>("""
            SELECT max(n)::numeric / sum(n) FROM (SELECT count(*) AS n FROM querylab.shipments GROUP BY carrier_id) c
            """);
        Assert.InRange((double)top, 0.25, 0.50); // Zipf s = 1.1 over 10 carriers: 37% expected
        Assert.Equal("ups", await db.ScalarAsync<string>("""
            SELECT c.tracking_format FROM querylab.shipments s JOIN querylab.carriers c ON c.id = s.carrier_id
            GROUP BY c.tracking_format ORDER BY count(*) DESC LIMIT 1
            """));
    }

    [Fact]
    public async Task Each_shipment_has_one_charge_and_some_a_surcharge_in_four_currencies()
    {
        Assert.Equal(0L, await db.ScalarAsync<long>("""
            SELECT count(*) FROM querylab.shipments s
            WHERE (SELECT count(*) FROM querylab.transactions t WHERE t.shipment_id = s.id AND t.id % 2 = 1) <> 1
            """));
        var surcharges = await db.ScalarAsync<decimal>(
            "SELECT (SELECT count(*) FROM querylab.transactions WHERE id % 2 = 0)::numeric / count(*) FROM querylab.shipments");
        Assert.InRange((double)surcharges, 0.05, 0.11);
        Assert.Equal(4L, await db.ScalarAsync<long>("SELECT count(DISTINCT currency) FROM querylab.transactions"));
        Assert.True(await db.ScalarAsync<bool>(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY amount) BETWEEN 5 AND 30 FROM querylab.transactions WHERE id % 2 = 1"));
    }

    [Fact]
    public async Task Weekends_are_lighter_and_volume_grows()
    {
        Assert.True(await db.ScalarAsync<bool>("""
            SELECT count(*) FILTER (WHERE extract(isodow FROM created_at AT TIME ZONE 'UTC') >= 6) / 2.0
                 < count(*) FILTER (WHERE extract(isodow FROM created_at AT TIME ZONE 'UTC') < 6) / 5.0 * 0.7
            FROM querylab.shipments WHERE status = 'delivered'
            """));
        Assert.True(await db.ScalarAsync<bool>("""
            SELECT count(*) FILTER (WHERE created_at >= timestamptz '2025-01-01Z')
                 > count(*) FILTER (WHERE created_at < timestamptz '2025-01-01Z') * 1.15
            FROM querylab.shipments WHERE status IN ('delivered', 'exception', 'returned', 'cancelled')
            """));
    }

    [Fact]
    public async Task Sequences_continue_after_the_seeded_ids_and_the_summary_is_refreshed()
    {
        Assert.True(await db.ScalarAsync<bool>("""
            SELECT s.last_value = (SELECT max(id) + 1 FROM querylab.tracking_events) AND NOT s.is_called
            FROM querylab.tracking_events_id_seq s
            """));
        Assert.True(await db.ScalarAsync<bool>("""
            SELECT (SELECT sum(transaction_count) FROM querylab.daily_volume_summary) = (SELECT count(*) FROM querylab.transactions)
            """));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM querylab.seed_deferred_ddl"));
    }
}
