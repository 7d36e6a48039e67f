SET lock_timeout = '1s';
SET statement_timeout = '5s';
CREATE TABLE querylab.depots (
    id serial PRIMARY KEY,
    code char(4) NOT NULL,
    name varchar(100) NOT NULL,
    capacity int NOT NULL
);
