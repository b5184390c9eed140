#!/usr/bin/env bash
# bench/memory.sh: peak RSS of shoal against its cache budget (issue 18, item 5).
#
#   bench/memory.sh [MIB ...]      budgets in MiB (default: 16 64 256)
#
# For each budget, a fresh release shoal over the 100,000-item catalog (bench/lib.sh's config
# with cache.memory set to the budget); its VmRSS half a second after start is the "empty
# RSS". Then an evicting load over every route: every key of the catalog once (bench_tool.py
# fill-paths: the items, their reviews at two limits, the categories at four limits, 300,200
# keys, far more than any of the budgets holds) without Accept-Encoding, then the same keys
# again with Accept-Encoding: gzip (bench/once.lua, 32 connections). VmRSS is sampled every
# 0.2 s meanwhile ($RUN/memory-MIB.rss); the peak is the kernel's VmHWM at the end. PASS when
# peak <= 1.25 x budget + empty RSS.
#
# Environment: as bench/run.sh (SHOAL_BIN, SHOAL_BENCH_BUILD_DIR, SHOAL_WORKLOAD,
# SHOAL_BENCH_OUT, SHOAL_BENCH_HTTP_THREADS, default 0: one event loop per core), and
#   SHOAL_BENCH_PAGE_CACHE     store.sqlite.page_cache of each config (default: shoal's own)
#   SHOAL_BENCH_MEMORY_EXTRA   YAML lines appended to each config
# Results go to bench/out/memory/ (configs, logs, wrk outputs, samples, smaps_rollup, the
# server's metrics after the load, summary.txt). The server is stopped by its pid on exit.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HTTP_THREADS=${SHOAL_BENCH_HTTP_THREADS:-0}
SCRIPT=bench/memory.sh
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
RUN=$OUT/memory
BUDGETS=("$@")
((${#BUDGETS[@]} > 0)) || BUDGETS=(16 64 256)
for b in "${BUDGETS[@]}"; do
  [[ $b =~ ^[1-9][0-9]*$ ]] || die "budget '$b' is not a number of MiB"
done

SAMPLER=""
cleanup() {
  [[ -z $SAMPLER ]] || kill "$SAMPLER" 2>/dev/null || true
  stop_server
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# fill_pass LABEL [gzip]: every path of fill.txt once, 32 connections.
fill_pass() {
  local out=$RUN/$1.wrk
  timeout 960 wrk -t1 -c32 -d900s -s "$HERE/once.lua" "$URL" -- "$OUT/fill.txt" ${2:-} \
    >"$out" 2>&1 || die "wrk ($1) failed: $(tail -5 "$out")"
  grep -q '"complete":true' "$out" ||
    echo "$SCRIPT: warning: $1 did not get every answer: $(grep ONCE_RESULT "$out")" >&2
  echo "$1: $(grep ONCE_RESULT "$out")" >&2
}

# sample FILE: VmRSS (KiB) of the server every 0.2 s, one "ms kib" line each, until it ends.
sample() {
  local t0
  t0=$(date +%s%3N)
  while [[ -r /proc/$PID/status ]]; do
    echo "$(($(date +%s%3N) - t0)) $(status_kib VmRSS)" >>"$1" 2>/dev/null || break
    sleep 0.2
  done
}

one_budget() {
  local mib=$1 cfg=$RUN/memory-$1.yaml
  write_config "$cfg" 24h 24h 24h
  sed -i "s/^  memory: 256MiB$/  memory: ${mib}MiB/" "$cfg"
  grep -q "^  memory: ${mib}MiB$" "$cfg" || die "could not set cache.memory in $cfg"
  if [[ -n ${SHOAL_BENCH_PAGE_CACHE:-} ]]; then
    sed -i "s/^  sqlite: { path: \(.*\) }$/  sqlite: { path: \1, page_cache: $SHOAL_BENCH_PAGE_CACHE }/" "$cfg"
    grep -q "page_cache: $SHOAL_BENCH_PAGE_CACHE }" "$cfg" || die "could not set page_cache in $cfg"
  fi
  [[ -z ${SHOAL_BENCH_MEMORY_EXTRA:-} ]] || printf '%s\n' "$SHOAL_BENCH_MEMORY_EXTRA" >>"$cfg"
  start_server "$cfg" "$RUN/memory-$mib.log"
  sleep 0.5
  local empty budget e0
  empty=$(status_kib VmRSS)
  budget=$(metric shoal_cache_budget_bytes)
  ((budget == mib << 20)) || die "shoal reports a budget of $budget bytes, not $mib MiB"
  e0=$(metric shoal_http_responses_5xx_total)
  log "memory: ${mib} MiB, empty RSS ${empty} KiB; $(wc -l <"$OUT/fill.txt") paths plain, then gzip"
  : >"$RUN/memory-$mib.rss"
  sample "$RUN/memory-$mib.rss" &
  SAMPLER=$!
  fill_pass "memory-$mib-plain"
  fill_pass "memory-$mib-gzip" gzip
  kill "$SAMPLER" 2>/dev/null || true
  wait "$SAMPLER" 2>/dev/null || true
  SAMPLER=""
  local hwm rss d5xx sampled bound
  hwm=$(status_kib VmHWM)
  rss=$(status_kib VmRSS)
  d5xx=$(($(metric shoal_http_responses_5xx_total) - e0))
  sampled=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$RUN/memory-$mib.rss")
  cp "/proc/$PID/smaps_rollup" "$RUN/memory-$mib.smaps_rollup"
  curl -sf --max-time 5 "$URL/_shoal/metrics" >"$RUN/memory-$mib.metrics" || true
  bound=$((mib * 1024 * 5 / 4 + empty))
  printf '%6s %10.1f %10.1f %10.1f %10.1f %7.3f %5s %s\n' "$mib" "$(bc <<<"scale=1; $empty / 1024")" \
    "$(bc <<<"scale=1; $hwm / 1024")" "$(bc <<<"scale=1; $sampled / 1024")" \
    "$(bc <<<"scale=1; $bound / 1024")" "$(bc <<<"scale=3; ($hwm - $empty) / ($mib * 1024)")" \
    "$d5xx" "$( ((hwm <= bound)) && echo PASS || echo FAIL)" >>"$RUN/summary.txt"
  echo "cache: $(metric shoal_cache_bytes) bytes charged, $(metric shoal_cache_entries) entries," \
    "$(metric shoal_cache_evictions_total) evictions; RSS after ${rss} KiB" >&2
  stop_server
}

ensure_tools
command -v bc >/dev/null || die "bc is required"
build
make_data
mkdir -p "$RUN"
{
  echo "# $(date -u '+%F %T') UTC, $(git -C "$ROOT" rev-parse --short HEAD), http.threads $HTTP_THREADS," \
    "page_cache ${SHOAL_BENCH_PAGE_CACHE:-default}, extra: ${SHOAL_BENCH_MEMORY_EXTRA:-none}"
  echo "# ratio = (peak - empty) / budget; PASS when peak <= 1.25 x budget + empty"
  printf '%6s %10s %10s %10s %10s %7s %5s %s\n' "MiB" "empty" "peak" "sampled" "bound" \
    "ratio" "5xx" "verdict"
} >"$RUN/summary.txt"
for b in "${BUDGETS[@]}"; do
  one_budget "$b"
done
echo >&2
cat "$RUN/summary.txt"
