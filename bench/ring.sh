#!/usr/bin/env bash
# bench/ring.sh: cache misses served from a real 3-node Cassandra ring, shoal's client in its
# variants against the original Go design (gocql) on the same ring, in one run.
#
#   bench/ring.sh [SECONDS] [ROUNDS]      defaults: 15 s per measurement, 2 rounds
#
# 1. builds the release binary (or uses SHOAL_BIN); starts scripts/cassandra-ring.sh's ring
#    unless one answers (3 nodes: 127.0.0.2 dc1/rack1, 127.0.0.3 dc1/rack2, 127.0.0.4 dc2);
#    makes keyspace shoal_bench_ring (NetworkTopologyStrategy {dc1: 2, dc2: 1}) with the
#    catalog's items table and loads ITEMS (default 20000) demo items with `shoal load`;
# 2. serves /v1/items/{id} with a 1 s lifetime and no grace, so nearly every request over
#    ITEMS random ids is a miss, and drives it with `shoal bench` (USERS, default 32,
#    keep-alive connections, no think time) for SECONDS after a 1 s ramp; answers/s, p50, p99
#    and max of each run;
# 3. variants, each ROUNDS times, interleaved:
#      token-aware      the defaults: replicas of the key first, local DC (dc1), LZ4
#      round-robin      token_aware: false (every read to any dc1 node: a coordinator hop)
#      no-lz4           compression: none
#      slowed           node 127.0.0.3 SIGSTOPped 300 ms of every second during the run
#      slowed+spec      the same with speculative_delay: 5ms
#      seedgo           ../shared/seedgo's data+web tiers over the ring through gocql (its
#                       defaults: QUORUM, round-robin, 2 connections per host), item
#                       lifetime 1 s; needs Debian's golang and gocql packages (installed
#                       here when missing); skipped when it cannot be built
# Results: bench/out/ring/results.txt, medians printed at the end. The ring is left running
# (scripts/cassandra-ring.sh stop). Every JVM and shoal shares the same 2 cores: the figures
# compare the variants with each other, not with a real cluster.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SECONDS_EACH=${1:-15}
ROUNDS=${2:-2}
ITEMS=${ITEMS:-20000}
USERS=${USERS:-32}
OUT=$ROOT/bench/out/ring
KS=shoal_bench_ring
RING=$ROOT/scripts/cassandra-ring.sh
SEEDGO_SRC=${SEEDGO_SRC:-$ROOT/../shared/seedgo}
mkdir -p "$OUT"
cd "$ROOT"

# shellcheck source=store_common.sh
. "$HERE/store_common.sh"
shoal_binary

if ! "$RING" status >/dev/null 2>&1; then "$RING" start 3 >&2; fi
SLOW_PID=$("$RING" nodes | awk '$2 == "127.0.0.3" { print $5 }')
[[ $SLOW_PID =~ ^[0-9]+$ ]] || { echo "ring: node 127.0.0.3 has no pid" >&2; exit 1; }

# --- data --------------------------------------------------------------------------------
if [[ ! -f $OUT/items.jsonl ]]; then
  "$BIN" demo --generate-only --dir "$OUT" --items "$ITEMS" >&2
  python3 "$HERE/bench_tool.py" jsonl "$OUT/catalog.db" "$OUT" items
fi
"$RING" cql 1 "DROP KEYSPACE IF EXISTS $KS" >/dev/null
"$RING" cql 1 "CREATE KEYSPACE $KS WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 2, 'dc2': 1}" >/dev/null
"$RING" cql 1 "CREATE TABLE $KS.items (id bigint PRIMARY KEY, sku text, title text, category text, price_cents bigint, stock bigint, rating double, tags text, updated_at text)" >/dev/null
sleep 2 # schema agreement on three nodes
"$BIN" load --to "cassandra:127.0.0.2:9042/$KS" --table items --from "$OUT/items.jsonl" >&2
python3 - "$ITEMS" >"$OUT/paths.txt" <<'PY'
import random, sys
n = int(sys.argv[1])
r = random.Random(7)
for _ in range(200000):
    print(f"/v1/items/{r.randint(1, n)}")
PY

config() { # $1 = extra store.cassandra lines -> a config on stdout
  cat <<EOF
listen: 127.0.0.1:0
store:
  cassandra:
    contact_points: [127.0.0.2:9042, 127.0.0.3:9042, 127.0.0.4:9042]
    keyspace: $KS
$1
  timeout: 2s
cache:
  memory: 64MiB
  grace: 0s
  stale_if_error: 0s
endpoints:
  - route: /v1/items/{id:int}
    query: >-
      SELECT id, sku, title, category, price_cents, stock, rating, tags, updated_at
      FROM items WHERE id = :id
    result: one
    json: [tags]
    ttl: 1s
EOF
}

PIDS=()
cleanup() {
  kill -CONT "$SLOW_PID" 2>/dev/null || true
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  if [[ -n ${SEEDGO_OUT:-} ]]; then SEEDGO_OUT=$SEEDGO_OUT bash "$SEEDGO_SRC/run.sh" stop || true; fi
}
trap cleanup EXIT

# measure LABEL URL [slow] -> one result line
measure() {
  local label=$1 url=$2 slow=${3:-} slower=
  if [[ -n $slow ]]; then
    (while :; do kill -STOP "$SLOW_PID"; sleep 0.3; kill -CONT "$SLOW_PID"; sleep 0.7; done) &
    slower=$!
  fi
  "$BIN" bench "$url" --paths "$OUT/paths.txt" --users "$USERS" --ramp 1s \
    --hold "${SECONDS_EACH}s" --step "${SECONDS_EACH}s" --json "$OUT/$label.json" >/dev/null || true
  if [[ -n $slower ]]; then
    kill "$slower"; wait "$slower" 2>/dev/null || true
    kill -CONT "$SLOW_PID"
  fi
  python3 - "$OUT/$label.json" "$label" "$r" <<'PY' | tee -a "$OUT/results.txt"
import json, sys
t = json.load(open(sys.argv[1]))["total"]
secs = t["end_s"] - t["start_s"]
print(f"{sys.argv[2]} round {sys.argv[3]}: {t['hits'] / secs:.0f} answers/s p50 {t['p50_ms']:.2f} ms "
      f"p99 {t['p99_ms']:.2f} ms max {t['max_ms']:.1f} ms errors {t['errors']} timeouts {t['timeouts']}")
PY
}

# serve LABEL EXTRA -> starts shoal, sets URL
serve() {
  config "$2" >"$OUT/$1.yaml"
  "$BIN" serve -c "$OUT/$1.yaml" >"$OUT/$1.log" 2>&1 &
  PIDS+=($!)
  URL=
  for _ in $(seq 300); do
    URL=$(grep -o 'on http://127\.0\.0\.1:[0-9]*' "$OUT/$1.log" | sed 's/^on //' || true)
    [[ -n $URL ]] && break
    sleep 0.1
  done
  [[ -n $URL ]] || { cat "$OUT/$1.log" >&2; exit 1; }
}

stop_last() {
  local p=${PIDS[-1]}
  kill "$p"; wait "$p" 2>/dev/null || true
  unset 'PIDS[-1]'
}

seedgo_ok=0
if [[ -d $SEEDGO_SRC ]]; then
  if ! dpkg -s golang-github-gocql-gocql-dev >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q golang-go golang-github-gocql-gocql-dev \
      golang-github-golang-groupcache-dev golang-github-gorilla-mux-dev \
      golang-github-mattn-go-sqlite3-dev >&2 || true
  fi
  export SEEDGO_OUT=$OUT/seedgo
  if GO=/usr/lib/go/bin/go DATA_FLAGS="-ttl-item 1s" bash "$SEEDGO_SRC/run.sh" cassandra \
    127.0.0.2:9042 "$KS" >&2; then
    seedgo_ok=1
    bash "$SEEDGO_SRC/run.sh" stop
  else
    echo "ring bench: seedgo could not be built or started: left out" >&2
  fi
fi

: >"$OUT/results.txt"
for ((r = 1; r <= ROUNDS; r++)); do
  serve token-aware ""
  measure token-aware "$URL"; stop_last
  serve round-robin "    token_aware: false"
  measure round-robin "$URL"; stop_last
  serve no-lz4 "    compression: none"
  measure no-lz4 "$URL"; stop_last
  serve slowed ""
  measure slowed "$URL" slow; stop_last
  serve slowed-spec "    speculative_delay: 5ms"
  measure slowed-spec "$URL" slow; stop_last
  if [[ $seedgo_ok == 1 ]]; then
    GO=/usr/lib/go/bin/go DATA_FLAGS="-ttl-item 1s" bash "$SEEDGO_SRC/run.sh" cassandra \
      127.0.0.2:9042 "$KS" >/dev/null
    measure seedgo "http://127.0.0.1:18080"
    bash "$SEEDGO_SRC/run.sh" stop
  fi
done

python3 - "$OUT/results.txt" <<'PY'
import re, statistics, sys
groups = {}
for line in open(sys.argv[1]):
    m = re.match(r"(\S+) round \d+: (\d+) answers/s p50 ([\d.]+) ms p99 ([\d.]+) ms max ([\d.]+) ms errors (\d+)", line)
    if m:
        g = groups.setdefault(m[1], {"answers/s": [], "p50 ms": [], "p99 ms": [], "max ms": [], "errors": []})
        for k, v in zip(g, m.groups()[1:]):
            g[k].append(float(v))
print("\nmedians:")
for name, g in groups.items():
    print(f"  {name:12} " + "  ".join(f"{k} {statistics.median(v):8.2f}" for k, v in g.items()))
PY
