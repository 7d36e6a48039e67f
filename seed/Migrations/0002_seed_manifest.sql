-- The seeder's bookkeeping. A seeded database says what it holds: scale, seed, generator version and
-- row counts. `status` is 'complete' only after every table, index, foreign key, VACUUM (ANALYZE) and the
-- materialized view refresh are done; anything else (a seed in progress, interrupted or killed) is
-- 'incomplete' and the next `querylab seed` reseeds.

CREATE TABLE querylab.seed_manifest (
    id                 integer     PRIMARY KEY DEFAULT 1,
    scale              varchar(20) NOT NULL,
    seed               integer     NOT NULL,
    generator_version  varchar(20) NOT NULL,
    status             varchar(12) NOT NULL,
    reference_time     timestamptz NOT NULL,
    row_counts         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    table_checksums    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    started_at         timestamptz NOT NULL,
    finished_at        timestamptz,
    CONSTRAINT seed_manifest_single_row_check CHECK (id = 1),
    CONSTRAINT seed_manifest_status_check CHECK (status IN ('incomplete', 'complete')),
    CONSTRAINT seed_manifest_finished_check CHECK ((status = 'complete') = (finished_at IS NOT NULL))
);

-- Indexes and constraints the seeder drops before a bulk load and rebuilds after it. They are written
-- here before they are dropped, so a seed killed half-way still knows what to rebuild. Rows are dropped in
-- descending `ordinal` and rebuilt in ascending `ordinal` within each `rebuild_phase`: phase 1 holds primary
-- keys, unique constraints and plain indexes (tables rebuilt in parallel), phase 2 the foreign keys, which
-- need the keys they reference. The seeder empties the table when it marks the manifest complete.
CREATE TABLE querylab.seed_deferred_ddl (
    ordinal       integer  PRIMARY KEY,
    table_name    text     NOT NULL,
    object_name   text     NOT NULL,
    drop_sql      text     NOT NULL,
    create_sql    text     NOT NULL,
    rebuild_phase smallint NOT NULL DEFAULT 1,
    CONSTRAINT seed_deferred_ddl_rebuild_phase_check CHECK (rebuild_phase IN (1, 2))
);
