SET lock_timeout = '1s';
SET statement_timeout = '5min';
ALTER TABLE querylab.shipments ALTER COLUMN weight_grams TYPE bigint;
