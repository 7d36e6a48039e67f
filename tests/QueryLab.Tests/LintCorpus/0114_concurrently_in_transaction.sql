SET lock_timeout = '1s';
SET statement_timeout = '5min';
-- No `querylab:no-transaction` line: this file runs in a transaction, where CONCURRENTLY fails.
CREATE INDEX CONCURRENTLY IF NOT EXISTS shipments_updated_idx ON querylab.shipments (updated_at);
