#!/usr/bin/env bash
# bench/cassandra.sh: the Cassandra store against the SQLite store, on this machine.
#
#   bench/cassandra.sh [ITEMS] [ROUNDS]     defaults: 100000 items, 3 rounds
#
# 1. builds the release binary (or uses SHOAL_BIN), starts a local Cassandra
#    (scripts/cassandra.sh; one already running is used), writes the demo catalog of ITEMS
#    items with `shoal demo --generate-only` and exports it to JSONL;
# 2. ingest: `shoal load` of items and reviews into a fresh Cassandra keyspace and into an
#    empty SQLite file made from examples/catalog/schema.sql, each ROUNDS times (rows/s);
# 3. cold misses: a shoal on each store in turn, with an empty cache, asked for 2,000
#    distinct item ids one after another on one connection (bench_tool.py first-requests),
#    ROUNDS times alternating; p50 and p99 of each run.
# Results go to bench/out/cassandra/results.txt; the medians are printed at the end.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
ITEMS=${1:-100000}
ROUNDS=${2:-3}
OUT=$ROOT/bench/out/cassandra
PORT=${SHOAL_CASSANDRA_PORT:-9042}
KS=shoal_bench
mkdir -p "$OUT"
cd "$ROOT"

# shellcheck source=store_common.sh
. "$HERE/store_common.sh"
shoal_binary
scripts/cassandra.sh start >&2

if [[ ! -f $OUT/catalog.db ]]; then
  "$BIN" demo --generate-only --dir "$OUT" --items "$ITEMS" >&2
fi
if [[ ! -f $OUT/items.jsonl ]]; then
  python3 "$HERE/bench_tool.py" jsonl "$OUT/catalog.db" "$OUT" items reviews
fi
rows_per_s() { sed -n 's/.*(\([0-9,]*\) rows\/s).*/\1/p' | tail -1 | tr -d ,; }
: >"$OUT/results.txt"

for ((r = 1; r <= ROUNDS; r++)); do
  scripts/cassandra.sh cql "DROP KEYSPACE IF EXISTS $KS" >/dev/null
  catalog_cql "$KS" | while IFS= read -r -d '' s; do scripts/cassandra.sh cql "$s" >/dev/null; done
  for table in items reviews; do
    c=$("$BIN" load --to "cassandra:127.0.0.1:$PORT/$KS" --table $table \
      --from "$OUT/$table.jsonl" 2>/dev/null | rows_per_s)
    echo "ingest cassandra $table round $r: $c rows/s" | tee -a "$OUT/results.txt"
  done
  rm -f "$OUT/ingest.db"*
  sqlite3 "$OUT/ingest.db" <examples/catalog/schema.sql
  for table in items reviews; do
    s=$("$BIN" load --to "sqlite:$OUT/ingest.db" --table $table \
      --from "$OUT/$table.jsonl" 2>/dev/null | rows_per_s)
    echo "ingest sqlite $table round $r: $s rows/s" | tee -a "$OUT/results.txt"
  done
done

# Cold misses. The Cassandra keyspace holds the same rows as catalog.db (loaded above).
python3 - "$ITEMS" >"$OUT/item-paths.txt" <<'PY'
import random, sys
n = int(sys.argv[1])
for i in random.Random(7).sample(range(1, n + 1), 2000):
    print(f"/v1/items/{i}")
PY
sed -e "s|^listen:.*|listen: 127.0.0.1:0|" -e "s|keyspace: shoal_catalog|keyspace: $KS|" \
  -e "s|127.0.0.1:9042|127.0.0.1:$PORT|" examples/catalog/shoal-cassandra.yaml >"$OUT/cassandra.yaml"
sed -e "s|^listen:.*|listen: 127.0.0.1:0|" -e "s|sqlite: .*|sqlite: { path: $OUT/catalog.db }|" \
  examples/catalog/shoal.yaml >"$OUT/sqlite.yaml"
PID=
trap '[[ -n $PID ]] && kill $PID 2>/dev/null || true' EXIT
for ((r = 1; r <= ROUNDS; r++)); do
  for store in sqlite cassandra; do
    "$BIN" serve -c "$OUT/$store.yaml" >"$OUT/$store.log" 2>&1 &
    PID=$!
    url=
    for _ in $(seq 300); do
      url=$(grep -o 'on http://127\.0\.0\.1:[0-9]*' "$OUT/$store.log" | sed 's/^on //' || true)
      [[ -n $url ]] && break
      sleep 0.1
    done
    [[ -n $url ]] || { cat "$OUT/$store.log"; exit 1; }
    python3 "$HERE/bench_tool.py" first-requests --url "$url" --paths "$OUT/item-paths.txt" \
      --count 2000 | python3 -c "
import json, sys
r = json.load(sys.stdin)
f = r['first']
print('cold-miss $store round $r: p50 %.2f ms p99 %.2f ms (statuses %s)' % (
    f['p50_us'] / 1000, f['p99_us'] / 1000, r['first_status']))" | tee -a "$OUT/results.txt"
    kill $PID
    wait $PID 2>/dev/null || true
    PID=
  done
done

python3 - "$OUT/results.txt" <<'PY'
import re, statistics, sys
groups = {}
for line in open(sys.argv[1]):
    m = re.match(r"ingest (\w+) (\w+) round \d+: (\d+) rows/s", line)
    if m:
        groups.setdefault(f"ingest {m[1]} {m[2]} rows/s", []).append(float(m[3]))
    m = re.match(r"cold-miss (\w+) round \d+: p50 ([\d.]+) ms p99 ([\d.]+) ms", line)
    if m:
        groups.setdefault(f"cold-miss {m[1]} p50 ms", []).append(float(m[2]))
        groups.setdefault(f"cold-miss {m[1]} p99 ms", []).append(float(m[3]))
print("\nmedians:")
for k, v in groups.items():
    print(f"  {k:34} {statistics.median(v):10.2f}   (runs: {', '.join(f'{x:g}' for x in v)})")
PY
