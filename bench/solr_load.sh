#!/usr/bin/env bash
# bench/solr_load.sh: documents per second of `shoal load --from solr:` into SQLite and into
# Cassandra, against the same rows loaded from a JSONL file (issue 19, "Speed, measured").
#
#   bench/solr_load.sh [ITEMS] [ROUNDS]      defaults: 100000 items, 3 rounds
#
# 1. builds the release binary (or uses SHOAL_BIN); writes the demo catalog of ITEMS items
#    (`shoal demo --generate-only`, seed 42) and exports its items to JSONL;
# 2. starts a Solr of its own (scripts/solr.sh, port 8991, fresh) and a Cassandra
#    (scripts/cassandra.sh; one already running is used and left running, one started here is
#    stopped at the end), and indexes the items into Solr under the test configset's field names
#    (tests/solr_load_test.cc: *_s, *_i, *_dt, rating in `price`, tags multi-valued), committed
#    once;
# 3. each round, in turn: into a fresh SQLite catalog (examples/catalog/schema.sql) from Solr and
#    from items.jsonl; into a fresh Cassandra keyspace from Solr and from items.jsonl. 1,000
#    documents a page (the source's default), the writers' default batching;
# 4. checks that the SQLite tables loaded both ways are identical and that Cassandra counts ITEMS
#    rows each way, then prints the medians.
# Results go to bench/out/solr-load/results.txt.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
ITEMS=${1:-100000}
ROUNDS=${2:-3}
OUT=$ROOT/bench/out/solr-load
SOLR_PORT=8991
CASSANDRA_PORT=${SHOAL_CASSANDRA_PORT:-9042}
KS=shoal_solr_bench
mkdir -p "$OUT"
cd "$ROOT"

# shellcheck source=store_common.sh
. "$HERE/store_common.sh"
shoal_binary

started_cassandra=0
if ! scripts/cassandra.sh status >/dev/null 2>&1; then started_cassandra=1; fi
cleanup() {
  SHOAL_SOLR_PORT=$SOLR_PORT scripts/solr.sh stop >/dev/null 2>&1 || true
  if [[ $started_cassandra == 1 ]]; then scripts/cassandra.sh stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT
SHOAL_SOLR_PORT=$SOLR_PORT SHOAL_SOLR_FRESH=1 SHOAL_SOLR_HEAP=1g scripts/solr.sh start >&2
scripts/cassandra.sh start >&2

if [[ ! -f $OUT/catalog-$ITEMS.db ]]; then
  rm -rf "$OUT/gen" && mkdir -p "$OUT/gen"
  "$BIN" demo --generate-only --dir "$OUT/gen" --items "$ITEMS" >&2
  mv "$OUT/gen/catalog.db" "$OUT/catalog-$ITEMS.db"
fi
python3 "$HERE/bench_tool.py" jsonl "$OUT/catalog-$ITEMS.db" "$OUT" items

echo "== indexing $ITEMS items into Solr" >&2
python3 - "http://127.0.0.1:$SOLR_PORT/solr/catalog/update" "$OUT/items.jsonl" <<'PY'
import json, sys, urllib.request
url, path = sys.argv[1], sys.argv[2]

def post(docs, commit=False):
    req = urllib.request.Request(url + ("?commit=true" if commit else ""),
                                 data=json.dumps(docs).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=600).read()

batch = []
with open(path, encoding="utf-8") as f:
    for line in f:
        r = json.loads(line)
        d = {"id": str(r["id"]), "sku_s": r["sku"], "title": r["title"],
             "category_s": r["category"], "price_cents_i": r["price_cents"], "stock": r["stock"],
             "tags": json.loads(r["tags"]) if isinstance(r["tags"], str) else r["tags"],
             "updated_at_dt": r["updated_at"]}
        if r.get("rating") is not None:
            d["price"] = r["rating"]
        batch.append(d)
        if len(batch) == 10000:
            post(batch)
            batch = []
post(batch, commit=True)
PY

FROM_SOLR="solr:http://127.0.0.1:$SOLR_PORT/solr/catalog?q=*:*&fl=id,sku_s,title,category_s,price_cents_i,stock,price,tags,updated_at_dt"
MAPS=(--map sku_s=sku --map category_s=category --map price_cents_i=price_cents
  --map price=rating --map updated_at_dt=updated_at)
rows_per_s() { sed -n 's/.*(\([0-9,]*\) rows\/s).*/\1/p' | tail -1 | tr -d ,; }
keyspace() {  # a fresh keyspace $KS with the catalog's tables
  scripts/cassandra.sh cql "DROP KEYSPACE IF EXISTS $KS" >/dev/null
  catalog_cql "$KS" | while IFS= read -r -d '' s; do scripts/cassandra.sh cql "$s" >/dev/null; done
}
count_cassandra() {
  scripts/cassandra.sh cql "SELECT count(*) FROM $KS.items" | grep -Eo '^ *[0-9]+ *$' | tr -d ' '
}
sqlite_db() { rm -f "$1"* && sqlite3 "$1" <examples/catalog/schema.sql; }
: >"$OUT/results.txt"

for ((r = 1; r <= ROUNDS; r++)); do
  sqlite_db "$OUT/from-solr.db"
  n=$("$BIN" load --to "sqlite:$OUT/from-solr.db" --table items --from "$FROM_SOLR" "${MAPS[@]}" \
    2>/dev/null | rows_per_s)
  echo "sqlite solr round $r: $n rows/s" | tee -a "$OUT/results.txt"
  sqlite_db "$OUT/from-jsonl.db"
  n=$("$BIN" load --to "sqlite:$OUT/from-jsonl.db" --table items --from "$OUT/items.jsonl" \
    2>/dev/null | rows_per_s)
  echo "sqlite jsonl round $r: $n rows/s" | tee -a "$OUT/results.txt"
  if ! cmp -s <(sqlite3 "$OUT/from-solr.db" 'SELECT * FROM items ORDER BY id') \
    <(sqlite3 "$OUT/from-jsonl.db" 'SELECT * FROM items ORDER BY id'); then
    echo "solr_load: the SQLite tables loaded from Solr and from JSONL differ" >&2
    exit 1
  fi
  for source in solr jsonl; do
    keyspace
    if [[ $source == solr ]]; then
      n=$("$BIN" load --to "cassandra:127.0.0.1:$CASSANDRA_PORT/$KS" --table items \
        --from "$FROM_SOLR" "${MAPS[@]}" 2>/dev/null | rows_per_s)
    else
      n=$("$BIN" load --to "cassandra:127.0.0.1:$CASSANDRA_PORT/$KS" --table items \
        --from "$OUT/items.jsonl" 2>/dev/null | rows_per_s)
    fi
    echo "cassandra $source round $r: $n rows/s" | tee -a "$OUT/results.txt"
    rows=$(count_cassandra)
    if [[ $rows != "$ITEMS" ]]; then
      echo "solr_load: Cassandra holds $rows items after the load from $source, not $ITEMS" >&2
      exit 1
    fi
  done
done
scripts/cassandra.sh cql "DROP KEYSPACE IF EXISTS $KS" >/dev/null

python3 - "$OUT/results.txt" <<'PY'
import re, statistics, sys
groups = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\w+) (\w+) round \d+: (\d+) rows/s", line)
    if m:
        groups.setdefault(f"{m[1]} from {m[2]} rows/s", []).append(float(m[3]))
print("\nmedians:")
for k, v in groups.items():
    print(f"  {k:28} {statistics.median(v):10.0f}   (runs: {', '.join(f'{x:g}' for x in v)})")
PY
