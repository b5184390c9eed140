#!/usr/bin/env bash
# bench/handover.sh: store loads caused by growing a warm cluster from 3 to 4 nodes under
# steady load, with and without key handover (cluster.handover; issue 15, item 4).
#
#   bench/handover.sh [SECONDS] [ROUNDS]     defaults: 12 s of load per run, 2 rounds
#
# Each run: 3 nodes over one SQLite catalog (HANDOVER_ITEMS items, default 5000; lifetimes
# 24 h, so a warm cluster makes no store query), warmed until a pass over every distinct path
# of the mix costs no store query; then `shoal bench` drives node 0 with the workload's Zipf
# mix (USERS keep-alive users, default 16) for SECONDS, and at a third of it a 4th node starts
# and PUT /_shoal/peers gives every node the 4-node list. Every store query during that run
# is caused by the growth (the keys the new node owns and does not hold). No hot caches
# (hot_memory: 0): node 0 would otherwise answer the popular keys itself, and how many reach
# the new node would depend on how long the warm-up ran. Variants on and
# off, interleaved, ROUNDS times; results in bench/out/handover/results.txt, medians printed.
# SHOAL_BIN picks the binary (else the release preset is built).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SCRIPT=handover.sh
HTTP_THREADS=1
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
SECONDS_EACH=${1:-12}
ROUNDS=${2:-2}
ITEMS=${HANDOVER_ITEMS:-5000}
USERS=${USERS:-16}
OUT=$ROOT/bench/out/handover
RUN=$OUT/run
mkdir -p "$RUN"

build
make_data

PIDS=()
URLS=()
stop_all() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  PIDS=()
  URLS=()
}
trap stop_all EXIT

# Ports: HTTP BASE+n, peer BASE+10+n, BASE fresh per run (the kernel's port 0 could hand one
# out twice before the nodes bind them).
BASE=0

# start_node N HANDOVER SELF PEERS...: one node, its URL appended to URLS.
start_node() {
  local n=$1 handover=$2 self=$3
  shift 3
  local cfg=$RUN/node$n.yaml log=$RUN/node$n-$VARIANT.log
  cluster_config "$cfg" $((BASE + n)) "$self" "$@"
  printf '  handover: %s\n  hot_memory: 0\n  probe_interval: 200ms\nadmin: { token: bench-admin-token-0123456789 }\nmetrics: { cache: 0s }\n' \
    "$handover" >>"$cfg"
  "$BIN" serve -c "$cfg" >"$log" 2>&1 &
  PIDS+=($!)
  local i url=""
  for ((i = 0; i < 300; i++)); do
    url=$(grep -o 'on http://127\.0\.0\.1:[0-9]*' "$log" | head -1 | sed 's/^on //' || true)
    [[ -n $url ]] && break
    sleep 0.1
  done
  [[ -n $url ]] || die "node $n did not start (see $log)"
  URLS+=("$url")
}

node_metric() { # node_metric URL NAME
  curl -sf --max-time 5 "$1/_shoal/metrics" | awk -v n="$2" '$1 == n { v = $2 } END { print (v == "" ? 0 : v) }'
}
store_queries() {
  local u total=0
  for u in "${URLS[@]}"; do total=$((total + $(node_metric "$u" shoal_store_queries_total))); done
  echo "$total"
}

# one_run VARIANT (on|off): prints "VARIANT growth_loads handover_hits moved_requests"
one_run() {
  VARIANT=$1
  local handover=true
  [[ $1 == off ]] && handover=false
  BASE=$((20000 + RANDOM % 20000))
  local ports=($((BASE + 10)) $((BASE + 11)) $((BASE + 12)) $((BASE + 13)))
  local i
  for i in 0 1 2; do start_node "$i" "$handover" "${ports[$i]}" "${ports[@]:0:3}"; done
  # Warm: passes over every distinct path until one costs no store query.
  local before after
  for ((i = 0; i < 10; i++)); do
    before=$(store_queries)
    "$BIN" bench "${URLS[0]}" --paths "$OUT/distinct.txt" --users 8 --ramp 0s --hold 4s \
      --step 4s --json "$RUN/warm.json" >/dev/null 2>&1 || true
    after=$(store_queries)
    ((after == before)) && break
  done
  before=$(store_queries)
  "$BIN" bench "${URLS[0]}" --paths "$OUT/paths.txt" --users "$USERS" --ramp 1s \
    --hold "${SECONDS_EACH}s" --step 2s --json "$RUN/load-$1.json" >/dev/null 2>&1 &
  local bench=$!
  sleep $((SECONDS_EACH / 3))
  start_node 3 "$handover" "${ports[3]}" "${ports[@]}"
  local list
  list=$(printf '"127.0.0.1:%s",' "${ports[@]}")
  for i in 0 1 2 3; do
    local answer
    answer=$(curl -s --max-time 10 -w ' HTTP %{http_code}' -X PUT \
      -H 'Authorization: Bearer bench-admin-token-0123456789' \
      -H 'Content-Type: application/json' -d "{\"peers\":[${list%,}]}" \
      "${URLS[$i]}/_shoal/peers" || true)
    [[ $answer == *"HTTP 200" ]] || die "PUT /_shoal/peers on node $i: $answer"
  done
  wait "$bench" || true
  after=$(store_queries)
  local hits served
  hits=$(node_metric "${URLS[3]}" shoal_cluster_handover_hits_total)
  served=$(node_metric "${URLS[3]}" shoal_cluster_served_gets_total)
  stop_all
  echo "$1 $((after - before)) $hits $served"
}

: >"$OUT/results.txt"
for ((r = 1; r <= ROUNDS; r++)); do
  for v in on off; do
    log "round $r: handover $v"
    one_run "$v" | tee -a "$OUT/results.txt"
  done
done
log "medians (store loads caused by the growth; handover hits; GETs the new node served)"
python3 - "$OUT/results.txt" <<'EOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    v, loads, hits, served = line.split()
    rows.setdefault(v, []).append((int(loads), float(hits), float(served)))
for v in ("on", "off"):
    if v in rows:
        r = rows[v]
        print(f"handover {v}: store loads {statistics.median(x[0] for x in r):g}, "
              f"handover hits {statistics.median(x[1] for x in r):g}, "
              f"new node served {statistics.median(x[2] for x in r):g} GETs ({len(r)} runs)")
if "on" in rows and "off" in rows:
    on = statistics.median(x[0] for x in rows["on"])
    off = statistics.median(x[0] for x in rows["off"])
    print(f"on/off: {100 * on / off if off else 0:.1f} %")
EOF
