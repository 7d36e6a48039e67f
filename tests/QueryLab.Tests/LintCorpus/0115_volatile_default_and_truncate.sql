SET lock_timeout = '1s';
SET statement_timeout = '5s';
-- A volatile default is evaluated per row: the table is rewritten under ACCESS EXCLUSIVE.
ALTER TABLE querylab.tracking_events ADD COLUMN event_key uuid DEFAULT gen_random_uuid();
-- A constant default is stored in the catalog (PostgreSQL 11+): no rewrite.
ALTER TABLE querylab.tracking_events ADD COLUMN source text DEFAULT 'scanner';
TRUNCATE querylab.transactions;
