-- The lab's tables keep the state the seed gave them: no autovacuum, no autoanalyze.
--
-- Every write scenario runs in a transaction that is rolled back, but a rolled-back UPDATE or INSERT still
-- leaves dead rows and index entries, and it still counts towards autoanalyze's threshold. With autovacuum
-- on, measured here (small, two `bench --profile ci` runs of one build, one after the other):
--   * autoanalyze re-sampled shipments and tracking_events between runs at moments nobody chose; ANALYZE
--     samples at random, so the statistics, and with them the plans of ef-include-filtered and
--     ef-split-query, changed between two runs of the same build;
--   * pending-deep-page's OFFSET variants were 40-90x slower in the run where autovacuum had not yet removed
--     the dead rows mark-delivered left in shipments, and back to normal in the next;
--   * an autovacuum worker started in the middle of timing takes one of two cores.
-- So the statistics stay those of the seed's VACUUM (ANALYZE), and `querylab bench` removes dead rows itself
-- with a plain VACUUM (no ANALYZE) at fixed points: before timing, and before each variant that follows a
-- write. Anti-wraparound vacuums still run: PostgreSQL ignores this setting for them.

ALTER TABLE querylab.carriers SET (autovacuum_enabled = false, toast.autovacuum_enabled = false);
ALTER TABLE querylab.shipments SET (autovacuum_enabled = false, toast.autovacuum_enabled = false);
ALTER TABLE querylab.tracking_events SET (autovacuum_enabled = false, toast.autovacuum_enabled = false);
ALTER TABLE querylab.transactions SET (autovacuum_enabled = false, toast.autovacuum_enabled = false);
ALTER MATERIALIZED VIEW querylab.daily_volume_summary SET (autovacuum_enabled = false, toast.autovacuum_enabled = false);
