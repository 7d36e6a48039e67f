SET lock_timeout = '1s';
SET statement_timeout = '5s';
ALTER TABLE querylab.shipments ADD CONSTRAINT shipments_weight_positive CHECK (weight_grams > 0);
ALTER TABLE querylab.carriers ADD CONSTRAINT carriers_name_key UNIQUE (name);
ALTER TABLE querylab.shipments ALTER COLUMN delivered_at SET NOT NULL;
ALTER TABLE querylab.shipments ADD COLUMN note text NOT NULL;
