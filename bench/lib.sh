# bench/lib.sh: what bench/run.sh and bench/compare.sh share: logging, the tools, the build,
# the workload data, the catalog config, and one shoal server (start, stop, metrics, CPU).
#
# Source it after setting HERE (bench/), HTTP_THREADS and SCRIPT (the name messages carry); it
# sets ROOT, WORKLOAD, OUT, TOOL and ITEMS. The caller then sets RUN (its results directory)
# and its own traps (stop_server on EXIT).
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || (cd "$HERE/.." && pwd))
WORKLOAD=${SHOAL_WORKLOAD:-$ROOT/../shared/workload}
OUT=${SHOAL_BENCH_OUT:-$ROOT/bench/out}
TOOL=(python3 "$HERE/bench_tool.py")
ITEMS=100000

log() { printf '\n== %s\n' "$*" >&2; }
die() {
  printf '%s: %s\n' "$SCRIPT" "$*" >&2
  exit 1
}

# --- tools ------------------------------------------------------------------------------

ensure_tools() {
  if ! command -v wrk >/dev/null; then
    log "installing wrk"
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    timeout 300 "${sudo[@]}" apt-get install -y wrk >&2 || die "wrk is missing and apt-get install wrk failed"
  fi
  local t
  for t in python3 curl cmake timeout; do
    command -v "$t" >/dev/null || die "$t is required"
  done
  [[ -f $WORKLOAD/gen_catalog.py && -f $WORKLOAD/wrk.lua ]] ||
    die "no workload in $WORKLOAD (set SHOAL_WORKLOAD)"
  # wrk -c1000 and the server's 1000 sockets: raise the descriptor limit as far as allowed.
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true
  if (($(ulimit -n) < 2100)); then
    echo "$SCRIPT: warning: ulimit -n is $(ulimit -n); -c1000 may fail" >&2
  fi
}

# --- build and data ---------------------------------------------------------------------

build() {
  if [[ -n ${SHOAL_BIN:-} ]]; then
    BIN=$SHOAL_BIN
  elif [[ -n ${SHOAL_BENCH_BUILD_DIR:-} ]]; then
    log "building shoal in $SHOAL_BENCH_BUILD_DIR"
    timeout 1800 cmake -S "$ROOT" -B "$SHOAL_BENCH_BUILD_DIR" -G Ninja \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSHOAL_TESTS=OFF >&2
    timeout 1800 cmake --build "$SHOAL_BENCH_BUILD_DIR" --target shoal -j2 >&2
    BIN=$SHOAL_BENCH_BUILD_DIR/src/cli/shoal
  else
    log "building shoal (preset release)"
    (cd "$ROOT" && timeout 1800 cmake --preset release >&2 &&
      timeout 1800 cmake --build --preset release --target shoal >&2)
    BIN=$ROOT/build/release/src/cli/shoal
  fi
  [[ -x $BIN ]] || die "no shoal binary at $BIN"
}

make_data() {
  mkdir -p "$OUT"
  if [[ ! -s $OUT/catalog.db ]]; then
    log "generating the $ITEMS-item catalog"
    timeout 900 python3 "$WORKLOAD/gen_catalog.py" --items "$ITEMS" --seed 42 --out "$OUT" >&2
  fi
  if [[ ! -s $OUT/paths.txt ]]; then
    timeout 300 python3 "$WORKLOAD/gen_requests.py" --items "$ITEMS" --count 100000 --seed 7 \
      --out "$OUT/paths.txt"
  fi
  [[ -s $OUT/distinct.txt ]] || "${TOOL[@]}" unique-paths "$OUT/paths.txt" "$OUT/distinct.txt"
  [[ -s $OUT/fill.txt ]] || "${TOOL[@]}" fill-paths --workload "$WORKLOAD" --items "$ITEMS" \
    --out "$OUT/fill.txt"
}

# write_config FILE TTL_ITEMS TTL_REVIEWS TTL_CATEGORIES: the three endpoints of
# examples/catalog/shoal.yaml over bench/out/catalog.db. negative_ttl follows the item
# lifetime so that, with 24 h, the mix's 404s are hits too.
write_config() {
  cat >"$1" <<EOF
# Written by $SCRIPT.
listen: 127.0.0.1:0
http: { threads: $HTTP_THREADS }
store:
  sqlite: { path: $OUT/catalog.db }
  timeout: 2s
cache:
  memory: 256MiB
  grace: 5m
  negative_ttl: $2
endpoints:
  - route: /v1/items/{id:int}
    query: >-
      SELECT id, sku, title, category, price_cents, stock, rating, tags, updated_at
      FROM items WHERE id = :id
    result: one
    json: [tags]
    ttl: $2
  - route: /v1/items/{id:int}/reviews
    query: >-
      SELECT review_id, author, stars, body, created_at
      FROM reviews WHERE item_id = :id ORDER BY review_id DESC LIMIT :limit
    params:
      limit: { type: int, default: 10, min: 1, max: 50 }
    result: many
    ttl: $3
  - route: /v1/categories/{name}/items
    query: >-
      SELECT id, title, price_cents
      FROM items WHERE category = :name ORDER BY id LIMIT :limit
    params:
      limit: { type: int, default: 20, min: 1, max: 100 }
    result: many
    ttl: $4
EOF
}

# cluster_config FILE HTTP_PORT SELF_PORT PEERS...: write_config (lifetimes $CLUSTER_TTLS,
# default 24 h) plus a cluster section; one event loop per node.
cluster_config() {
  local file=$1 http=$2 self=$3
  shift 3
  # shellcheck disable=SC2086
  write_config "$file" ${CLUSTER_TTLS:-24h 24h 24h}
  sed -i "s/^listen: 127.0.0.1:0/listen: 127.0.0.1:$http/; s/^http: { threads: .* }/http: { threads: 1 }/" "$file"
  local peers
  peers=$(printf '127.0.0.1:%s, ' "$@")
  printf 'cluster:\n  self: 127.0.0.1:%s\n  peers: [%s]\n  secret: bench-secret-0123456789abcdef\n' \
    "$self" "${peers%, }" >>"$file"
}

# --- the server -------------------------------------------------------------------------

PID=""
URL=""

stop_server() {
  [[ -n $PID ]] || return 0
  if kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do
      kill -0 "$PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$PID" 2>/dev/null; then
      echo "$SCRIPT: shoal $PID ignored SIGTERM for 10 s; killing it" >&2
      kill -KILL "$PID" 2>/dev/null || true
    fi
  fi
  wait "$PID" 2>/dev/null || true
  PID=""
}

# stop_all: stops the caller's EXTRA_PIDS (TERM, then KILL after 5 s each) and the server of
# start_server. Scripts that start helpers set EXTRA_PIDS=() and `trap stop_all EXIT`.
stop_all() {
  local p
  for p in "${EXTRA_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
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

# start_server CONFIG LOG: starts shoal, waits (30 s at most) for its "serving ... on URL".
start_server() {
  stop_server
  : >"$2"
  "$BIN" serve -c "$1" >"$2" 2>&1 &
  PID=$!
  local i
  for ((i = 0; i < 300; i++)); do
    URL=$(grep -o 'on http://127\.0\.0\.1:[0-9]*' "$2" | head -1 | sed 's/^on //' || true)
    [[ -n $URL ]] && return 0
    kill -0 "$PID" 2>/dev/null || {
      cat "$2" >&2
      die "shoal exited at start"
    }
    sleep 0.1
  done
  die "shoal did not report its address within 30 s (see $2)"
}

metric() { # metric NAME: the value of one line of /_shoal/metrics
  curl -sf --max-time 5 "$URL/_shoal/metrics" | awk -v n="$1" '$1 == n { v = $2 } END { print (v == "" ? 0 : v) }'
}
cpu_ticks() { # utime + stime of the server, in clock ticks (fields 14 and 15 of stat)
  sed 's/^.*) //' "/proc/$PID/stat" | awk '{ print $12 + $13 }'
}
status_kib() { # status_kib VmRSS|VmHWM
  awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PID/status"
}
CLK_TCK=$(getconf CLK_TCK)

# --- other servers (bench/compare.sh, bench/profile_hit.sh) -----------------------------
# start_nginx needs RUN (its directory goes under it), URL (the shoal its proxy_cache
# variant proxies to; any value for the fixed reply) and the caller's EXTRA_PIDS array,
# which it appends the nginx pid to (the caller stops them); it sets NAME_PID (dashes as _).

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_port PORT NAME LOG: until something answers HTTP on PORT (10 s at most).
wait_port() {
  local i
  for ((i = 0; i < 100; i++)); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/_shoal/health" && return 0
    sleep 0.1
  done
  cat "$3" >&2 || true
  die "$2 did not answer on port $1"
}

# The fixed answer: an item-sized JSON object (~600 bytes, like the mix's average answer).
fixed_body() {
  python3 -c '
import json
body = {"id": 1, "sku": "SKU-00000001", "title": "A fixed answer the size of a catalog item",
        "category": "books", "price_cents": 1999, "stock": 42, "rating": 4.5,
        "tags": ["fixed", "reference", "nginx"], "updated_at": "2024-01-01T00:00:00Z"}
body["padding"] = "x" * (600 - len(json.dumps(body)) - 14)
print(json.dumps(body), end="")'
}

start_nginx() { # start_nginx NAME PORT LOCATION_BLOCK
  local dir=$RUN/$1
  rm -rf "$dir" && mkdir -p "$dir/cache" "$dir/tmp"
  cat >"$dir/nginx.conf" <<EOF
# Written by $SCRIPT.
worker_processes 1;
user '$(id -un)';
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
worker_rlimit_nofile 65536;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/tmp;
  proxy_temp_path $dir/tmp;
  fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp;
  scgi_temp_path $dir/tmp;
  keepalive_requests 1000000;
  proxy_cache_path $dir/cache levels=1:2 keys_zone=shoal:64m max_size=1g inactive=24h;
  upstream shoal { server ${URL#http://}; keepalive 64; }
  server {
    listen 127.0.0.1:$2 reuseport backlog=4096;
    $3
  }
}
EOF
  nginx -p "$dir" -c "$dir/nginx.conf" >"$dir/stdout.log" 2>&1 &
  EXTRA_PIDS+=($!)
  eval "${1//-/_}_PID=$!"
}

# tree_ticks PID...: utime+stime (clock ticks) of the processes and all their descendants.
tree_ticks() {
  local total=0 p kids
  for p in "$@"; do
    [[ -r /proc/$p/stat ]] || continue
    total=$((total + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
    kids=$(cat /proc/"$p"/task/*/children 2>/dev/null | tr '\n' ' ')
    if [[ -n ${kids// /} ]]; then
      # shellcheck disable=SC2086
      total=$((total + $(tree_ticks $kids)))
    fi
  done
  echo "$total"
}
