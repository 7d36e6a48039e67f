SET statement_timeout = '5s';
-- A new table is empty, but its foreign key locks the table it references.
CREATE TABLE querylab.delivery_notes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shipment_id uuid NOT NULL REFERENCES querylab.shipments (id),
    body text NOT NULL
);
CREATE INDEX delivery_notes_shipment_idx ON querylab.delivery_notes (shipment_id);
