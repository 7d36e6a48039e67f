SET lock_timeout = '1s';
SET statement_timeout = '5s';
ALTER TABLE querylab.shipments RENAME COLUMN origin TO origin_city;
