#!/usr/bin/env bash
# bench/compare.sh: shoal against what users would put in its place, side by side, in one run.
#
#   bench/compare.sh          20 s per measurement, 2 rounds (about 8 minutes plus the build)
#   bench/compare.sh quick    5 s, 1 round: a smoke test
#   bench/compare.sh expiry   as full, but with the catalog's own lifetimes (items 60 s,
#                             reviews 30 s, categories 10 s): expiry waves, refreshes and
#                             the proxies' revalidation are part of the measurement
#
# Four systems over the shared catalog workload (../shared/workload, 100,000 items), each on
# its own loopback port, all running at once:
#   shoal          shoal alone (the release build, SQLite, one event loop)
#   nginx-cache    nginx (1 worker) with proxy_cache in front of that shoal
#   varnish        Varnish in front of that shoal (malloc storage, 256 MiB)
#   nginx-fixed    nginx (1 worker) answering one fixed ~600-byte JSON to every request: the
#                  fastest HTTP server on the box, so wrk's own ceiling
#   shoal-cluster  three shoal nodes (one event loop each) owning a third of the keys each,
#                  wrk on the first: it answers its own keys and its hot cache's, and asks the
#                  owner for the rest over the peer protocol (SHOAL_COMPARE_CLUSTER=0 leaves
#                  it out); its CPU is all three nodes'.
# Lifetimes are 24 h (shoal's, which the proxies obey through Cache-Control), so after the
# warm-up every measured request is a hit. Each system is warmed for 10 s (one pass over the
# mix's distinct paths first, so the proxies hold every key), then measured at wrk -t1 -c50
# and -c1000, round after round. The server CPU per request is utime+stime of every process
# of the system (for the proxies: the proxy's processes and the shoal behind it) over the
# run, divided by the requests. nginx and Varnish are installed from Debian when missing.
#
# Results: bench/out/compare/results.jsonl (compare-MODE/) and one summary table, with shoal's ratio to each.
set -euo pipefail

MODE=${1:-full}
case "$MODE" in
  full) DURATION=20 WARM=10 ROUNDS=${SHOAL_COMPARE_ROUNDS:-2} TTLS="24h 24h 24h" ;;
  quick) DURATION=5 WARM=3 ROUNDS=1 TTLS="24h 24h 24h" ;;
  expiry) DURATION=20 WARM=10 ROUNDS=${SHOAL_COMPARE_ROUNDS:-2} TTLS="60s 30s 10s" ;;
  *)
    echo "usage: bench/compare.sh [quick|expiry]" >&2
    exit 2
    ;;
esac

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# One event loop, as nginx runs one worker here: wrk -t1 needs the other core, and a second
# loop would only fight it for that core (measured: about 1.3x the CPU per request and a p99
# of 4 ms at -c50, from context switches). SHOAL_BENCH_HTTP_THREADS=0 gives one loop per core.
HTTP_THREADS=${SHOAL_BENCH_HTTP_THREADS:-1}
SCRIPT=bench/compare.sh
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
RUN=$OUT/compare-$MODE

NGINX_CACHE_PORT=18081
VARNISH_PORT=18082
NGINX_FIXED_PORT=18083
CLUSTER_HTTP_PORTS=(18084 18085 18086)
CLUSTER_PEER_PORTS=(18094 18095 18096)
CLUSTER=${SHOAL_COMPARE_CLUSTER:-1}
CLUSTER_TTLS=$TTLS
EXTRA_PIDS=()

stop_all() {
  local p
  for p in "${EXTRA_PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in "${EXTRA_PIDS[@]}"; do
    for _ in $(seq 50); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  EXTRA_PIDS=()
  stop_server
}
trap stop_all EXIT
trap 'exit 130' INT TERM

ensure_servers() {
  if ! command -v nginx >/dev/null || ! command -v varnishd >/dev/null; then
    log "installing nginx-light and varnish (Debian)"
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    DEBIAN_FRONTEND=noninteractive timeout 600 "${sudo[@]}" apt-get install -y nginx-light \
      varnish >&2 || die "apt-get install nginx-light varnish failed"
  fi
}

start_varnish() {
  local dir=$RUN/varnish
  rm -rf "$dir" && mkdir -p "$dir"
  # -F: foreground, so that its pid is ours; -j none: no privilege separation (we own the
  # directory); default.vcl behaviour: cache what the backend's Cache-Control allows.
  varnishd -F -j none -n "$dir" -a "127.0.0.1:$VARNISH_PORT" -b "${URL#http://}" \
    -s malloc,256m -p thread_pool_min=50 -p thread_pool_max=1000 >"$dir/varnishd.log" 2>&1 &
  EXTRA_PIDS+=($!)
  varnish_PID=$!
}

# run_wrk LABEL PORT CONNECTIONS SECONDS PIDS...: one measurement, appended to results.jsonl.
run_wrk() {
  local label=$1 port=$2 conns=$3 secs=$4
  shift 4
  local t0 t1 out=$RUN/${label//\//-}.wrk
  t0=$(tree_ticks "$@")
  timeout $((secs + 60)) wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$WORKLOAD/wrk.lua" \
    "http://127.0.0.1:$port" -- "$OUT/paths.txt" >"$out" 2>&1 ||
    die "wrk ($label) failed: $(tail -5 "$out")"
  t1=$(tree_ticks "$@")
  "${TOOL[@]}" record --label "$label" --wrk-out "$out" connections="$conns" \
    cpu_ticks=$((t1 - t0)) clk_tck="$CLK_TCK" | tee -a "$RUN/results.jsonl" >&2
}

main() {
  ensure_tools
  ensure_servers
  build
  make_data
  mkdir -p "$RUN"
  : >"$RUN/results.jsonl"
  local p
  for p in $NGINX_CACHE_PORT $VARNISH_PORT $NGINX_FIXED_PORT "${CLUSTER_HTTP_PORTS[@]}" \
    "${CLUSTER_PEER_PORTS[@]}"; do
    port_free "$p" || die "port $p is taken"
  done

  # shellcheck disable=SC2086
  write_config "$RUN/shoal.yaml" $TTLS
  start_server "$RUN/shoal.yaml" "$RUN/shoal.log"
  log "shoal $URL (pid $PID)"
  start_nginx nginx-cache $NGINX_CACHE_PORT "location / {
      proxy_pass http://shoal;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
      proxy_cache shoal;
      proxy_cache_lock on;
    }"
  start_nginx nginx-fixed $NGINX_FIXED_PORT "location / {
      default_type application/json;
      return 200 '$(fixed_body)';
    }"
  start_varnish
  wait_port $NGINX_CACHE_PORT nginx-cache "$RUN/nginx-cache/error.log"
  wait_port $VARNISH_PORT varnish "$RUN/varnish/varnishd.log"
  wait_port $NGINX_FIXED_PORT nginx-fixed "$RUN/nginx-fixed/error.log"
  local cluster_pids=() i
  if [[ $CLUSTER == 1 ]]; then
    for i in 0 1 2; do
      cluster_config "$RUN/node$i.yaml" "${CLUSTER_HTTP_PORTS[$i]}" "${CLUSTER_PEER_PORTS[$i]}" \
        "${CLUSTER_PEER_PORTS[@]}"
      "$BIN" serve -c "$RUN/node$i.yaml" >"$RUN/node$i.log" 2>&1 &
      EXTRA_PIDS+=($!)
      cluster_pids+=($!)
    done
    for i in 0 1 2; do wait_port "${CLUSTER_HTTP_PORTS[$i]}" "cluster node $i" "$RUN/node$i.log"; done
  fi

  # name port pids...
  local -a systems=(
    "shoal ${URL##*:} $PID"
    "nginx-cache $NGINX_CACHE_PORT $nginx_cache_PID $PID"
    "varnish $VARNISH_PORT $varnish_PID $PID"
    "nginx-fixed $NGINX_FIXED_PORT $nginx_fixed_PID"
  )
  [[ $CLUSTER == 1 ]] && systems+=("shoal-cluster ${CLUSTER_HTTP_PORTS[0]} ${cluster_pids[*]}")
  local s name port pids
  for s in "${systems[@]}"; do
    read -r name port pids <<<"$s"
    log "$name: one pass over the distinct paths, then ${WARM}s of warm-up"
    # The cluster's hot caches admit a key on its third ask (cluster.hot_min_hits): 3 passes.
    local passes=1 pass
    [[ $name == shoal-cluster ]] && passes=3
    for ((pass = 1; pass <= passes; pass++)); do
      timeout 960 wrk -t1 -c32 -d900s -s "$HERE/once.lua" "http://127.0.0.1:$port" -- \
        "$OUT/distinct.txt" >"$RUN/$name-fill.wrk" 2>&1 || die "filling $name failed"
    done
    timeout $((WARM + 60)) wrk -t1 -c50 -d"${WARM}s" -s "$WORKLOAD/wrk.lua" \
      "http://127.0.0.1:$port" -- "$OUT/paths.txt" >/dev/null 2>&1 || die "warming $name failed"
  done
  local round
  for ((round = 1; round <= ROUNDS; round++)); do
    for s in "${systems[@]}"; do
      read -r name port pids <<<"$s"
      log "round $round: $name"
      # shellcheck disable=SC2086
      run_wrk "$name-c50/$round" "$port" 50 "$DURATION" $pids
      # shellcheck disable=SC2086
      run_wrk "$name-c1000/$round" "$port" 1000 "$DURATION" $pids
    done
  done
  if [[ $CLUSTER == 1 ]]; then
    # How node 0 answered: from its hot cache, or by asking the owners.
    local m="http://127.0.0.1:${CLUSTER_HTTP_PORTS[0]}/_shoal/metrics"
    echo "shoal-cluster node 0 after the runs: peer gets $(curl -sf "$m" | awk '$1 == "shoal_cluster_peer_gets_total" { print $2 }')," \
      "hot hits $(curl -sf "$m" | awk '$1 == "shoal_cache_hot_hits_total" { print $2 }')," \
      "hits $(curl -sf "$m" | awk '$1 == "shoal_api_hits_total" { print $2 }')" >"$RUN/cluster.txt"
  fi
  "${TOOL[@]}" summary "$RUN/results.jsonl" \
    --title "compare, $MODE, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores" | tee "$RUN/summary.txt"
  python3 - "$RUN/results.jsonl" <<'PY' | tee -a "$RUN/summary.txt"
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs.setdefault(r["label"].split("/")[0], []).append(r)
def med(name, key):
    return statistics.median(r[key] for r in runs[name])
print("\nshoal's ratio to each (medians; req/s: higher is better for shoal above 1;"
      " CPU and p99: lower is better for shoal below 1)")
for mine in ("shoal", "shoal-cluster"):
    for conns in ("c50", "c1000"):
        me = f"{mine}-{conns}"
        for other in ("nginx-cache", "varnish", "nginx-fixed"):
            o = f"{other}-{conns}"
            if me in runs and o in runs:
                print(f"  {mine:<13} {conns:>5} vs {other:<12}"
                      f" req/s {med(me, 'rps') / med(o, 'rps'):5.2f}x"
                      f"   p99 {med(me, 'p99_us') / max(med(o, 'p99_us'), 1):5.2f}x"
                      f"   CPU/req {med(me, 'cpu_us_per_req') / max(med(o, 'cpu_us_per_req'), 1e-9):5.2f}x")
PY
  [[ -s $RUN/cluster.txt ]] && tee -a "$RUN/summary.txt" <"$RUN/cluster.txt"
  return 0
}

main "$@"
