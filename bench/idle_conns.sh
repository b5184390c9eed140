#!/usr/bin/env bash
# bench/idle_conns.sh: what a connection costs (issue 18, item 7, connection parts).
#
#   bench/idle_conns.sh [idle] [hit] [big]    (default: all three)
#
#   idle - 10,000 keep-alive connections (IDLE_COUNT), each used for one catalog hit and then
#          left idle: the server's RSS and the kernel's slab memory before and after, in bytes
#          per connection (bench/idle_conns.py). Goal: <= 4 KiB of RSS per idle connection.
#   hit  - the warm hit path the idle work must not slow: wrk -t1 -c50 on one cached item,
#          req/s and server CPU (utime+stime) per request.
#   big  - a 1 MiB cached answer (a table of its own, bench/out/big.db): wrk -t1 -c4, plain and
#          gzip (Accept-Encoding), GB/s of body and server CPU per request.
# Each measurement runs ROUNDS times (default 2) against a fresh server, one event loop
# (http.threads 1); medians are printed with the load average. Results go to
# bench/out/idle_conns/.
#
# Environment: as bench/run.sh (SHOAL_BIN, SHOAL_BENCH_BUILD_DIR, SHOAL_BENCH_OUT,
# SHOAL_WORKLOAD), plus ROUNDS, DURATION (wrk seconds, default 10), IDLE_COUNT (10000).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HTTP_THREADS=1
SCRIPT=bench/idle_conns.sh
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-10}
IDLE_COUNT=${IDLE_COUNT:-10000}
STEPS=("$@")
((${#STEPS[@]})) || STEPS=(idle hit big)
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
RUN=$OUT/idle_conns
trap stop_server EXIT
trap 'exit 130' INT TERM

ensure_tools
# 10,000 connections need 10,000 descriptors in this shell's children and in the server.
(($(ulimit -n) > IDLE_COUNT + 200)) || die "ulimit -n is $(ulimit -n); need more than $((IDLE_COUNT + 200))"
build
make_data
mkdir -p "$RUN"

# connection_limits FILE: room for the idle connections (the default max_connections is
# 10,000, and the run's own probes need a few more), no per-address cap, and an idle timeout
# longer than the run.
connection_limits() {
  sed -i "s/^http: { threads: .* }/http: { threads: $HTTP_THREADS, max_connections: $((IDLE_COUNT + 1000)), max_connections_per_address: 0, idle_timeout: 10m }/" "$1"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# wrk_cpu LABEL CONNECTIONS PATH [HEADER]: one wrk run against the running server; appends
# "req/s cpu_us_per_req" to $RUN/LABEL.txt.
wrk_cpu() {
  local label=$1 conns=$2 path=$3 header=${4:-}
  local args=(-t1 -c"$conns" -d"${DURATION}s" --latency)
  [[ -n $header ]] && args+=(-H "$header")
  local t0 t1 reqs rps
  t0=$(cpu_ticks)
  timeout $((DURATION + 60)) wrk "${args[@]}" "$URL$path" >"$RUN/$label.wrk"
  t1=$(cpu_ticks)
  reqs=$(awk '/requests in/ { print $1 }' "$RUN/$label.wrk")
  rps=$(awk '/^Requests\/sec/ { print $2 }' "$RUN/$label.wrk")
  grep -q 'Non-2xx' "$RUN/$label.wrk" && die "$label: wrk saw non-2xx answers (see $RUN/$label.wrk)"
  echo "$rps $(awk -v d=$((t1 - t0)) -v n="$reqs" -v hz="$CLK_TCK" 'BEGIN { printf "%.2f", d * 1e6 / hz / n }')" >>"$RUN/$label.txt"
}

step_idle() {
  write_config "$RUN/idle.yaml" 24h 24h 24h
  connection_limits "$RUN/idle.yaml"
  : >"$RUN/idle.txt"
  local r
  for ((r = 1; r <= ROUNDS; r++)); do
    start_server "$RUN/idle.yaml" "$RUN/idle.log"
    log "idle round $r: $IDLE_COUNT keep-alive connections"
    timeout 600 python3 "$HERE/idle_conns.py" --url "$URL" --pid "$PID" --count "$IDLE_COUNT" \
      --path /v1/items/1 >"$RUN/idle.$r.json"
    cat "$RUN/idle.$r.json" >&2
    python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["rss_bytes_per_conn"], d.get("kernel_slab_bytes_per_conn", 0))' \
      "$RUN/idle.$r.json" >>"$RUN/idle.txt"
    stop_server
  done
}

step_hit() {
  write_config "$RUN/hit.yaml" 24h 24h 24h
  : >"$RUN/hit.txt"
  local r
  for ((r = 1; r <= ROUNDS; r++)); do
    start_server "$RUN/hit.yaml" "$RUN/hit.log"
    curl -sf -o /dev/null "$URL/v1/items/1" || die "GET /v1/items/1 failed"
    log "hit round $r: wrk -t1 -c50 /v1/items/1"
    wrk_cpu hit 50 /v1/items/1
    stop_server
  done
}

# big_db: one row whose `body` is 1 MiB of text (hex of a seeded pseudo-random sequence,
# so that gzip has some work but not an easy one).
big_db() {
  [[ -s $OUT/big.db ]] && return 0
  python3 - "$OUT/big.db" <<'EOF'
import random, sqlite3, sys
rnd = random.Random(18)
body = "".join(rnd.choice("0123456789abcdefghijklmnopqrstuvwxyz      ") for _ in range(1 << 20))
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE big (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
db.execute("INSERT INTO big VALUES (1, ?)", (body,))
db.commit()
EOF
}

step_big() {
  big_db
  cat >"$RUN/big.yaml" <<EOF
# Written by $SCRIPT.
listen: 127.0.0.1:0
http: { threads: $HTTP_THREADS }
store:
  sqlite: { path: $OUT/big.db }
  timeout: 2s
cache:
  memory: 64MiB
endpoints:
  - route: /v1/big/{id:int}
    query: SELECT id, body FROM big WHERE id = :id
    result: one
    ttl: 24h
EOF
  : >"$RUN/big-plain.txt"
  : >"$RUN/big-gzip.txt"
  local r size gzsize
  for ((r = 1; r <= ROUNDS; r++)); do
    start_server "$RUN/big.yaml" "$RUN/big.log"
    size=$(curl -sf -o /dev/null -w '%{size_download}' "$URL/v1/big/1") || die "GET /v1/big/1 failed"
    gzsize=$(curl -sf -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$URL/v1/big/1")
    log "big round $r: wrk -t1 -c4 /v1/big/1 ($size bytes; gzip $gzsize)"
    wrk_cpu big-plain 4 /v1/big/1
    wrk_cpu big-gzip 4 /v1/big/1 'Accept-Encoding: gzip'
    stop_server
  done
  echo "$size $gzsize" >"$RUN/big-size.txt"
}

for s in "${STEPS[@]}"; do
  case $s in
    idle | hit | big) "step_$s" ;;
    *) die "unknown step $s (idle, hit, big)" ;;
  esac
done

printf '\n%s, load average %s\n' "$(date -u +%FT%TZ)" "$(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -s $RUN/idle.txt && " ${STEPS[*]} " == *" idle "* ]]; then
  printf 'idle: %d connections, RSS bytes/conn median %s (rounds: %s); kernel slab bytes/conn (both ends) %s\n' \
    "$IDLE_COUNT" "$(cut -d' ' -f1 "$RUN/idle.txt" | median)" "$(cut -d' ' -f1 "$RUN/idle.txt" | tr '\n' ' ')" \
    "$(cut -d' ' -f2 "$RUN/idle.txt" | median)"
fi
if [[ -s $RUN/hit.txt && " ${STEPS[*]} " == *" hit "* ]]; then
  printf 'hit -c50: req/s median %s, CPU us/req median %s (rounds: %s)\n' \
    "$(cut -d' ' -f1 "$RUN/hit.txt" | median)" "$(cut -d' ' -f2 "$RUN/hit.txt" | median)" "$(tr '\n' ';' <"$RUN/hit.txt")"
fi
if [[ " ${STEPS[*]} " == *" big "* ]]; then
  read -r size gzsize <"$RUN/big-size.txt"
  for v in plain gzip; do
    b=$size
    [[ $v == gzip ]] && b=$gzsize
    rps=$(cut -d' ' -f1 "$RUN/big-$v.txt" | median)
    printf 'big %s (%s bytes) -c4: req/s median %s = %s GB/s, CPU us/req median %s (rounds: %s)\n' \
      "$v" "$b" "$rps" "$(awk -v r="$rps" -v b="$b" 'BEGIN { printf "%.2f", r * b / 1e9 }')" \
      "$(cut -d' ' -f2 "$RUN/big-$v.txt" | median)" "$(tr '\n' ';' <"$RUN/big-$v.txt")"
  done
fi
