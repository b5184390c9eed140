#!/usr/bin/env bash
# bench/compare.sh: shoal against what users would put in its place, side by side, in one run.
#
#   bench/compare.sh          20 s per measurement, 2 rounds (about 8 minutes plus the build)
#   bench/compare.sh quick    5 s, 1 round: a smoke test
#   bench/compare.sh expiry   as full, but with the catalog's own lifetimes (items 60 s,
#                             reviews 30 s, categories 10 s): expiry waves, refreshes and
#                             the proxies' revalidation are part of the measurement
#
# Six systems over the shared catalog workload (../shared/workload, 100,000 items), each on
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
#   seedgo         the original Go design (../shared/seedgo: net/http + gorilla/mux, one
#                  net/rpc connection to a groupcache data tier) over the same catalog.db,
#                  built with Debian's Go 1.19 and Go packages as its README says (GOPATH
#                  mode; the binaries and Go's build cache under ~/.cache/shoal/seedgo);
#                  its CPU is both processes'. SHOAL_COMPARE_SEEDGO=0 leaves it out;
#                  SHOAL_SEEDGO is its source directory (default ../shared/seedgo).
# With SHOAL_COMPARE_CASSANDRA=1, two more over Cassandra: shoal-cassandra (shoal, one event
# loop, the CQL of examples/catalog/shoal-cassandra.yaml) and seedgo-cassandra (seedgo's data
# tier on gocql), both reading keyspace shoal_bench (bench/cassandra.sh's), which this drops,
# creates from examples/catalog/schema.cql and loads from catalog.db (items, reviews,
# items_by_category) with `shoal load`, unless it holds that catalog.db already (600,000 rows:
# minutes on an idle box, a quarter of an hour on a busy one). The Cassandra is
# SHOAL_CASSANDRA (HOST:PORT, used as
# it is); without it this runs itself again under `SHOAL_RING=0 scripts/with-cassandra.sh`,
# which takes the one answering on 127.0.0.1:SHOAL_CASSANDRA_PORT (9042) or starts one and
# stops it at the end.
# Lifetimes are 24 h (shoal's, which the proxies obey through Cache-Control), so after the
# warm-up every measured request is a hit. Each system is warmed for 10 s (one pass over the
# mix's distinct paths first, so the proxies hold every key), then measured at wrk -t1 -c50
# and -c1000, round after round. The server CPU per request is utime+stime of every process
# of the system (for the proxies: the proxy's processes and the shoal behind it) over the
# run, divided by the requests. nginx, Varnish and seedgo's Go toolchain and packages are
# installed from Debian when missing.
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
SEEDGO=${SHOAL_COMPARE_SEEDGO:-1}
SEEDGO_SRC=${SHOAL_SEEDGO:-$ROOT/../shared/seedgo}
SEEDGO_HTTP_PORT=18087
SEEDGO_DATA_PORT=18097
CASSANDRA=${SHOAL_COMPARE_CASSANDRA:-0}
SEEDGO_CQL_HTTP_PORT=18088
SEEDGO_CQL_DATA_PORT=18098
CQL_KEYSPACE=shoal_bench
CLUSTER_TTLS=$TTLS
EXTRA_PIDS=()

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

# --- the original Go design (../shared/seedgo) -------------------------------------------

SEEDGO_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/shoal/seedgo
# Debian's Go 1.19 and the library packages seedgo's README names (GOPATH mode: their
# sources live under /usr/share/gocode/src; go-sqlite3 links the system libsqlite3).
SEEDGO_PACKAGES=(golang-1.19-go golang-github-golang-groupcache-dev golang-github-gorilla-mux-dev
  golang-github-mattn-go-sqlite3-dev golang-github-gocql-gocql-dev)

# build_seedgo: sets SEEDGO_BIN to a directory holding seedgo's data and web binaries, built
# once per source and Go version (cached under $SEEDGO_CACHE/bin-HASH).
build_seedgo() {
  [[ -f $SEEDGO_SRC/data/main.go && -f $SEEDGO_SRC/web/main.go ]] ||
    die "no seedgo sources in $SEEDGO_SRC (set SHOAL_SEEDGO, or SHOAL_COMPARE_SEEDGO=0)"
  local go=${SHOAL_SEEDGO_GO:-/usr/lib/go-1.19/bin/go} missing=() p
  for p in "${SEEDGO_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]} (Debian) for seedgo"
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    DEBIAN_FRONTEND=noninteractive timeout 900 "${sudo[@]}" apt-get install -y "${missing[@]}" >&2 ||
      die "apt-get install ${missing[*]} failed"
  fi
  [[ -x $go ]] || die "no Go at $go (set SHOAL_SEEDGO_GO)"
  local hash
  hash=$( (cat "$SEEDGO_SRC"/data/*.go "$SEEDGO_SRC"/web/*.go && "$go" version) | sha256sum | cut -c1-16)
  SEEDGO_BIN=$SEEDGO_CACHE/bin-$hash
  [[ -x $SEEDGO_BIN/data && -x $SEEDGO_BIN/web ]] && return 0
  log "building seedgo with $("$go" version) into $SEEDGO_BIN"
  rm -rf "$SEEDGO_BIN.tmp" && mkdir -p "$SEEDGO_BIN.tmp"
  local t
  for t in data web; do
    (cd "$SEEDGO_SRC" && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= \
      GOCACHE=$SEEDGO_CACHE/go-cache timeout 900 "$go" build -o "$SEEDGO_BIN.tmp/$t" "./$t") >&2 ||
      die "building seedgo's $t failed"
  done
  rm -rf "$SEEDGO_BIN" && mv "$SEEDGO_BIN.tmp" "$SEEDGO_BIN"
}

# wait_tcp PORT NAME LOG: until PORT accepts a connection (10 s at most).
wait_tcp() {
  local i
  for ((i = 0; i < 100; i++)); do
    port_free "$1" || return 0
    sleep 0.1
  done
  cat "$3" >&2 || true
  die "$2 did not listen on port $1"
}

# start_seedgo NAME HTTP_PORT DATA_PORT STORE_FLAGS...: seedgo's data tier (lifetimes $TTLS)
# and its web tier; sets NAME_PIDS (- as _) to both pids.
start_seedgo() {
  local name=$1 http=$2 data=$3 dir=$RUN/$1
  shift 3
  rm -rf "$dir" && mkdir -p "$dir"
  local ttl
  read -r -a ttl <<<"$TTLS"
  "$SEEDGO_BIN/data" -listen "127.0.0.1:$data" "$@" -ttl-item "${ttl[0]}" \
    -ttl-reviews "${ttl[1]}" -ttl-category "${ttl[2]}" >"$dir/data.log" 2>&1 &
  EXTRA_PIDS+=($!)
  local data_pid=$!
  wait_tcp "$data" "$name data tier" "$dir/data.log"
  "$SEEDGO_BIN/web" -listen "127.0.0.1:$http" -data "127.0.0.1:$data" >"$dir/web.log" 2>&1 &
  EXTRA_PIDS+=($!)
  eval "${name//-/_}_PIDS=\"$! $data_pid\""
  wait_port "$http" "$name" "$dir/web.log"
}

# --- Cassandra (SHOAL_COMPARE_CASSANDRA=1) -------------------------------------------------

cql() {
  python3 "$ROOT/scripts/cassandra/cql.py" --host "${SHOAL_CASSANDRA%:*}" \
    --port "${SHOAL_CASSANDRA##*:}" --timeout 120 "$@"
}

# schema_statements: examples/catalog/schema.cql with keyspace $CQL_KEYSPACE, NUL-separated.
schema_statements() {
  python3 - "$ROOT/examples/catalog/schema.cql" "$CQL_KEYSPACE" <<'PY'
import sys
text = open(sys.argv[1]).read().replace("shoal_catalog", sys.argv[2])
text = "\n".join(line.split("--")[0] for line in text.splitlines())
for s in text.split(";"):
    if s.strip():
        print(s.strip(), end="\0")
PY
}

# load_table TABLE JSONL [ARGS...]: `shoal load` into $CQL_KEYSPACE, 64 writes in flight (a
# node sharing 2 busy cores times out under the default 256); rows refused (write timeouts)
# are loaded again, up to 3 passes: loads are upserts.
load_table() {
  local table=$1 file=$2 pass
  shift 2
  for pass in 1 2 3; do
    timeout 1800 "$BIN" load --to "cassandra:$SHOAL_CASSANDRA/$CQL_KEYSPACE" --table "$table" \
      --concurrency 64 --from "$file" "$@" >&2 && return 0
    log "shoal load $table: pass $pass refused rows; loading again"
  done
  die "shoal load of $table into Cassandra failed 3 times"
}

# load_cassandra: keyspace $CQL_KEYSPACE anew, with catalog.db's items, reviews and
# items_by_category, unless it already holds this catalog.db (table compare_loaded names its
# digest, written last; bench/cassandra.sh drops the keyspace, and with it that mark).
load_cassandra() {
  local digest
  digest=$(sha256sum "$OUT/catalog.db" | cut -c1-32)
  if cql "SELECT digest FROM $CQL_KEYSPACE.compare_loaded WHERE id = 1" 2>/dev/null |
    grep -q "$digest"; then
    log "Cassandra $SHOAL_CASSANDRA: keyspace $CQL_KEYSPACE already holds this catalog.db"
    return 0
  fi
  log "loading catalog.db into Cassandra $SHOAL_CASSANDRA, keyspace $CQL_KEYSPACE"
  cql "DROP KEYSPACE IF EXISTS $CQL_KEYSPACE" >/dev/null || die "Cassandra: DROP KEYSPACE failed"
  local stmts=()
  mapfile -d '' stmts < <(schema_statements)
  cql "${stmts[@]}" >/dev/null || die "Cassandra: creating the schema failed"
  mkdir -p "$RUN/cql"
  "${TOOL[@]}" jsonl "$OUT/catalog.db" "$RUN/cql" items reviews >&2
  load_table items "$RUN/cql/items.jsonl"
  load_table items_by_category "$RUN/cql/items.jsonl" --columns category,id,title,price_cents
  load_table reviews "$RUN/cql/reviews.jsonl"
  cql "CREATE TABLE IF NOT EXISTS $CQL_KEYSPACE.compare_loaded (id int PRIMARY KEY, digest text)" \
    "INSERT INTO $CQL_KEYSPACE.compare_loaded (id, digest) VALUES (1, '$digest')" >/dev/null ||
    die "Cassandra: marking the keyspace loaded failed"
}

# cassandra_config FILE TTL_ITEMS TTL_REVIEWS TTL_CATEGORIES: write_config's shoal over
# $SHOAL_CASSANDRA, with the CQL of examples/catalog/shoal-cassandra.yaml.
cassandra_config() {
  cat >"$1" <<EOF
# Written by $SCRIPT.
listen: 127.0.0.1:0
http: { threads: $HTTP_THREADS }
store:
  cassandra:
    contact_points: [$SHOAL_CASSANDRA]
    keyspace: $CQL_KEYSPACE
    consistency: LOCAL_ONE
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
      FROM reviews WHERE item_id = :id LIMIT :"limit"
    params:
      limit: { type: int, default: 10, min: 1, max: 50 }
    result: many
    ttl: $3
  - route: /v1/categories/{name}/items
    query: >-
      SELECT id, title, price_cents
      FROM items_by_category WHERE category = :name LIMIT :"limit"
    params:
      limit: { type: int, default: 20, min: 1, max: 100 }
    result: many
    ttl: $4
EOF
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
  if [[ $CASSANDRA == 1 && -z ${SHOAL_CASSANDRA:-} ]]; then
    # with-cassandra.sh takes the node answering on SHOAL_CASSANDRA_PORT or starts one (and
    # stops it afterwards); no multi-node ring.
    log "SHOAL_COMPARE_CASSANDRA=1 without SHOAL_CASSANDRA: running under scripts/with-cassandra.sh"
    exec env SHOAL_RING=0 "$ROOT/scripts/with-cassandra.sh" \
      env SHOAL_CASSANDRA="127.0.0.1:${SHOAL_CASSANDRA_PORT:-9042}" "$HERE/compare.sh" "$MODE"
  fi
  ensure_tools
  ensure_servers
  build
  make_data
  [[ $SEEDGO == 1 ]] && build_seedgo
  mkdir -p "$RUN"
  : >"$RUN/results.jsonl"
  local p
  for p in $NGINX_CACHE_PORT $VARNISH_PORT $NGINX_FIXED_PORT "${CLUSTER_HTTP_PORTS[@]}" \
    "${CLUSTER_PEER_PORTS[@]}" $SEEDGO_HTTP_PORT $SEEDGO_DATA_PORT $SEEDGO_CQL_HTTP_PORT \
    $SEEDGO_CQL_DATA_PORT; do
    port_free "$p" || die "port $p is taken"
  done
  if [[ $CASSANDRA == 1 ]]; then
    if ! cql --probe >/dev/null 2>&1; then
      echo "################################################################################" >&2
      echo "## $SCRIPT: no Cassandra answers at $SHOAL_CASSANDRA: shoal-cassandra and" >&2
      echo "## seedgo-cassandra are LEFT OUT of this run" >&2
      echo "################################################################################" >&2
      CASSANDRA=0
    else
      load_cassandra
    fi
  fi

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
  if [[ $SEEDGO == 1 ]]; then
    start_seedgo seedgo $SEEDGO_HTTP_PORT $SEEDGO_DATA_PORT -db "$OUT/catalog.db"
  fi
  local cql_pid= cql_url=
  if [[ $CASSANDRA == 1 ]]; then
    # shellcheck disable=SC2086
    cassandra_config "$RUN/shoal-cassandra.yaml" $TTLS
    "$BIN" serve -c "$RUN/shoal-cassandra.yaml" >"$RUN/shoal-cassandra.log" 2>&1 &
    EXTRA_PIDS+=($!)
    cql_pid=$!
    for ((i = 0; i < 300; i++)); do
      cql_url=$(grep -o 'on http://127\.0\.0\.1:[0-9]*' "$RUN/shoal-cassandra.log" | head -1 | sed 's/^on //' || true)
      [[ -n $cql_url ]] && break
      kill -0 "$cql_pid" 2>/dev/null || break
      sleep 0.1
    done
    [[ -n $cql_url ]] || {
      cat "$RUN/shoal-cassandra.log" >&2
      die "shoal over Cassandra did not start"
    }
    [[ $SEEDGO == 1 ]] && start_seedgo seedgo-cassandra $SEEDGO_CQL_HTTP_PORT \
      $SEEDGO_CQL_DATA_PORT -cassandra "$SHOAL_CASSANDRA" -keyspace "$CQL_KEYSPACE"
  fi

  # name port pids...
  local -a systems=(
    "shoal ${URL##*:} $PID"
    "nginx-cache $NGINX_CACHE_PORT $nginx_cache_PID $PID"
    "varnish $VARNISH_PORT $varnish_PID $PID"
    "nginx-fixed $NGINX_FIXED_PORT $nginx_fixed_PID"
  )
  [[ $CLUSTER == 1 ]] && systems+=("shoal-cluster ${CLUSTER_HTTP_PORTS[0]} ${cluster_pids[*]}")
  [[ $SEEDGO == 1 ]] && systems+=("seedgo $SEEDGO_HTTP_PORT $seedgo_PIDS")
  [[ $CASSANDRA == 1 ]] && systems+=("shoal-cassandra ${cql_url##*:} $cql_pid")
  [[ $CASSANDRA == 1 && $SEEDGO == 1 ]] &&
    systems+=("seedgo-cassandra $SEEDGO_CQL_HTTP_PORT $seedgo_cassandra_PIDS")
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
pairs = {"shoal": ("nginx-cache", "varnish", "nginx-fixed", "seedgo"),
         "shoal-cluster": ("shoal", "nginx-cache", "varnish", "nginx-fixed", "seedgo"),
         "shoal-cassandra": ("seedgo-cassandra", "shoal")}
for mine, others in pairs.items():
    for conns in ("c50", "c1000"):
        me = f"{mine}-{conns}"
        for other in others:
            o = f"{other}-{conns}"
            if me in runs and o in runs:
                print(f"  {mine:<15} {conns:>5} vs {other:<16}"
                      f" req/s {med(me, 'rps') / med(o, 'rps'):5.2f}x"
                      f"   p99 {med(me, 'p99_us') / max(med(o, 'p99_us'), 1):5.2f}x"
                      f"   CPU/req {med(me, 'cpu_us_per_req') / max(med(o, 'cpu_us_per_req'), 1e-9):5.2f}x")
PY
  [[ -s $RUN/cluster.txt ]] && tee -a "$RUN/summary.txt" <"$RUN/cluster.txt"
  return 0
}

main "$@"
