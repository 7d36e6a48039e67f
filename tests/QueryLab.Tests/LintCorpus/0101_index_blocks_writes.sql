-- A generated index: a SHARE lock on shipments until it is built.
CREATE INDEX shipments_origin_idx ON querylab.shipments (origin);
