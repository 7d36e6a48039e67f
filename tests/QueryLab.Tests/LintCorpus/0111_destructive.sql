SET lock_timeout = '1s';
SET statement_timeout = '5s';
DROP TABLE querylab.transactions;
TRUNCATE querylab.tracking_events CASCADE;
DROP INDEX querylab.shipments_status_idx;
