#!/usr/bin/env bash
# Runs a real multi-node Apache Cassandra 5.0 ring on loopback addresses for shoal's ring
# tests, from the same Maven Central jars and JDK 17 as scripts/cassandra.sh (no root
# networking: Linux routes all of 127.0.0.0/8 to lo). Node K listens on 127.0.0.(K+1), CQL
# port 9042 and storage port 7000 on its own address, JMX on 127.0.0.1:(JMX_BASE+K).
# Two data centres (GossipingPropertyFileSnitch): node1 dc1/rack1, node2 dc1/rack2,
# node3 dc2/rack1, further nodes of `start` dc1 alternating racks; one balanced token each.
# The single node of scripts/cassandra.sh (127.0.0.1:9042/7000, cluster 'shoal-test') can run
# beside it: other addresses, another cluster name, other seeds.
#
#   scripts/cassandra-ring.sh start [N]   fresh ring of N nodes (default 3; data wiped first),
#                                         waits until all are NORMAL and agree on the schema
#   scripts/cassandra-ring.sh stop        SIGTERM every node by its pid (SIGKILL after a timeout)
#   scripts/cassandra-ring.sh status      one line per node; exit 1 if no node runs
#   scripts/cassandra-ring.sh nodes       machine-readable: "K ADDRESS DC RACK PID STATE" per
#                                         node; PID "-" when not running; STATE one of up,
#                                         starting, paused, down, decommissioned
#   scripts/cassandra-ring.sh add         bootstrap one more node (next address, dc1/rack1),
#                                         prints its address once it serves CQL
#   scripts/cassandra-ring.sh decommission K   nodetool decommission node K, then stop it
#   scripts/cassandra-ring.sh kill K      kill -9 node K
#   scripts/cassandra-ring.sh restart K   start a killed or stopped node K again on its data
#   scripts/cassandra-ring.sh pause K     SIGSTOP node K      resume K: SIGCONT
#   scripts/cassandra-ring.sh cql K "STMT" ...   run statements on node K (scripts/cassandra/cql.py)
#
# Environment (all optional):
#   SHOAL_RING_DATA           ring dir (nodeK/{conf,storage,logs}, pid files), default
#                             ~/.cache/shoal/ring-data
#   SHOAL_RING_HEAP           heap per node, default 512M
#   SHOAL_RING_JMX_BASE       node K's JMX port is this + K, default 7400
#   SHOAL_RING_DELAY_MS       Cassandra's RING_DELAY (bootstrap and decommission waits),
#                             default 5000 (Cassandra's own: 30000)
#   SHOAL_RING_START_TIMEOUT  seconds for the ring (or one node) to get ready, default 240
#   SHOAL_RING_STOP_TIMEOUT   seconds before SIGKILL, default 30
#   SHOAL_CASSANDRA_VERSION, SHOAL_JAVA17, SHOAL_MAVEN_ARGS: as for scripts/cassandra.sh
#   SHOAL_CASSANDRA_FAST      1 (default): skip fsyncs (system tables stay durable)
#
# Exit codes: 0 ok; 1 failure (message + log path on stderr); 2 usage; 3 Maven Central
# unreachable while the jars are not cached yet (callers skip the ring tests); 4 a
# prerequisite is missing (JDK 17, mvn, python3, flock).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
helpers=$here/cassandra
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/shoal

data=${SHOAL_RING_DATA:-$cache_root/ring-data}
heap=${SHOAL_RING_HEAP:-512M}
jmx_base=${SHOAL_RING_JMX_BASE:-7400}
ring_delay=${SHOAL_RING_DELAY_MS:-5000}
start_timeout=${SHOAL_RING_START_TIMEOUT:-240}
stop_timeout=${SHOAL_RING_STOP_TIMEOUT:-30}
fast=${SHOAL_CASSANDRA_FAST:-1}
java=${SHOAL_JAVA17:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}
seeds=127.0.0.2:7000

say() { echo "cassandra-ring: $*"; }
die() { echo "cassandra-ring: ERROR: $*" >&2; exit 1; }
# shellcheck source=cassandra/common.sh
. "$helpers/common.sh" # now, since, alive, our_pid, port_busy, terminate

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

# --- bookkeeping -------------------------------------------------------------

node_dir() { echo "$data/node$1"; }
address_of() { echo "127.0.0.$(($1 + 1))"; }

# node_get K KEY: a value recorded in nodeK/node.env, or empty.
node_get() {
  local f
  f=$(node_dir "$1")/node.env
  [ -f "$f" ] && sed -n "s/^$2=//p" "$f" | head -n1 || true
}

node_set() { # K KEY VALUE
  local f
  f=$(node_dir "$1")/node.env
  if grep -q "^$2=" "$f"; then
    sed -i "s|^$2=.*|$2=$3|" "$f"
  else
    echo "$2=$3" >>"$f"
  fi
}

# The indexes of the nodes this ring dir knows, ascending.
indexes() {
  local d
  for d in "$data"/node*/; do
    [ -f "$d/node.env" ] || continue
    d=${d%/}
    echo "${d##*/node}"
  done | sort -n
}

# Prints node K's pid if it is alive and its command line is ours, else nothing.
running_pid() {
  local dir
  dir=$(node_dir "$1")
  our_pid "$dir/cassandra.pid" "-Dcassandra.storagedir=$dir/storage"
}

paused() { [ "$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)" = T ]; }

probe() { # K: prints the release version when node K answers CQL
  python3 "$helpers/cql.py" --host "$(address_of "$1")" --port 9042 --timeout 3 --probe 2>/dev/null
}

node_state() { # K -> up | starting | paused | down | decommissioned
  local pid
  if [ "$(node_get "$1" state)" = decommissioned ]; then
    echo decommissioned
    return
  fi
  pid=$(running_pid "$1")
  if [ -z "$pid" ]; then
    echo down
  elif paused "$pid"; then
    echo paused
  elif probe "$1" >/dev/null; then
    echo up
  else
    echo starting
  fi
}

check_index() { # K: a node this ring knows
  [[ "${1:-}" =~ ^[0-9]+$ ]] || { echo "cassandra-ring: ERROR: give a node index (see: $0 nodes)" >&2; exit 2; }
  [ -f "$(node_dir "$1")/node.env" ] || die "no node $1 in $data (see: $0 nodes)"
}

need_running() { # K -> pid, or dies
  local pid
  [ "$(node_get "$1" state)" != decommissioned ] || die "node $1 was decommissioned"
  pid=$(running_pid "$1")
  [ -n "$pid" ] || die "node $1 ($(address_of "$1")) is not running"
  echo "$pid"
}

show_logs() { # K
  local logs
  logs=$(node_dir "$1")/logs
  echo "cassandra-ring: node $1 logs: $logs/system.log and $logs/stdout.log; last lines:" >&2
  tail -n 20 "$logs/stdout.log" >&2 2>/dev/null || true
  grep -E "ERROR|Exception|Caused by" "$logs/system.log" 2>/dev/null | tail -n 15 >&2 || true
}

lock() {
  mkdir -p "$data"
  exec 9>"$data/.lock"
  flock -w $((start_timeout + stop_timeout + 60)) 9 || die "another command still holds $data/.lock"
}

# --- tokens ------------------------------------------------------------------

# balanced_tokens DC_INDEX COUNT: ccm's i * (2^64 / n) - 2^63, + 100 per data centre after
# the first, so tokens are unique ring-wide.
balanced_tokens() {
  python3 -c 'import sys
d, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(n): print(i * (2**64 // n) - 2**63 + 100 * d)' "$1" "$2"
}

# middle_token TOKEN...: the middle of the widest gap between the given tokens (wrapping).
middle_token() {
  python3 -c 'import sys
t = sorted(int(x) for x in sys.argv[1:])
best, at = -1, 0
for i, a in enumerate(t):
    b = t[(i + 1) % len(t)] + (2**64 if i + 1 == len(t) else 0)
    if b - a > best: best, at = b - a, a + (b - a) // 2
print((at + 2**63) % 2**64 - 2**63)' "$@"
}

# --- launching ----------------------------------------------------------------

# prepare_node K DC RACK TOKEN BOOTSTRAP: a fresh node dir with its yaml and rackdc file.
prepare_node() {
  local k=$1 dir address
  dir=$(node_dir "$k")
  address=$(address_of "$k")
  rm -rf "${dir:?}"
  mkdir -p "$dir/conf/triggers" "$dir/storage" "$dir/logs" "$dir/tmp"
  sed -e "s/@TOKEN@/$4/" -e "s/@BOOTSTRAP@/$5/" -e "s/@SEEDS@/$seeds/" -e "s/@ADDRESS@/$address/g" \
    "$helpers/ring.yaml.in" >"$dir/conf/cassandra.yaml"
  printf 'dc=%s\nrack=%s\n' "$2" "$3" >"$dir/conf/cassandra-rackdc.properties"
  cp "$helpers/logback.xml" "$dir/conf/logback.xml"
  printf 'index=%s\naddress=%s\ndc=%s\nrack=%s\ntoken=%s\njmx_port=%s\nstate=active\n' \
    "$k" "$address" "$2" "$3" "$4" "$((jmx_base + k))" >"$dir/node.env"
}

# launch K: starts node K's JVM in its own session (it outlives this shell and its Ctrl-C);
# the pid file holds java's pid. Does not wait.
launch() {
  local k=$1 dir address jmx pid i
  dir=$(node_dir "$k")
  address=$(address_of "$k")
  jmx=$(node_get "$k" jmx_port)
  for i in 9042 7000; do
    port_busy "$address" "$i" && die "$address:$i is already in use by another process"
  done
  port_busy 127.0.0.1 "$jmx" && die "127.0.0.1:$jmx (JMX of node $k) is already in use; set SHOAL_RING_JMX_BASE"
  local extra=()
  if [ "$fast" = 1 ]; then
    # No fsync, but the system tables stay durable: with unsafesystem or without schema
    # flushes, a node killed with -9 came back without the keyspaces made since it started
    # (its USE failed with "does not exist" for minutes, though system_schema listed them).
    extra+=(-Dcassandra.skip_sync=true)
  fi
  # The class-data archive scripts/cassandra.sh wrote (same jars, same JDK), read-only: a
  # mismatching or missing one is ignored by the JVM.
  local cds_file
  cds_file=$(ls "$(dirname "$lib")"/cds-*.jsa 2>/dev/null | head -n1 || true)
  if [ -n "$cds_file" ]; then
    extra+=(-XX:+UnlockDiagnosticVMOptions -XX:+AllowArchivingWithJavaAgent -XX:SharedArchiveFile="$cds_file")
  fi
  [ -f "$dir/logs/system.log" ] && mv -f "$dir/logs/system.log" "$dir/logs/system.log.1"
  rm -rf "${dir:?}/tmp/"* "$dir/cassandra.pid"
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' launcher "$dir/cassandra.pid" \
    "$java" @"$helpers/jvm17.args" \
    -Xms"$heap" -Xmx"$heap" \
    -javaagent:"$jamm" \
    -Dcassandra.config="file://$dir/conf/cassandra.yaml" \
    -Dcassandra-rackdc.properties="file://$dir/conf/cassandra-rackdc.properties" \
    -Dcassandra.storagedir="$dir/storage" \
    -Dcassandra.logdir="$dir/logs" \
    -Dlogback.configurationFile="$dir/conf/logback.xml" \
    -Dcassandra-foreground=yes \
    -Dcassandra.triggers_dir="$dir/conf/triggers" \
    -Dcassandra.jmx.local.port="$jmx" \
    -Dcassandra.ring_delay_ms="$ring_delay" \
    -Dcassandra.skip_wait_for_gossip_to_settle=0 \
    -Dcassandra.superuser_setup_delay_ms=0 \
    -Dcassandra.shutdown_announce_in_ms=0 \
    -Djava.io.tmpdir="$dir/tmp" -Djna.tmpdir="$dir/tmp" \
    "${extra[@]}" \
    -cp "$lib/*" org.apache.cassandra.service.CassandraDaemon \
    >"$dir/logs/stdout.log" 2>&1 </dev/null 9>&- &
  for i in $(seq 50); do
    [ -s "$dir/cassandra.pid" ] && break
    sleep 0.1
  done
  pid=$(cat "$dir/cassandra.pid" 2>/dev/null || true)
  [ -n "$pid" ] || die "the launcher of node $k did not record a pid"
}

# wait_cql K DEADLINE: until node K answers CQL; dies (after stopping it) if it exits or
# the deadline passes.
wait_cql() {
  local k=$1 pid
  while :; do
    pid=$(running_pid "$k")
    if [ -z "$pid" ]; then
      show_logs "$k"
      die "node $k ($(address_of "$k")) exited during startup (see $(node_dir "$k")/logs/system.log)"
    fi
    probe "$k" >/dev/null && return 0
    if [ "$(date +%s)" -ge "$2" ]; then
      show_logs "$k"
      die "node $k ($(address_of "$k")) does not answer CQL after ${start_timeout}s (SHOAL_RING_START_TIMEOUT)"
    fi
    sleep 0.5
  done
}

# wait_ring DEADLINE: until every active node answers CQL and sees all the others NORMAL
# with schema agreement; prints ring_check.py's line per node.
wait_ring() {
  local addresses=() k out reason=""
  for k in $(indexes); do
    [ "$(node_get "$k" state)" = active ] && addresses+=("$(address_of "$k")")
  done
  while :; do
    if out=$(python3 "$helpers/ring_check.py" "${addresses[@]}" 2>"$data/.check.err"); then
      echo "$out"
      return 0
    fi
    reason=$(cat "$data/.check.err")
    for k in $(indexes); do
      if [ "$(node_get "$k" state)" = active ] && [ -z "$(running_pid "$k")" ]; then
        show_logs "$k"
        die "node $k ($(address_of "$k")) is not running"
      fi
    done
    [ "$(date +%s)" -lt "$1" ] || die "ring not ready after ${start_timeout}s: $reason"
    sleep 1
  done
}

need_prereqs_and_jars() {
  command -v python3 >/dev/null || { echo "cassandra-ring: MISSING PREREQUISITE: python3" >&2; exit 4; }
  command -v flock >/dev/null || { echo "cassandra-ring: MISSING PREREQUISITE: flock (util-linux)" >&2; exit 4; }
  # scripts/cassandra.sh checks the JDK and mvn, downloads the jars once (exit 3 when
  # Maven Central cannot be reached) and prints the lib dir.
  local rc=0 out
  out=$("$here/cassandra.sh" fetch) || rc=$?
  # Its progress lines (a first download), then the lib dir on the last line.
  [ "$(echo "$out" | wc -l)" -le 1 ] || echo "$out" | sed '$d'
  [ "$rc" -eq 0 ] || exit "$rc"
  lib=$(echo "$out" | tail -n1)
  [ -d "$lib" ] || die "scripts/cassandra.sh fetch printed no lib dir"
  jamm=$(find "$lib" -maxdepth 1 -name 'jamm-*.jar' | head -n1)
  [ -n "$jamm" ] || die "no jamm jar in $lib; delete $lib and start again"
}

layout() { # K -> "DC RACK" for the nodes of `start`
  case $1 in
    1) echo dc1 rack1 ;;
    2) echo dc1 rack2 ;;
    3) echo dc2 rack1 ;;
    *) echo dc1 "rack$((1 + $1 % 2))" ;;
  esac
}

# --- commands -----------------------------------------------------------------

cmd_start() {
  local n=${1:-3} t0 k pids=()
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le 50 ] || { echo "cassandra-ring: ERROR: N must be 1..50" >&2; exit 2; }
  t0=$(now)
  lock
  for k in $(indexes); do
    local pid
    pid=$(running_pid "$k")
    [ -n "$pid" ] && pids+=("$pid")
  done
  if [ ${#pids[@]} -gt 0 ]; then
    say "stopping the previous ring first (pids ${pids[*]})"
    terminate "${pids[@]}"
  fi
  need_prereqs_and_jars
  rm -rf "${data:?}"/node*
  # Tokens balanced within each data centre.
  local dcs=() dc rack
  declare -A members=() token=()
  for k in $(seq "$n"); do
    read -r dc rack < <(layout "$k")
    [ -n "${members[$dc]:-}" ] || dcs+=("$dc")
    members[$dc]="${members[$dc]:-} $k"
  done
  local di=0 list t
  for dc in "${dcs[@]}"; do
    read -ra list <<<"${members[$dc]}"
    mapfile -t t < <(balanced_tokens "$di" "${#list[@]}")
    for k in "${!list[@]}"; do token[${list[$k]}]=${t[$k]}; done
    di=$((di + 1))
  done
  for k in $(seq "$n"); do
    read -r dc rack < <(layout "$k")
    prepare_node "$k" "$dc" "$rack" "${token[$k]}" false
  done
  local deadline=$(($(date +%s) + start_timeout))
  # The seed first; the others (pre-tokened, not bootstrapping) together, as ccm does.
  launch 1
  say "starting node 1 ($(address_of 1), pid $(cat "$(node_dir 1)/cassandra.pid")), the seed"
  wait_cql 1 "$deadline"
  for k in $(seq 2 "$n"); do
    launch "$k"
    say "starting node $k ($(address_of "$k"), pid $(cat "$(node_dir "$k")/cassandra.pid"))"
  done
  for k in $(seq 2 "$n"); do wait_cql "$k" "$deadline"; done
  wait_ring "$deadline" >/dev/null
  cmd_nodes
  say "ready: $n nodes in $(since "$t0") s, heap $heap each; data $data"
}

cmd_stop() {
  [ -d "$data" ] || { say "not running (no $data)"; return 0; }
  lock
  local k pid pids=() t0
  t0=$(now)
  for k in $(indexes); do
    pid=$(running_pid "$k")
    [ -n "$pid" ] && pids+=("$pid")
  done
  if [ ${#pids[@]} -eq 0 ]; then
    say "not running (data $data)"
    return 0
  fi
  terminate "${pids[@]}"
  for k in $(indexes); do rm -f "$(node_dir "$k")/cassandra.pid"; done
  say "stopped ${#pids[@]} nodes (pids ${pids[*]}) in $(since "$t0") s"
}

cmd_nodes() {
  local k pid
  for k in $(indexes); do
    pid=$(running_pid "$k")
    echo "$k $(address_of "$k") $(node_get "$k" dc) $(node_get "$k" rack) ${pid:--} $(node_state "$k")"
  done
}

cmd_status() {
  local k pid state any=0 rss
  [ -d "$data" ] || { say "no ring (no $data)"; return 1; }
  for k in $(indexes); do
    pid=$(running_pid "$k")
    state=$(node_state "$k")
    rss=""
    if [ -n "$pid" ]; then
      any=1
      rss=", rss $(($(ps -o rss= -p "$pid" 2>/dev/null || echo 0) / 1024)) MiB"
    fi
    say "node $k $(address_of "$k"):9042 $(node_get "$k" dc)/$(node_get "$k" rack) token $(node_get "$k" token): $state${pid:+, pid $pid}$rss, JMX 127.0.0.1:$(node_get "$k" jmx_port), log $(node_dir "$k")/logs/system.log"
  done
  [ "$any" = 1 ] || { say "no node running (data $data)"; return 1; }
}

cmd_add() {
  local t0 k=1 tokens=() t deadline
  t0=$(now)
  lock
  need_prereqs_and_jars
  for t in $(indexes); do
    k=$((t + 1))
    if [ "$(node_get "$t" state)" = active ] && [ "$(node_get "$t" dc)" = dc1 ]; then
      tokens+=("$(node_get "$t" token)")
    fi
  done
  [ ${#tokens[@]} -gt 0 ] || die "no ring in $data (start one first)"
  [ -n "$(running_pid 1)" ] || die "node 1 (the seed) is not running"
  t=$(middle_token "${tokens[@]}")
  prepare_node "$k" dc1 rack1 "$t" true
  deadline=$(($(date +%s) + start_timeout))
  launch "$k"
  say "bootstrapping node $k ($(address_of "$k"), dc1/rack1, token $t, pid $(cat "$(node_dir "$k")/cassandra.pid"))"
  wait_cql "$k" "$deadline"
  say "node $k serves CQL after $(since "$t0") s"
  address_of "$k"
}

cmd_decommission() {
  check_index "${1:-}"
  local k=$1 pid t0 jmx rc=0
  t0=$(now)
  lock
  need_prereqs_and_jars
  pid=$(need_running "$k")
  jmx=$(node_get "$k" jmx_port)
  say "decommissioning node $k ($(address_of "$k")) through JMX 127.0.0.1:$jmx"
  timeout $((start_timeout + 60)) "$java" @"$helpers/jvm17.args" -Xms64m -Xmx256m \
    -Dlogback.configurationFile="$helpers/logback-tools.xml" \
    -Dcassandra.storagedir="$(node_dir "$k")/tmp" \
    -cp "$lib/*" org.apache.cassandra.tools.NodeTool -h 127.0.0.1 -p "$jmx" decommission \
    >"$(node_dir "$k")/logs/nodetool.log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    tail -n 20 "$(node_dir "$k")/logs/nodetool.log" >&2
    die "nodetool decommission of node $k failed (rc $rc); log $(node_dir "$k")/logs/nodetool.log"
  fi
  # A decommissioned node keeps running, out of the ring; stop it.
  terminate "$pid"
  rm -f "$(node_dir "$k")/cassandra.pid"
  node_set "$k" state decommissioned
  say "node $k ($(address_of "$k")) decommissioned and stopped in $(since "$t0") s"
}

cmd_kill() {
  check_index "${1:-}"
  local pid i
  lock
  pid=$(need_running "$1")
  kill -KILL "$pid"
  for i in $(seq 100); do
    alive "$pid" || break
    sleep 0.1
  done
  alive "$pid" && die "pid $pid survived SIGKILL"
  rm -f "$(node_dir "$1")/cassandra.pid"
  say "killed node $1 ($(address_of "$1"), pid $pid)"
}

cmd_restart() {
  check_index "${1:-}"
  local k=$1 t0
  t0=$(now)
  lock
  [ "$(node_get "$k" state)" != decommissioned ] || die "node $k was decommissioned; it cannot rejoin on its data"
  [ -z "$(running_pid "$k")" ] || die "node $k is running (pid $(running_pid "$k"))"
  need_prereqs_and_jars
  launch "$k"
  say "restarting node $k ($(address_of "$k"), pid $(cat "$(node_dir "$k")/cassandra.pid"))"
  wait_cql "$k" $(($(date +%s) + start_timeout))
  say "node $k serves CQL after $(since "$t0") s"
  address_of "$k"
}

cmd_signal() { # pause|resume K
  check_index "${2:-}"
  local pid
  lock
  pid=$(need_running "$2")
  if [ "$1" = pause ]; then
    kill -STOP "$pid"
    say "paused node $2 ($(address_of "$2"), pid $pid)"
  else
    kill -CONT "$pid"
    say "resumed node $2 ($(address_of "$2"), pid $pid)"
  fi
}

cmd_cql() {
  check_index "${1:-}"
  local k=$1
  shift
  [ $# -ge 1 ] || { echo 'cassandra-ring: ERROR: usage: cassandra-ring.sh cql K "STATEMENT" [...]' >&2; exit 2; }
  need_running "$k" >/dev/null
  python3 "$helpers/cql.py" --host "$(address_of "$k")" --port 9042 "$@"
}

lib=""
jamm=""
case "${1:-}" in
  start) shift; cmd_start "$@" ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  nodes) cmd_nodes ;;
  add) cmd_add ;;
  decommission) cmd_decommission "${2:-}" ;;
  kill) cmd_kill "${2:-}" ;;
  restart) cmd_restart "${2:-}" ;;
  pause | resume) cmd_signal "$1" "${2:-}" ;;
  cql) shift; cmd_cql "$@" ;;
  *) usage ;;
esac
