#!/usr/bin/env bash
# bench/run.sh: the end-to-end benchmark of shoal over the shared catalog workload.
#
#   bench/run.sh          full runs (20 s each), about 4 minutes plus the build
#   bench/run.sh quick    5 s runs and a smaller cold sample: a smoke test
#
# Steps: build the release binary; generate the 100,000-item catalog and the request mix
# (../shared/workload, kept in bench/out/ and reused); then, each against a fresh shoal
# on a free 127.0.0.1 port:
#   warm   - lifetimes 24 h, one pass over the mix's distinct paths, then wrk -c50 and -c1000
#   cold   - an empty cache, wrk -c50 over the mix for 10 s (5 s quick)
#   first  - an empty cache, N distinct first-time keys one by one (python client), then again
#   memory - cache.memory 256MiB, every key of the catalog loaded once; peak RSS checked
#   cluster - (only when asked: SHOAL_BENCH_STEPS=cluster) warm hits of one node against a
#            3-node cluster on this machine, the load spread by 3 wrk (one per node)
# and print one summary table. Results and logs go to bench/out/last/.
#
# Environment:
#   SHOAL_WORKLOAD            the workload directory (default: <repo>/../shared/workload)
#   SHOAL_BIN                 use this shoal binary and skip the build
#   SHOAL_BENCH_BUILD_DIR     build there (cmake -S <repo> -B DIR, RelWithDebInfo) instead of
#                             the 'release' preset (build/release)
#   SHOAL_BENCH_OUT           data and results (default: <repo>/bench/out)
#   SHOAL_BENCH_HTTP_THREADS  http.threads of the server (default 0: one loop per core)
#   SHOAL_BENCH_PERF=1        also record a perf profile (cpu-clock) of one warm -c50 run
#   SHOAL_BENCH_STEPS         which steps to run (default: "warm cold memory")
#   SHOAL_BENCH_REPEAT=N      repeat each warm and cold wrk run N times (default 1); the
#                             summary then shows every run and their median
#
# The server is stopped (by its pid) on every exit. Every step is bounded by `timeout`.
set -euo pipefail

MODE=${1:-full}
case "$MODE" in
  full | quick) ;;
  *)
    echo "usage: bench/run.sh [quick]" >&2
    exit 2
    ;;
esac

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HTTP_THREADS=${SHOAL_BENCH_HTTP_THREADS:-0}
REPEAT=${SHOAL_BENCH_REPEAT:-1}

if [[ $MODE == quick ]]; then
  DURATION=5 COLD_DURATION=5 FIRST_COUNT=300
else
  DURATION=20 COLD_DURATION=10 FIRST_COUNT=2000
fi

SCRIPT=bench/run.sh
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
RUN=$OUT/last
trap stop_server EXIT
trap 'exit 130' INT TERM

# once LABEL PATHS CONNECTIONS: every path of PATHS once (bench/once.lua); wrk output to
# $RUN/LABEL.wrk, the wall time in ONCE_US.
ONCE_US=0
once() {
  local t0 t1
  t0=$(date +%s%N)
  timeout 960 wrk -t1 -c"$3" -d900s -s "$HERE/once.lua" "$URL" -- "$2" >"$RUN/$1.wrk" 2>&1 ||
    die "wrk ($1) failed: $(tail -5 "$RUN/$1.wrk")"
  t1=$(date +%s%N)
  ONCE_US=$(((t1 - t0) / 1000))
  grep -q '"complete":true' "$RUN/$1.wrk" ||
    echo "bench/run.sh: warning: $1 did not get every answer: $(grep ONCE_RESULT "$RUN/$1.wrk")" >&2
  echo "$1: $(grep ONCE_RESULT "$RUN/$1.wrk") in $((ONCE_US / 1000)) ms" >&2
}

# measure LABEL CONNECTIONS SECONDS: wrk with the shared wrk.lua over the mix, and the
# server's side of it (CPU, 5xx, hits); appends one JSON line to $RUN/results.jsonl.
measure() {
  local label=$1 conns=$2 secs=$3
  local t0 r0 h0 e0 f0
  e0=$(metric shoal_http_responses_5xx_total)
  r0=$(metric shoal_api_requests_endpoint_total)
  h0=$(metric shoal_api_hits_total)
  f0=$(metric shoal_load_errors_total)
  t0=$(cpu_ticks)
  local out=$RUN/${label//\//-}.wrk
  log "$label: wrk -t1 -c$conns -d${secs}s"
  timeout $((secs + 60)) wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$WORKLOAD/wrk.lua" \
    "$URL" -- "$OUT/paths.txt" >"$out" 2>&1 ||
    die "wrk ($label) failed: $(tail -5 "$out")"
  local t1 r1 h1 e1 f1
  t1=$(cpu_ticks)
  e1=$(metric shoal_http_responses_5xx_total)
  r1=$(metric shoal_api_requests_endpoint_total)
  h1=$(metric shoal_api_hits_total)
  f1=$(metric shoal_load_errors_total)
  "${TOOL[@]}" record --label "$label" --wrk-out "$out" \
    connections="$conns" cpu_ticks=$((t1 - t0)) clk_tck="$CLK_TCK" d5xx=$((e1 - e0)) \
    dreq=$((r1 - r0)) dhits=$((h1 - h0)) dload_errors=$((f1 - f0)) | tee -a "$RUN/results.jsonl" >&2
}

# --- the runs ---------------------------------------------------------------------------

warm_runs() {
  write_config "$RUN/warm.yaml" 24h 24h 24h
  start_server "$RUN/warm.yaml" "$RUN/warm.log"
  log "warm: one pass over $(wc -l <"$OUT/distinct.txt") distinct mix paths ($URL, pid $PID)"
  once warm-up "$OUT/distinct.txt" 32
  local i
  for ((i = 1; i <= REPEAT; i++)); do
    measure "warm-c50/$i" 50 "$DURATION"
    measure "warm-c1000/$i" 1000 "$DURATION"
  done
  if [[ ${SHOAL_BENCH_PERF:-0} == 1 ]]; then
    profile
  fi
  stop_server
}

# profile: perf record (software cpu-clock, call graphs) of the server over a warm -c50 run.
profile() {
  command -v perf >/dev/null || {
    echo "bench/run.sh: no perf; skipping the profile" >&2
    return 0
  }
  log "profile: perf record -e cpu-clock over a warm -c50 run of ${DURATION}s"
  timeout $((DURATION + 60)) perf record -e cpu-clock -F 999 -p "$PID" -o "$RUN/perf.data" \
    -- sleep "$DURATION" 2>"$RUN/perf-record.log" &
  local perf_pid=$!
  timeout $((DURATION + 60)) wrk -t1 -c50 -d"${DURATION}s" -s "$WORKLOAD/wrk.lua" "$URL" -- \
    "$OUT/paths.txt" >"$RUN/perf.wrk" 2>&1 || true
  wait "$perf_pid" || true
  timeout 300 perf report -i "$RUN/perf.data" --sort dso,symbol --stdio 2>/dev/null |
    grep '%' | head -60 | cut -c1-200 >"$RUN/perf-top.txt" || true
  timeout 300 perf report -i "$RUN/perf.data" --sort dso --stdio 2>/dev/null |
    grep '%' | head -15 >"$RUN/perf-dso.txt" || true
  echo "where the server's time goes, by object ($RUN/perf-dso.txt):" >&2
  head -6 "$RUN/perf-dso.txt" >&2 || true
  echo "top user-space symbols (self time; all symbols in $RUN/perf-top.txt):" >&2
  grep -v '\[kernel' "$RUN/perf-top.txt" | head -10 >&2 || true
}

cold_runs() {
  write_config "$RUN/cold.yaml" 24h 24h 24h
  local i
  for ((i = 1; i <= REPEAT; i++)); do
    start_server "$RUN/cold.yaml" "$RUN/cold.log"
    measure "cold-c50/$i" 50 "$COLD_DURATION"
    echo "cold-c50/$i: $(metric shoal_loads_total) loads from the store" >&2
    stop_server
  done

  start_server "$RUN/cold.yaml" "$RUN/first.log"
  log "first: $FIRST_COUNT distinct first-time keys, one connection, then the same again"
  timeout 600 "${TOOL[@]}" first-requests --url "$URL" --paths "$OUT/paths.txt" \
    --count "$FIRST_COUNT" | tee -a "$RUN/results.jsonl" >&2
  echo "first: misses counted by shoal: $(metric shoal_api_misses_total)" >&2
  stop_server
}

memory_run() {
  write_config "$RUN/memory.yaml" 24h 24h 24h
  start_server "$RUN/memory.yaml" "$RUN/memory.log"
  sleep 0.5
  local empty_rss budget
  empty_rss=$(status_kib VmRSS)
  budget=$(metric shoal_cache_budget_bytes)
  log "memory: loading $(wc -l <"$OUT/fill.txt") paths into a $((budget >> 20)) MiB cache" \
    "(empty RSS ${empty_rss} KiB)"
  local e0
  e0=$(metric shoal_http_responses_5xx_total)
  once memory-fill "$OUT/fill.txt" 32
  local hwm rss bytes entries evictions e1 bound verdict
  hwm=$(status_kib VmHWM)
  rss=$(status_kib VmRSS)
  bytes=$(metric shoal_cache_bytes)
  entries=$(metric shoal_cache_entries)
  evictions=$(metric shoal_cache_evictions_total)
  e1=$(metric shoal_http_responses_5xx_total)
  # 1.25 x budget + empty RSS, in KiB.
  bound=$((budget * 5 / 4 / 1024 + empty_rss))
  verdict=PASS
  ((hwm <= bound)) || verdict=FAIL
  "${TOOL[@]}" record --label memory --wrk-out "$RUN/memory-fill.wrk" \
    fill_paths="$(wc -l <"$OUT/fill.txt")" budget="$budget" empty_rss_kib="$empty_rss" \
    hwm_kib="$hwm" rss_kib="$rss" bound_kib="$bound" cache_bytes="$bytes" \
    cache_entries="$entries" evictions="$evictions" d5xx=$((e1 - e0)) verdict="$verdict" \
    duration_us="$ONCE_US" |
    tee -a "$RUN/results.jsonl" >&2
  stop_server
}

# --- cluster: one node against three, warm hits, load spread over the nodes ---------------

# spread LABEL SECONDS URL...: one wrk -t1 -c17 per URL at once (about 50 connections in all);
# prints "LABEL req/s p99_ms_max errors" and keeps each wrk's output in $RUN.
spread() {
  local label=$1 secs=$2
  shift 2
  local pids=() i=0 url
  for url in "$@"; do
    timeout $((secs + 60)) wrk -t1 -c17 -d"${secs}s" --latency -s "$WORKLOAD/wrk.lua" "$url" -- \
      "$OUT/paths.txt" >"$RUN/$label-$i.wrk" 2>&1 &
    pids+=($!)
    i=$((i + 1))
  done
  for pid in "${pids[@]}"; do wait "$pid" || die "wrk ($label) failed"; done
  "${TOOL[@]}" spread --label "$label" "$RUN/$label"-*.wrk | tee -a "$RUN/cluster.txt" >&2
}

CLUSTER_PIDS=()
stop_cluster() {
  local pid
  for pid in "${CLUSTER_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${CLUSTER_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  CLUSTER_PIDS=()
}

cluster_runs() {
  local base=$((20000 + RANDOM % 20000))
  local h=($((base)) $((base + 1)) $((base + 2))) p=($((base + 10)) $((base + 11)) $((base + 12)))
  local urls=() i
  # One node, three wrk: the reference.
  write_config "$RUN/single.yaml" 24h 24h 24h
  start_server "$RUN/single.yaml" "$RUN/single.log"
  once cluster-warm-single "$OUT/distinct.txt" 32
  spread "one-node" "$DURATION" "$URL" "$URL" "$URL"
  stop_server
  # Three nodes owning a third of the keys each.
  for i in 0 1 2; do
    cluster_config "$RUN/node$i.yaml" "${h[$i]}" "${p[$i]}" "${p[@]}"
    "$BIN" serve -c "$RUN/node$i.yaml" >"$RUN/node$i.log" 2>&1 &
    CLUSTER_PIDS+=($!)
    urls+=("http://127.0.0.1:${h[$i]}")
  done
  trap 'stop_cluster; stop_server' EXIT
  for url in "${urls[@]}"; do
    for ((i = 0; i < 100; i++)); do curl -sf "$url/_shoal/health" >/dev/null && break; sleep 0.1; done
  done
  # Warm every node: each asks the owners once per key, and the hot caches fill from the
  # second pass on (hot_min_hits 3 by default, so three passes).
  local n=0 pass
  for url in "${urls[@]}"; do
    URL=$url
    for pass in 1 2 3; do once "cluster-warm-$n-$pass" "$OUT/distinct.txt" 32; done
    n=$((n + 1))
  done
  spread "three-nodes" "$DURATION" "${urls[@]}"
  for url in "${urls[@]}"; do
    echo "$url: peer gets $(curl -sf "$url/_shoal/metrics" | awk '$1 == "shoal_cluster_peer_gets_total" { print $2 }')," \
      "hot hits $(curl -sf "$url/_shoal/metrics" | awk '$1 == "shoal_cache_hot_hits_total" { print $2 }')" |
      tee -a "$RUN/cluster.txt" >&2
  done
  stop_cluster
}

main() {
  ensure_tools
  build
  make_data
  rm -rf "$RUN"
  mkdir -p "$RUN"
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "mode: $MODE"
    echo "binary: $BIN"
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
      "($(git -C "$ROOT" status --porcelain 2>/dev/null | wc -l) paths changed or new)"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
    echo "kernel: $(uname -r)"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  } | tee "$RUN/machine.txt" >&2
  local steps=" ${SHOAL_BENCH_STEPS:-warm cold memory} "
  [[ $steps == *" warm "* ]] && warm_runs
  [[ $steps == *" cold "* ]] && cold_runs
  [[ $steps == *" memory "* ]] && memory_run
  [[ $steps == *" cluster "* ]] && cluster_runs
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$RUN/machine.txt" >&2
  [[ -s $RUN/cluster.txt ]] && cat "$RUN/cluster.txt"
  [[ -s $RUN/results.jsonl ]] || return 0
  "${TOOL[@]}" summary "$RUN/results.jsonl" --title "$MODE, $(date -u +%Y-%m-%d), $(nproc) cores" |
    tee "$RUN/summary.txt"
  grep -q '"verdict": "FAIL"' "$RUN/results.jsonl" && return 1
  return 0
}

main
