SET lock_timeout = '1s';
SET statement_timeout = '5s';
-- A rename generated as drop + add: the data of the column is lost.
ALTER TABLE querylab.carriers DROP COLUMN name;
ALTER TABLE querylab.carriers ADD COLUMN display_name text;
