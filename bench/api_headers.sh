#!/usr/bin/env bash
# bench/api_headers.sh: what issue 17's headers cost a warm hit, end to end. Three servers over
# the shared catalog workload, measured in turn, round after round (the order rotates each
# round), so that the noise of the shared box falls on all alike:
#   before      SHOAL_BEFORE_BIN (a build from before issue 17), the plain catalog config
#   plain       this build, the same config (Cache-Status is on every answer now)
#   configured  this build with CORS (an allowed Origin sent with every request: echoed, Vary:
#               Origin), tags on every endpoint ({param} and {row.COLUMN}), a global
#               cache_control and ignore_params
#
#   SHOAL_BEFORE_BIN=/tmp/shoal-before bench/api_headers.sh   3 rounds of 10 s runs
#   SHOAL_API_ROUNDS=5 SHOAL_API_SECONDS=20 ...
#
# Each run: a fresh shoal (one event loop, lifetimes 24 h), one pass over the mix's distinct
# paths (bench/once.lua: every measured request is a hit), then wrk -t1 -c50 over the mix.
# Server CPU per request is utime+stime from /proc over the wrk run. Other variables: those of
# bench/lib.sh (SHOAL_BIN, SHOAL_BENCH_BUILD_DIR, SHOAL_WORKLOAD).
# Results: bench/out/api-headers/results.jsonl and a summary (medians, ratios to "before").
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HTTP_THREADS=${SHOAL_BENCH_HTTP_THREADS:-1}
SCRIPT=bench/api_headers.sh
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
RUN=$OUT/api-headers
ROUNDS=${SHOAL_API_ROUNDS:-3}
SECS=${SHOAL_API_SECONDS:-10}
BEFORE=${SHOAL_BEFORE_BIN:?set SHOAL_BEFORE_BIN to a shoal built before issue 17}
ORIGIN=https://app.example.com
trap stop_server EXIT
trap 'exit 130' INT TERM

ensure_tools
build
AFTER=$BIN
make_data
mkdir -p "$RUN"
: >"$RUN/results.jsonl"

write_config "$RUN/plain.yaml" 24h 24h 24h
cp "$RUN/plain.yaml" "$RUN/configured.yaml"
python3 - "$RUN/configured.yaml" "$ORIGIN" <<'EOF'
import sys
path, origin = sys.argv[1], sys.argv[2]
s = open(path).read()
tags = {
    "/v1/items/{id:int}\n": '["item:{id}", "category:{row.category}"]',
    "/v1/items/{id:int}/reviews\n": '["item:{id}"]',
    "/v1/categories/{name}/items\n": '["category:{name}", "item:{row.id}"]',
}
for route, t in tags.items():
    at = s.index("route: " + route) + len("route: " + route)
    s = s[:at] + "    tags: " + t + "\n" + s[at:]
# A listing of up to 100 items carries up to 101 tags: above the default bound (64), such an
# answer would be served but never cached, and the run would measure misses.
s = s.replace("cache:\n", "cache:\n  max_tags_per_entry: 256\n"
              "  cache_control: { s_maxage: 60s, public: true }\n", 1)
s += "cors: { origins: [%s] }\nignore_params: [utm_*, fbclid]\n" % origin
open(path, "w").write(s)
EOF

# run MODE ROUND: one fresh server, warmed, measured; appends a line to results.jsonl.
run() {
  local mode=$1 round=$2 config=$1 header=()
  BIN=$AFTER
  case $mode in
    before) BIN=$BEFORE config=plain ;;
    configured) header=(-H "Origin: $ORIGIN") ;;
  esac
  start_server "$RUN/$config.yaml" "$RUN/$mode.log"
  timeout 960 wrk -t1 -c32 -d900s "${header[@]}" -s "$HERE/once.lua" "$URL" -- \
    "$OUT/distinct.txt" >"$RUN/warm.wrk" 2>&1 || die "warm-up failed: $(tail -5 "$RUN/warm.wrk")"
  local t0 t1 out=$RUN/$mode-$round.wrk
  log "round $round, $mode: wrk -t1 -c50 -d${SECS}s"
  t0=$(cpu_ticks)
  timeout $((SECS + 60)) wrk -t1 -c50 -d"${SECS}s" "${header[@]}" --latency \
    -s "$WORKLOAD/wrk.lua" "$URL" -- "$OUT/paths.txt" >"$out" 2>&1 ||
    die "wrk failed: $(tail -5 "$out")"
  t1=$(cpu_ticks)
  "${TOOL[@]}" record --label "$mode" --wrk-out "$out" round="$round" \
    cpu_ticks=$((t1 - t0)) clk_tck="$CLK_TCK" \
    load="$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$RUN/results.jsonl" >&2
  stop_server
}

# One answer of the configured server, to show what the headers are.
BIN=$AFTER
start_server "$RUN/configured.yaml" "$RUN/show.log"
curl -s -o /dev/null -H "Origin: $ORIGIN" "$URL/v1/items/1"
curl -s -D - -o /dev/null -H "Origin: $ORIGIN" "$URL/v1/items/1?utm_source=x" >"$RUN/headers.txt"
stop_server
log "a configured hit's headers: $(tr -d '\r' <"$RUN/headers.txt" | tr '\n' '|')"

modes=(before plain configured)
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
base_rps = statistics.median(r["rps"] for r in by["before"])
base_cpu = statistics.median(r["cpu_us_per_req"] for r in by["before"])
print(f"{'server':<11} {'runs (req/s)':<32} {'median':>9} {'ratio':>6} {'CPU us/req':>10} "
      f"{'ratio':>6} {'p99 ms':>7}")
for mode in ("before", "plain", "configured"):
    rs = by.get(mode, [])
    if not rs:
        continue
    med = statistics.median(r["rps"] for r in rs)
    cpu = statistics.median(r["cpu_us_per_req"] for r in rs)
    p99 = statistics.median(r["p99_us"] for r in rs) / 1000
    each = " / ".join(f"{r['rps']:,.0f}" for r in rs)
    print(f"{mode:<11} {each:<32} {med:>9,.0f} {med / base_rps:>6.3f} {cpu:>10.2f} "
          f"{cpu / base_cpu:>6.3f} {p99:>7.2f}")
EOF
