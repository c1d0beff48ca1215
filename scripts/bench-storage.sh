#!/usr/bin/env bash
# Storage benchmarks on PostgreSQL (results go into BENCHMARKS.md):
#  1. ingest: the product's import path (`server import readings`) against a bare
#     `psql \copy` of the same CSV into a table with the same columns and no keys;
#  2. queries: p50/p99 of one-year and one-day chart queries and of the latest values of
#     every node, on a database holding QUERY_NODES x QUERY_STEPS readings.
# Data comes from the deterministic generator (server/benches/gen_readings.rs).
#   scripts/bench-storage.sh [all|ingest|query]
set -euo pipefail
WHAT=${1:-all}
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
DATA=${BENCH_DATA:-$CARGO_TARGET_DIR/bench-data}
INGEST_NODES=${INGEST_NODES:-1000}
INGEST_STEPS=${INGEST_STEPS:-5000}
QUERY_NODES=${QUERY_NODES:-1000}
QUERY_STEPS=${QUERY_STEPS:-10000}
export DEMO_DATA=false

cargo build --release -p server --bin server
SERVER=$CARGO_TARGET_DIR/release/server
now() { date +%s.%N; }
fresh_db() {
  psql "$PG/postgres" -q -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
}
load() { # db nodes steps dir
  cargo bench -q -p server --bench gen_readings -- --nodes "$2" --steps "$3" --out "$4"
  fresh_db "$1"
  DATABASE_URL="$PG/$1" "$SERVER" migrate
  DATABASE_URL="$PG/$1" "$SERVER" tenant create bench >/dev/null
  DATABASE_URL="$PG/$1" "$SERVER" import nodes "$4/nodes.csv" --tenant bench
}

if [ "$WHAT" = all ] || [ "$WHAT" = ingest ]; then
echo "== ingest: $INGEST_NODES nodes x $INGEST_STEPS steps"
load rw_bench_ingest "$INGEST_NODES" "$INGEST_STEPS" "$DATA/ingest"
ROWS=$((INGEST_NODES * INGEST_STEPS))
t0=$(now)
DATABASE_URL="$PG/rw_bench_ingest" "$SERVER" import readings "$DATA/ingest/readings.csv" --tenant bench
t1=$(now)
psql "$PG/rw_bench_ingest" -q -c \
  "CREATE TABLE bare_readings (ts timestamptz, node_id text, metric text, value double precision)"
t2=$(now)
psql "$PG/rw_bench_ingest" -q -c "\\copy bare_readings FROM '$DATA/ingest/readings.csv' CSV HEADER"
t3=$(now)
# A second reference: the same \copy into a table that enforces the same uniqueness.
psql "$PG/rw_bench_ingest" -q -c \
  "CREATE TABLE keyed_readings (ts timestamptz, node_id text, metric text, value double precision,
   PRIMARY KEY (node_id, metric, ts))"
t4=$(now)
psql "$PG/rw_bench_ingest" -q -c "\\copy keyed_readings FROM '$DATA/ingest/readings.csv' CSV HEADER"
t5=$(now)
python3 - "$ROWS" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" <<'PY'
import sys
rows, t0, t1, t2, t3, t4, t5 = int(sys.argv[1]), *map(float, sys.argv[2:])
product, bare, keyed = rows / (t1 - t0), rows / (t3 - t2), rows / (t5 - t4)
print(f"product import:         {rows} readings in {t1 - t0:6.1f} s = {product:>10,.0f} readings/s")
print(f"bare \\copy (no keys):    {rows} readings in {t3 - t2:6.1f} s = {bare:>10,.0f} readings/s")
print(f"\\copy into keyed table:  {rows} readings in {t5 - t4:6.1f} s = {keyed:>10,.0f} readings/s")
print(f"ratio product/bare = {product / bare:.2f}; product/keyed = {product / keyed:.2f}")
PY
fi

if [ "$WHAT" = all ] || [ "$WHAT" = query ]; then
echo "== queries: $QUERY_NODES nodes x $QUERY_STEPS steps"
load rw_bench_query "$QUERY_NODES" "$QUERY_STEPS" "$DATA/query"
DATABASE_URL="$PG/rw_bench_query" "$SERVER" import readings "$DATA/query/readings.csv" --tenant bench
psql "$PG/rw_bench_query" -q -c "VACUUM ANALYZE"
DATABASE_URL="$PG/rw_bench_query" cargo bench -q -p server --bench storage_queries -- --tenant bench
fi
