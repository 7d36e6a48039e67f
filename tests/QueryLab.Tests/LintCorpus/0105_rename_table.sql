SET lock_timeout = '1s';
SET statement_timeout = '5s';
ALTER TABLE querylab.transactions RENAME TO payments;
