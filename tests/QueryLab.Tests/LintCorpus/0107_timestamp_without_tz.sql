SET lock_timeout = '1s';
SET statement_timeout = '5s';
CREATE TABLE querylab.audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    happened_at timestamp NOT NULL,
    note text
);
ALTER TABLE querylab.shipments ADD COLUMN checked_at timestamp without time zone;
