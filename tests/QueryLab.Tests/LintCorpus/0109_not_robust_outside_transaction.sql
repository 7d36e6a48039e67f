-- querylab:no-transaction
SET lock_timeout = '1s';
SET statement_timeout = '5min';
CREATE INDEX CONCURRENTLY shipments_created_idx ON querylab.shipments (created_at);
DROP INDEX CONCURRENTLY querylab.shipments_created_idx;
