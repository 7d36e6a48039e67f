-- Nothing bounds how long this waits for its lock, or how long it runs.
ALTER TABLE querylab.carriers ADD COLUMN region text;
ALTER TABLE querylab.carriers ALTER COLUMN region SET DEFAULT 'eu';
