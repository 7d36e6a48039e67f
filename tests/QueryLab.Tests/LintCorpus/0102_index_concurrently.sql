-- querylab:no-transaction
SET lock_timeout = '1s';
SET statement_timeout = '5min';
CREATE INDEX CONCURRENTLY IF NOT EXISTS shipments_destination_idx ON querylab.shipments (destination);
