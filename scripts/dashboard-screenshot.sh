#!/usr/bin/env bash
# Takes docs/dashboard.png: a screenshot of the live dashboard (GET /_shoal/) with real
# figures. Starts `shoal demo` (a fresh demo catalog in a temporary directory), or
# `shoal serve -c CONFIG` with --config, on 127.0.0.1 (a port of the OS's choosing); opens the
# page in headless Chromium (tests/lib/chromium.py) while `shoal bench` ramps virtual users
# against the server, so the charts fill with the ramp; saves the page after --seconds.
# Everything it starts is stopped by pid.
#
#   scripts/dashboard-screenshot.sh [--shoal BIN] [--config FILE --paths FILE]
#                                   [--seconds N] [--out PNG]
#
# --shoal    the binary (default: build/release/src/cli/shoal, else build/dev/src/cli/shoal)
# --config   serve this config instead of the demo; --paths then gives the request targets,
#            one a line (as for shoal bench)
# --seconds  how long the load runs before the screenshot (default 15)
# --out      where the PNG goes (default docs/dashboard.png)
# Needs Debian's chromium and python3-websocket (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

shoal="" config="" paths="" seconds=15 out=docs/dashboard.png
while [ $# -gt 0 ]; do
  case "$1" in
    --shoal) shoal="$2"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    --paths) paths="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "dashboard-screenshot: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -z "$shoal" ]; then
  for b in build/release/src/cli/shoal build/dev/src/cli/shoal; do
    if [ -x "$b" ]; then shoal="$b"; break; fi
  done
fi
[ -n "$shoal" ] && [ -x "$shoal" ] || {
  echo "dashboard-screenshot: no shoal binary (make release, or --shoal BIN)" >&2; exit 1; }
if [ -n "$config" ] && [ -z "$paths" ]; then
  echo "dashboard-screenshot: --config needs --paths FILE" >&2; exit 2
fi

tmp=$(mktemp -d)
server_pid="" bench_pid=""
cleanup() {
  local code=$?
  for pid in $bench_pid $server_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
  exit "$code"
}
trap cleanup EXIT

if [ -n "$config" ]; then
  "$shoal" serve -c "$config" >"$tmp/server.log" 2>&1 &
else
  "$shoal" demo --dir "$tmp" --items 5000 --listen 127.0.0.1:0 --log-level warn \
    >"$tmp/server.log" 2>&1 &
fi
server_pid=$!
url=""
for _ in $(seq 1 300); do
  url=$(sed -n 's|^shoal: serving .* on \(http://[^ ]*\)$|\1|p' "$tmp/server.log" | head -n1)
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "dashboard-screenshot: the server did not start:" >&2
  cat "$tmp/server.log" >&2
  exit 1
fi
# With admin.listen the page is on the admin listener.
admin=$(sed -n 's|^shoal: admin endpoints on \(http://[^ ]*\)$|\1|p' "$tmp/server.log" | head -n1)
page="${admin:-$url}/_shoal/"

if [ -z "$paths" ]; then
  # The demo catalog's three endpoints: items, their reviews, categories (a sixth of the
  # items asked for most of the time, so the hit ratio climbs as the cache warms).
  paths="$tmp/paths.txt"
  mapfile -t categories < <(sqlite3 "$tmp/catalog.db" "SELECT DISTINCT category FROM items")
  {
    for i in $(seq 1 3000); do
      id=$(( (RANDOM % 6 == 0) ? (RANDOM % 5000 + 1) : (RANDOM % 800 + 1) ))
      case $((i % 4)) in
        0|1) echo "/v1/items/$id" ;;
        2) echo "/v1/items/$id/reviews?limit=5" ;;
        3) echo "/v1/categories/${categories[id % ${#categories[@]}]}/items?limit=10" ;;
      esac
    done
  } >"$paths"
fi

hold=$(( seconds > 10 ? seconds - 5 : 5 ))
"$shoal" bench "$url" --paths "$paths" --users 32 --ramp 10s --hold "${hold}s" --think 2ms \
  --json "$tmp/bench.json" >"$tmp/bench.log" 2>&1 &
bench_pid=$!
mkdir -p "$(dirname "$out")"
# Saved only if the page is live (it polled /_shoal/stats successfully) when taken.
/usr/bin/python3 tests/lib/chromium.py screenshot "$page" "$out" --wait "$seconds" \
  --width 1400 --height 900 --expect "document.body.dataset.state === 'live'"
echo "dashboard-screenshot: $page under shoal bench for ${seconds} s -> $out"
