SET lock_timeout = '1s';
SET statement_timeout = '5s';
CREATE TABLE querylab.zones (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE querylab.shipments ADD CONSTRAINT shipments_weight_max CHECK (weight_grams < 100000000) NOT VALID;
