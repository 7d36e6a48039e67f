#!/bin/sh
# Regenerates the plans of many shapes from a real server into pg<MAJOR>/ beside this script: each query's
# EXPLAIN (ANALYZE, BUFFERS, WAL, SETTINGS[, MEMORY, SERIALIZE on 17+][, VERBOSE for some], FORMAT JSON) as <name>.json
# and the same in FORMAT TEXT as <name>.txt. The major is read from the server (13 and up).
# Usage: PSQL="psql -h HOST -p PORT -U USER" sh generate.sh   (a scratch database: it creates tables in it)
# One scratch cluster per major from the binaries QueryLab caches: sh generate-on.sh BINDIR (see that script).
set -eu
cd "$(dirname "$0")"
PSQL=${PSQL:-psql}
NUM=$($PSQL -qAt -c "SHOW server_version_num")
MAJOR=$((NUM / 10000))
[ "$MAJOR" -ge 13 ] || { echo "PostgreSQL $MAJOR: the shapes need 13 or later (EXPLAIN's WAL option)" >&2; exit 2; }
OUT=${OUT:-pg$MAJOR}
mkdir -p "$OUT"
# 17 added EXPLAIN's MEMORY (planner memory) and SERIALIZE (the cost of sending the rows): fields older readers never saw.
EXTRA=""
[ "$MAJOR" -ge 17 ] && EXTRA="MEMORY, SERIALIZE,"
$PSQL -q -v ON_ERROR_STOP=1 <<'SQL'
DROP TABLE IF EXISTS g_items, g_parts, g_log, g_child, g_parent, g_vis CASCADE;
DROP FUNCTION IF EXISTS g_log_insert();
CREATE TABLE g_items (id int PRIMARY KEY, grp int NOT NULL, v int NOT NULL, note text) WITH (autovacuum_enabled = false);
INSERT INTO g_items SELECT i, i % 1000, ((i::bigint * 7919) % 300000)::int, md5(i::text) FROM generate_series(1, 300000) i;
CREATE INDEX g_items_grp_idx ON g_items (grp);
CREATE TABLE g_parts (id int NOT NULL, at date NOT NULL, amount numeric NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE g_parts_2024 PARTITION OF g_parts FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE g_parts_2025 PARTITION OF g_parts FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
INSERT INTO g_parts SELECT i, date '2024-01-01' + (i % 700), i % 97 FROM generate_series(1, 100000) i;
CREATE TABLE g_parent (id int PRIMARY KEY);
INSERT INTO g_parent SELECT generate_series(1, 1000);
CREATE TABLE g_child (id serial PRIMARY KEY, parent_id int NOT NULL REFERENCES g_parent (id), n int NOT NULL);
CREATE TABLE g_log (id serial PRIMARY KEY, child int, at timestamptz DEFAULT now());
CREATE FUNCTION g_log_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO g_log (child) VALUES (NEW.id); RETURN NEW; END $$;
CREATE TRIGGER g_child_log AFTER INSERT ON g_child FOR EACH ROW EXECUTE FUNCTION g_log_insert();
CREATE TABLE g_vis (id int PRIMARY KEY, k int NOT NULL, payload text NOT NULL) WITH (autovacuum_enabled = false);
INSERT INTO g_vis SELECT i, i, md5(i::text) FROM generate_series(1, 100000) i;
CREATE INDEX g_vis_k_idx ON g_vis (k);
VACUUM ANALYZE g_items, g_parts, g_parent, g_child, g_vis;
-- Every page of g_vis gets a new row version after the VACUUM: none is all-visible, so an index-only scan reads the heap anyway.
UPDATE g_vis SET payload = payload WHERE id % 3 = 0;
ANALYZE g_vis;
SQL

explain() { # name, settings, query[, extra options such as "VERBOSE,"]
  for fmt in JSON TEXT; do
    ext=$( [ $fmt = JSON ] && echo json || echo txt )
    $PSQL -qAt -v ON_ERROR_STOP=1 -c "BEGIN" -c "$2" -c "EXPLAIN (ANALYZE, BUFFERS, WAL, SETTINGS, $EXTRA ${4:-} FORMAT $fmt) $3" -c "ROLLBACK" > "$OUT/$1.$ext"
  done
}
SERIAL="SET max_parallel_workers_per_gather = 0; SET jit = off"
NOMEMO=""
[ "$MAJOR" -ge 14 ] && NOMEMO="; SET enable_memoize = off" # Memoize (enable_memoize) came in 14
explain seq-scan-filter "$SERIAL" "SELECT * FROM g_items WHERE v < 100"
explain parallel-aggregate "SET jit = off; SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0" "SELECT grp, count(*) FROM g_items GROUP BY grp"
explain gather-merge "SET jit = off; SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0" "SELECT * FROM g_items WHERE v % 3 = 0 ORDER BY v LIMIT 20"
explain cte-initplan-subplan "$SERIAL" "WITH big AS MATERIALIZED (SELECT grp, count(*) c FROM g_items GROUP BY grp) SELECT b.grp, (SELECT max(v) FROM g_items i WHERE i.grp = b.grp) FROM big b WHERE b.c > (SELECT avg(c) FROM big)"
# 13 has no Memoize: the same query is a nested loop straight onto the index there, so the shape is not written.
[ "$MAJOR" -ge 14 ] && explain memoize "$SERIAL; SET enable_hashjoin = off; SET enable_mergejoin = off" "SELECT count(*) FROM g_items a JOIN g_parent p ON p.id = a.grp WHERE a.v < 5000"
explain incremental-sort "$SERIAL" "SELECT * FROM (SELECT * FROM g_items ORDER BY id) s ORDER BY id, v LIMIT 10"
explain append-partitions "$SERIAL" "SELECT at, sum(amount) FROM g_parts WHERE at >= '2024-06-01' GROUP BY at ORDER BY at"
explain jit "SET max_parallel_workers_per_gather = 0; SET jit = on; SET jit_above_cost = 0; SET jit_inline_above_cost = 0; SET jit_optimize_above_cost = 0" "SELECT grp, sum(v * 2 + 1) FROM g_items GROUP BY grp"
explain insert-returning-trigger "$SERIAL" "INSERT INTO g_child (parent_id, n) SELECT (i % 1000) + 1, i FROM generate_series(1, 200) i RETURNING id, parent_id"
explain update-returning "$SERIAL" "UPDATE g_items SET note = 'x' WHERE grp = 7 RETURNING id"
explain sort-limit-spill "$SERIAL; SET work_mem = '64kB'" "SELECT * FROM g_items ORDER BY note OFFSET 1000 LIMIT 10"
explain hash-join-spill "$SERIAL; SET work_mem = '64kB'" "SELECT count(*) FROM g_items a JOIN g_items b ON b.id = a.v"
explain nested-loop-inner-filter "$SERIAL; SET enable_hashjoin = off; SET enable_mergejoin = off$NOMEMO" "SELECT p.id, (SELECT count(*) FROM g_child c WHERE c.parent_id = p.id) FROM g_parent p WHERE p.id < 40"
# A plan the settings forbid but nothing else can do (18 marks such a node "Disabled: true"; older majors add disable_cost to its cost).
explain disabled-seq-scan "$SERIAL; SET enable_seqscan = off" "SELECT count(*) FROM g_parts WHERE amount > 90"
# An index-only scan whose pages are not all-visible: Heap Fetches close to its rows (the fix is VACUUM, not an index).
explain index-only-heap-fetches "$SERIAL; SET enable_seqscan = off; SET enable_bitmapscan = off" "SELECT k FROM g_vis WHERE k <= 20000"
# An index scan reading the heap for two columns the index lacks (VERBOSE prints its Output): advise's INCLUDE candidate.
explain index-scan-few-columns "$SERIAL; SET enable_seqscan = off; SET enable_bitmapscan = off" "SELECT id, grp, note FROM g_items WHERE grp < 10" "VERBOSE,"
