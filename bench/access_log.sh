#!/usr/bin/env bash
# bench/access_log.sh: what the access log costs a warm hit. The same release shoal over the
# shared catalog workload, with log.access off, on in the combined format and on in the json
# format, measured in turn, round after round (the order rotates each round), so that the noise
# of the shared box falls on all three alike.
#
#   bench/access_log.sh                 3 rounds of 10 s runs (about 4 minutes after the build)
#   SHOAL_ACCESS_ROUNDS=5 SHOAL_ACCESS_SECONDS=20 bench/access_log.sh
#
# Each run: a fresh shoal (one event loop, lifetimes 24 h), one pass over the mix's distinct
# paths (bench/once.lua, so that every measured request is a hit), then
# wrk -t1 -c50 -d${SECONDS}s --latency -s ../shared/workload/wrk.lua over the mix. The access
# log goes to a file in bench/out/access-log/ (removed after each run; about 150 bytes a line).
# Server CPU per request is utime+stime from /proc over the wrk run. shoal_access_log_lines_total
# and _dropped_total are read after the run: a dropped line would show the queue overflowing.
# Other variables: those of bench/lib.sh (SHOAL_BIN, SHOAL_BENCH_BUILD_DIR, SHOAL_WORKLOAD).
#
# Results: bench/out/access-log/results.jsonl and a summary: the median req/s of each mode and
# its ratio to "off".
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HTTP_THREADS=${SHOAL_BENCH_HTTP_THREADS:-1}
SCRIPT=bench/access_log.sh
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
RUN=$OUT/access-log
ROUNDS=${SHOAL_ACCESS_ROUNDS:-3}
SECS=${SHOAL_ACCESS_SECONDS:-10}
trap stop_server EXIT
trap 'exit 130' INT TERM

ensure_tools
build
make_data
mkdir -p "$RUN"
: >"$RUN/results.jsonl"

write_config "$RUN/off.yaml" 24h 24h 24h
for format in combined json; do
  cp "$RUN/off.yaml" "$RUN/$format.yaml"
  printf 'log:\n  access: { path: %s, format: %s }\n' "$RUN/access.log" "$format" \
    >>"$RUN/$format.yaml"
done

# run MODE ROUND: one fresh server, warmed, measured; appends a line to results.jsonl.
run() {
  local mode=$1 round=$2
  rm -f "$RUN/access.log"
  start_server "$RUN/$mode.yaml" "$RUN/$mode.log"
  timeout 960 wrk -t1 -c32 -d900s -s "$HERE/once.lua" "$URL" -- "$OUT/distinct.txt" \
    >"$RUN/warm.wrk" 2>&1 || die "warm-up failed: $(tail -5 "$RUN/warm.wrk")"
  local t0 t1 out=$RUN/$mode-$round.wrk
  log "round $round, access log $mode: wrk -t1 -c50 -d${SECS}s"
  t0=$(cpu_ticks)
  timeout $((SECS + 60)) wrk -t1 -c50 -d"${SECS}s" --latency -s "$WORKLOAD/wrk.lua" "$URL" -- \
    "$OUT/paths.txt" >"$out" 2>&1 || die "wrk failed: $(tail -5 "$out")"
  t1=$(cpu_ticks)
  sleep 0.3 # the writer's last batch (it flushes every 100 ms)
  "${TOOL[@]}" record --label "$mode" --wrk-out "$out" round="$round" \
    cpu_ticks=$((t1 - t0)) clk_tck="$CLK_TCK" \
    log_lines="$(metric shoal_access_log_lines_total)" \
    log_dropped="$(metric shoal_access_log_dropped_total)" \
    load="$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$RUN/results.jsonl" >&2
  stop_server
  rm -f "$RUN/access.log"
}

modes=(off combined json)
for ((round = 1; round <= ROUNDS; round++)); do
  for ((k = 0; k < ${#modes[@]}; k++)); do
    run "${modes[$(((k + round - 1) % ${#modes[@]}))]}" "$round"
  done
done

python3 - "$RUN/results.jsonl" <<'EOF'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {}
for r in runs:
    by.setdefault(r["label"], []).append(r)
base = statistics.median(r["rps"] for r in by["off"])
print(f"{'access log':<10} {'runs (req/s)':<32} {'median':>9} {'ratio':>6} {'CPU us/req':>10} "
      f"{'p99 ms':>7} {'dropped':>8}")
for mode in ("off", "combined", "json"):
    rs = by.get(mode, [])
    if not rs:
        continue
    med = statistics.median(r["rps"] for r in rs)
    cpu = statistics.median(r.get("cpu_us_per_req", 0) for r in rs)
    p99 = statistics.median(r["p99_us"] for r in rs) / 1000
    dropped = sum(int(r.get("log_dropped", 0)) for r in rs)
    each = " / ".join(f"{r['rps']:,.0f}" for r in rs)
    print(f"{mode:<10} {each:<32} {med:>9,.0f} {med / base:>6.3f} {cpu:>10.2f} {p99:>7.2f} "
          f"{dropped:>8}")
EOF
