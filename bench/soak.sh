#!/usr/bin/env bash
# bench/soak.sh: an endurance run of a 3-node shoal cluster under a steady mixed load; does
# memory, descriptors or threads creep, does anything fail?
#
#   bench/soak.sh                      2 hours at 1,500 requests/s in all
#   bench/soak.sh --duration 3m        a smoke test of the script itself
#   bench/soak.sh --duration 2h --rate 3000 --warmup 10%
#
# Three nodes on loopback (HTTP 18184-18186, peers 18194-18196) over the shared catalog
# (bench/lib.sh: ../shared/workload, 100,000 items) with the catalog's own lifetimes (items
# 60 s, reviews 30 s, categories 10 s: expiry waves and refreshes all the time), a 32 MiB cache
# per node (full after the first minutes, so it evicts for the rest of the run), tags on items.
# For the whole duration, at once:
#   load      one `shoal bench` per node (8 keep-alive users, RATE/3 requests/s each, paced):
#             the catalog mix (hits, 1 % 404s for ids above the catalog) with every tenth path
#             replaced by a miss (reviews or a listing of a random item or category with a
#             random limit: keys outside the warm set). Each node is asked for every key, so
#             non-owners ask owners over the peer protocol and fill their hot caches.
#   purges    every 3 s POST /_shoal/purge to a node in turn: a key, a soft key, a tag, ten
#             soft tags; every 10th an endpoint (soft).
#   reloads   every 60 s one node in turn gets its items ttl switched (60 s <-> 90 s) and a
#             SIGHUP; its log must say "reloaded".
#   samples   every 10 s, per node: VmRSS, open descriptors, threads (/proc), and the load
#             driver's last 10 s window (answers, p99, timeouts, errors), and the machine's
#             load average -> samples.csv.
# Verdict (bench/soak_report.py): PASS when, on every node, RSS and open descriptors at the end
# (median of the last minute) are less than 2 % above their level at the end of the warm-up
# (median of the minute before it; warm-up 10 % of the run by default), every node is alive,
# and there were no errors: no 5xx, timeouts or connection failures in the load, no failed
# purge, no refused reload. Exit status 0 PASS, 1 FAIL, 2 usage.
#
# Results: bench/out/soak/ (samples.csv, summary.txt, soak.svg, the nodes' and drivers' logs).
# SHOAL_BIN=path/to/shoal takes a built binary instead of building the release preset;
# SHOAL_SOAK_PORT=P moves the ports to P..P+2 (HTTP) and P+10..P+12 (peers), so that two soaks
# (say, two builds side by side) can run at once with SHOAL_BENCH_OUT set apart for each.
set -euo pipefail

DURATION=2h
RATE=1500
WARMUP=10%
usage() {
  echo "usage: bench/soak.sh [--duration D (e.g. 3m, 2h)] [--rate REQ_PER_S] [--warmup N%|D]" >&2
  exit 2
}
while (($#)); do
  case "$1" in
    --duration) DURATION=${2:-} && shift 2 ;;
    --rate) RATE=${2:-} && shift 2 ;;
    --warmup) WARMUP=${2:-} && shift 2 ;;
    *) usage ;;
  esac
done

# seconds D: 90s, 3m, 2h, 1h30m -> seconds.
seconds() {
  local d=$1 total=0 n u
  [[ $d =~ ^([0-9]+[smh])+$ ]] || return 1
  while [[ $d =~ ^([0-9]+)([smh])(.*)$ ]]; do
    n=${BASH_REMATCH[1]} u=${BASH_REMATCH[2]} d=${BASH_REMATCH[3]}
    case $u in s) total=$((total + n)) ;; m) total=$((total + n * 60)) ;; h) total=$((total + n * 3600)) ;; esac
  done
  echo "$total"
}
SECS=$(seconds "$DURATION") || usage
((SECS >= 60)) || {
  echo "bench/soak.sh: --duration must be at least 1m" >&2
  exit 2
}
[[ $RATE =~ ^[0-9]+$ ]] && ((RATE >= 3)) || usage
if [[ $WARMUP =~ ^([0-9]+)%$ ]]; then
  WARM_SECS=$((SECS * BASH_REMATCH[1] / 100))
else
  WARM_SECS=$(seconds "$WARMUP") || usage
fi
((WARM_SECS < SECS)) || usage

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HTTP_THREADS=1
SCRIPT=bench/soak.sh
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
RUN=$OUT/soak
BASE_PORT=${SHOAL_SOAK_PORT:-18184}
[[ $BASE_PORT =~ ^[0-9]+$ ]] && ((BASE_PORT >= 1024 && BASE_PORT <= 65500)) || usage
HTTP_PORTS=($BASE_PORT $((BASE_PORT + 1)) $((BASE_PORT + 2)))
PEER_PORTS=($((BASE_PORT + 10)) $((BASE_PORT + 11)) $((BASE_PORT + 12)))
TOKEN=soak-admin-token-0123456789
NODE_PIDS=()
HELPER_PIDS=()

# stop_soak: lib.sh's stop_all over the helpers, then the nodes.
stop_soak() {
  EXTRA_PIDS=("${HELPER_PIDS[@]}" "${NODE_PIDS[@]}")
  stop_all
  HELPER_PIDS=()
  NODE_PIDS=()
}
trap stop_soak EXIT
trap 'exit 130' INT TERM


# node_config I ITEMS_TTL: node I's config, the catalog with tags on items, a 32 MiB cache
# and an admin token.
node_config() {
  local file=$RUN/node$1.yaml
  CLUSTER_TTLS="$2 30s 10s" cluster_config "$file" "${HTTP_PORTS[$1]}" "${PEER_PORTS[$1]}" \
    "${PEER_PORTS[@]}"
  sed -i 's/^  memory: 256MiB/  memory: 32MiB/' "$file"
  # The items endpoint (the first "result: one") carries the tag item:{id}.
  sed -i '0,/^    result: one$/s//    result: one\n    tags: ["item:{id}"]/' "$file"
  printf 'admin:\n  token: %s\n' "$TOKEN" >>"$file"
  chmod 600 "$file" # it holds the token and the cluster secret (shoal warns otherwise)
}

# make_paths I: node I's driver's paths: the catalog mix with every tenth line a miss (its own
# random seed per node, so the three drivers ask for different misses).
make_paths() {
  python3 - "$OUT/paths.txt" "$RUN/paths$1.txt" "$ITEMS" "$1" <<'PY'
import random, sys
src, dst, items, node = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
paths = [p.strip() for p in open(src) if p.strip()]
cats = sorted({p.split("/")[3] for p in paths if p.startswith("/v1/categories/")})
rng = random.Random(18 + node)
# Each driver starts at its own place in the mix.
paths = paths[node * len(paths) // 3:] + paths[:node * len(paths) // 3]
with open(dst, "w") as out:
    for i, p in enumerate(paths):
        if i % 10 == 9:
            if rng.random() < 0.8:
                p = f"/v1/items/{rng.randint(1, items)}/reviews?limit={rng.randint(1, 50)}"
            else:
                p = f"/v1/categories/{rng.choice(cats)}/items?limit={rng.randint(1, 100)}"
        out.write(p + "\n")
PY
}

wait_node() { wait_port "${HTTP_PORTS[$1]}" "node $1" "$RUN/node$1.log"; } # wait_node I

# purger: every 3 s one purge to a node in turn; each answer's status into purges.log.
purger() {
  set +e
  local n=0 node body code
  local cats=(books audio toys garden kitchen)
  while :; do
    sleep 3
    node=$((n % 3))
    case $((n % 10)) in
      9) body="{\"endpoint\": \"/v1/categories/{name}/items\", \"soft\": true}" ;;
      0 | 4) body="{\"key\": \"/v1/items/$((RANDOM % 200 + 1))\"}" ;;
      1 | 5) body="{\"key\": \"/v1/items/$((RANDOM % 200 + 1))\", \"soft\": true}" ;;
      2 | 6) body="{\"tag\": \"item:$((RANDOM % 1000 + 1))\"}" ;;
      *) body="{\"tags\": [$(for _ in 1 2 3 4 5 6 7 8 9 10; do printf '"item:%d",' $((RANDOM % 5000 + 1)); done | sed 's/,$//')], \"soft\": true}" ;;
    esac
    [[ $((n % 10)) == 8 ]] && body="{\"key\": \"/v1/categories/${cats[$((RANDOM % 5))]}/items\", \"soft\": true}"
    code=$(curl -s -o "$RUN/purge-last.json" -w '%{http_code}' --max-time 5 -H "Authorization: Bearer $TOKEN" \
      -d "$body" "http://127.0.0.1:${HTTP_PORTS[$node]}/_shoal/purge" || true)
    [[ -n $code ]] || code=000 # curl prints 000 itself when it could not connect
    # The answer too when it is not a 2xx: a 502's "failed" names the node that did not confirm.
    if [[ $code == 2* ]]; then
      printf '%s %s %s %s\n' "$(date +%s)" "$node" "$code" "$body" >>"$RUN/purges.log"
    else
      printf '%s %s %s %s -> %s\n' "$(date +%s)" "$node" "$code" "$body" \
        "$(tr -d '\n' <"$RUN/purge-last.json" 2>/dev/null)" >>"$RUN/purges.log"
    fi
    n=$((n + 1))
  done
}

# reloader: every 60 s one node in turn switches its items ttl and gets a SIGHUP.
reloader() {
  set +e
  local n=0 node ttl
  while :; do
    sleep 60
    node=$((n % 3))
    if grep -q '^    ttl: 60s$' "$RUN/node$node.yaml"; then ttl=90s; else ttl=60s; fi
    node_config "$node" "$ttl"
    kill -HUP "${NODE_PIDS[$node]}" 2>/dev/null || true
    printf '%s %s %s\n' "$(date +%s)" "$node" "$ttl" >>"$RUN/reloads.log"
    n=$((n + 1))
  done
}

# sampler: every 10 s one CSV row per node.
sampler() {
  set +e
  local t0=$1 i pid rss fds threads last
  while :; do
    sleep 10
    for i in 0 1 2; do
      pid=${NODE_PIDS[$i]}
      if [[ -r /proc/$pid/status ]]; then
        rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$pid/status")
        threads=$(awk '$1 == "Threads:" { print $2 }' "/proc/$pid/status")
        fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
      else
        rss=0 threads=0 fds=0
      fi
      # The driver's last window: time users answers avg p50 p99 max timeouts errors.
      last=$(grep -E '^ *[0-9]+\.[0-9] ' "$RUN/load$i.log" 2>/dev/null | tail -1 |
        awk '{ print $1 "," $3 "," $6 "," $8 "," $9 }' || true)
      [[ -n $last ]] || last=",,,,"
      printf '%s,%s,%s,%s,%s,%s,%s\n' $(($(date +%s) - t0)) "$i" "$rss" "$fds" "$threads" "$last" \
        "$(cut -d' ' -f1 /proc/loadavg)" >>"$RUN/samples.csv"
    done
  done
}

main() {
  ensure_tools
  build
  make_data
  rm -rf "$RUN" && mkdir -p "$RUN"
  local p i
  for p in "${HTTP_PORTS[@]}" "${PEER_PORTS[@]}"; do
    port_free "$p" || die "port $p is taken"
  done
  for i in 0 1 2; do make_paths "$i"; done
  for i in 0 1 2; do
    node_config "$i" 60s
    "$BIN" serve -c "$RUN/node$i.yaml" >"$RUN/node$i.log" 2>&1 &
    NODE_PIDS+=($!)
  done
  for i in 0 1 2; do wait_node "$i"; done
  log "soak: $DURATION ($SECS s, warm-up $WARM_SECS s) at $RATE requests/s over 3 nodes (pids ${NODE_PIDS[*]})"
  {
    echo "started $(date -u +%Y-%m-%dT%H:%M:%SZ) duration_s=$SECS warmup_s=$WARM_SECS rate=$RATE"
    echo "binary $BIN ($("$BIN" --version 2>/dev/null | head -1 || true))"
    echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "cores $(nproc), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  } >"$RUN/run.txt"
  echo "elapsed_s,node,rss_kib,fds,threads,window_end_s,answers,p99_ms,timeouts,errors,load1" >"$RUN/samples.csv"
  : >"$RUN/purges.log"
  : >"$RUN/reloads.log"
  local t0 loads=()
  t0=$(date +%s)
  for i in 0 1 2; do
    "$BIN" bench "http://127.0.0.1:${HTTP_PORTS[$i]}" --paths "$RUN/paths$i.txt" --users 8 \
      --ramp 2s --hold "$((SECS - 2))s" --rate "$((RATE / 3))" --step 10s --timeout 2s \
      --json "$RUN/load$i.json" >/dev/null 2>"$RUN/load$i.log" &
    loads+=($!)
    HELPER_PIDS+=($!)
  done
  purger &
  HELPER_PIDS+=($!)
  reloader &
  HELPER_PIDS+=($!)
  sampler "$t0" &
  HELPER_PIDS+=($!)
  local load_failed=0
  for p in "${loads[@]}"; do
    wait "$p" || load_failed=$((load_failed + 1))
  done
  sleep 1
  # Every node still alive?
  local dead=""
  for i in 0 1 2; do
    kill -0 "${NODE_PIDS[$i]}" 2>/dev/null || dead+="$i "
  done
  for i in 0 1 2; do
    curl -sf --max-time 5 "http://127.0.0.1:${HTTP_PORTS[$i]}/_shoal/metrics" >"$RUN/node$i.metrics" || true
  done
  stop_soak
  local reloads_ok=0 reloads_refused=0
  for i in 0 1 2; do
    reloads_ok=$((reloads_ok + $(grep -c 'reloaded ' "$RUN/node$i.log" || true)))
    reloads_refused=$((reloads_refused + $(grep -c 'reload refused' "$RUN/node$i.log" || true)))
  done
  {
    echo "finished $(date -u +%Y-%m-%dT%H:%M:%SZ), load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "dead_nodes=${dead:-none} load_drivers_failed=$load_failed"
    echo "reloads_sent=$(wc -l <"$RUN/reloads.log") reloads_ok=$reloads_ok reloads_refused=$reloads_refused"
  } >>"$RUN/run.txt"
  set +e
  python3 "$HERE/soak_report.py" --run "$RUN" --warmup "$WARM_SECS" --duration "$SECS" \
    --rate "$RATE" | tee "$RUN/summary.txt"
  local verdict=${PIPESTATUS[0]}
  set -e
  return "$verdict"
}

main "$@"
