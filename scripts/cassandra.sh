#!/usr/bin/env bash
# Runs a real single-node Apache Cassandra 5.0 for shoal's tests and benchmarks,
# from the jars on Maven Central (no tarball, no Docker, no cqlsh).
#
#   scripts/cassandra.sh start          fetch jars (once), start, wait until CQL answers
#   scripts/cassandra.sh stop           SIGTERM the recorded pid, SIGKILL after a timeout
#   scripts/cassandra.sh status         running or not, pid, ports, version (exit 1 if not running)
#   scripts/cassandra.sh cql "STMT" ... run statements on one connection, print rows
#   scripts/cassandra.sh fetch          only download the jars (once); used by cassandra-ring.sh
#
# Environment (all optional):
#   SHOAL_CASSANDRA_PORT          native (CQL) port, default 9042
#   SHOAL_CASSANDRA_STORAGE_PORT  internode port, default PORT-2042 (9042 -> 7000)
#   SHOAL_CASSANDRA_DATA          node dir (conf, data, logs, pid), default
#                                 ~/.cache/shoal/cassandra-data-<port>
#   SHOAL_CASSANDRA_VERSION       default 5.0.9, the newest 5.0.x on Central (2026-11)
#   SHOAL_CASSANDRA_HEAP          default 1G
#   SHOAL_CASSANDRA_FAST          1 (default): skip fsyncs and schema flushes; 0 for durability
#   SHOAL_CASSANDRA_CDS           1 (default): class-data-sharing archive, ~2 s faster warm starts
#   SHOAL_CASSANDRA_AUTH          1: PasswordAuthenticator (superuser cassandra/cassandra);
#                                 `cql` then logs in as SHOAL_CASSANDRA_USER/_PASSWORD
#                                 (default cassandra/cassandra). Default 0: no authentication
#   SHOAL_CASSANDRA_TLS           1: client-to-node TLS, optional (plain and TLS clients on the
#                                 same port), with test certificates made once by
#                                 scripts/cassandra/tls.sh under <data dir>/tls (CA: tls/ca.pem,
#                                 recorded as tls_dir= in <data dir>/instance.env). Default 0
#   SHOAL_CASSANDRA_START_TIMEOUT seconds, default 180
#   SHOAL_CASSANDRA_STOP_TIMEOUT  seconds before SIGKILL, default 60
#   SHOAL_JAVA17                  java binary, default /usr/lib/jvm/java-17-openjdk-amd64/bin/java
#   SHOAL_MAVEN_ARGS              extra mvn arguments (e.g. "-s mirror-settings.xml")
#   SHOAL_CASSANDRA_MVN_TIMEOUT   seconds for the one-time download, default 900
#
# Exit codes: 0 ok; 1 failure (message + log path on stderr); 3 Maven Central
# unreachable while the jars are not cached yet (callers report Cassandra tests
# as skipped); 4 a prerequisite is missing (JDK 17, mvn, python3, flock).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
helpers=$here/cassandra
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/shoal

version=${SHOAL_CASSANDRA_VERSION:-5.0.9}
port=${SHOAL_CASSANDRA_PORT:-9042}
storage_port=${SHOAL_CASSANDRA_STORAGE_PORT:-$((port - 2042))}
data=${SHOAL_CASSANDRA_DATA:-$cache_root/cassandra-data-$port}
heap=${SHOAL_CASSANDRA_HEAP:-1G}
fast=${SHOAL_CASSANDRA_FAST:-1}
cds=${SHOAL_CASSANDRA_CDS:-1}
start_timeout=${SHOAL_CASSANDRA_START_TIMEOUT:-180}
stop_timeout=${SHOAL_CASSANDRA_STOP_TIMEOUT:-60}
java=${SHOAL_JAVA17:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}
# Maven resolves ~100 jars (67 MB); on a good link this takes seconds, so
# 15 minutes means the network is effectively gone.
mvn_timeout=${SHOAL_CASSANDRA_MVN_TIMEOUT:-900}

lib=$cache_root/cassandra-$version/lib
pid_file=$data/cassandra.pid
state_file=$data/instance.env
log_dir=$data/logs

say() { echo "cassandra: $*"; }
die() { echo "cassandra: ERROR: $*" >&2; exit 1; }
# shellcheck source=cassandra/common.sh
. "$helpers/common.sh" # now, since, alive, our_pid, port_busy, terminate, stop_node

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 1
}

need_prereqs() {
  local missing=()
  [ -x "$java" ] || missing+=("JDK 17 at $java (apt-get install openjdk-17-jre-headless, or set SHOAL_JAVA17)")
  command -v python3 >/dev/null || missing+=("python3")
  command -v flock >/dev/null || missing+=("flock (util-linux)")
  if [ ! -f "$lib/.complete" ]; then
    command -v mvn >/dev/null || missing+=("mvn (apt-get install maven)")
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "cassandra: MISSING PREREQUISITE: ${missing[*]}" >&2
    exit 4
  fi
  local v
  v=$("$java" -XX:-UsePerfData -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
  # Cassandra 5.0 runs on 11 and 17; JDK 24+ removed the security manager it installs.
  case "$v" in
    11 | 17) ;;
    *) echo "cassandra: MISSING PREREQUISITE: $java is Java '$v', Cassandra 5.0 needs 11 or 17" >&2; exit 4 ;;
  esac
}

check_port_numbers() {
  local p
  for p in "$port" "$storage_port"; do
    [[ "$p" =~ ^[0-9]+$ ]] && [ "$p" -ge 1024 ] && [ "$p" -le 65535 ] ||
      die "port '$p' is not in 1024..65535 (native $port, storage $storage_port; set SHOAL_CASSANDRA_STORAGE_PORT)"
  done
  [ "$port" != "$storage_port" ] || die "native and storage port are both $port"
}

# --- jars ------------------------------------------------------------------

# Downloads cassandra-all and its runtime dependencies into $lib, once (maven_jars, in
# scripts/cassandra/common.sh).
fetch_jars() {
  maven_jars cassandra "$version" "$helpers/pom.xml" "$lib" "$mvn_timeout" "$java" \
    cassandra.version "org.apache.cassandra:cassandra-all:$version" "cassandra-all-$version.jar"
}

# --- process bookkeeping ----------------------------------------------------

# Prints the pid of the node that owns $data if it is alive, else nothing.
running_pid() { our_pid "$pid_file" "-Dcassandra.storagedir=$data/storage"; }

state() { # key -> value recorded by the last start, or empty
  [ -f "$state_file" ] && sed -n "s/^$1=//p" "$state_file" | head -n1 || true
}

show_logs() {
  echo "cassandra: logs: $log_dir/system.log and $log_dir/stdout.log; last lines:" >&2
  tail -n 25 "$log_dir/stdout.log" >&2 2>/dev/null || true
  grep -E "ERROR|Exception|Caused by" "$log_dir/system.log" 2>/dev/null | tail -n 15 >&2 || true
}

probe() {
  python3 "$helpers/cql.py" --port "$port" --timeout 5 --probe 2>/dev/null
}

# After the node that was started without a class-data archive has exited,
# moves the archive it wrote into place for the next starts (rename: atomic
# even when two nodes finish at once).
keep_cds_archive() {
  local pending target
  pending=$(state cds_pending)
  target=$(state cds_file)
  [ -n "$pending" ] || return 0
  if [ -s "$pending" ] && [ -n "$target" ]; then
    mv -f "$pending" "$target"
    say "saved class-data archive $target for faster starts"
  fi
  rm -f "$pending"
}

# --- commands ---------------------------------------------------------------

cmd_start() {
  local t0 pid p
  t0=$(now)
  check_port_numbers
  mkdir -p "$data"
  exec 9>"$data/.lock"
  # Long enough for a concurrent start or stop on this node to finish.
  flock -w $((start_timeout + stop_timeout + 30)) 9 || die "another start/stop still holds $data/.lock"

  pid=$(running_pid)
  if [ -n "$pid" ]; then
    p=$(state port)
    [ "$p" = "$port" ] || die "$data is in use by the node on port $p (pid $pid)"
    say "already running: pid $pid, 127.0.0.1:$port, data $data"
    return 0
  fi
  rm -f "$pid_file"
  need_prereqs
  for p in "$port" "$storage_port"; do
    port_busy 127.0.0.1 "$p" && die "127.0.0.1:$p is already in use by another process (pick another SHOAL_CASSANDRA_PORT or SHOAL_CASSANDRA_STORAGE_PORT)"
  done

  local t_dl
  t_dl=$(now)
  fetch_jars
  local dl_secs
  dl_secs=$(since "$t_dl")

  mkdir -p "$data/conf/triggers" "$data/storage" "$log_dir" "$data/tmp"
  local authenticator=AllowAllAuthenticator
  [ "${SHOAL_CASSANDRA_AUTH:-0}" = 1 ] && authenticator=PasswordAuthenticator
  sed -e "s/@PORT@/$port/g" -e "s/@STORAGE_PORT@/$storage_port/g" \
    -e "s/^authenticator: .*/authenticator: $authenticator/" \
    "$helpers/cassandra.yaml.in" >"$data/conf/cassandra.yaml"
  local tls_dir=""
  if [ "${SHOAL_CASSANDRA_TLS:-0}" = 1 ]; then
    tls_dir=$data/tls
    "$helpers/tls.sh" "$tls_dir" >/dev/null || die "could not make the TLS files in $tls_dir"
    # optional: true keeps plain CQL on the same port, so every other client goes on working.
    cat >>"$data/conf/cassandra.yaml" <<YAML
client_encryption_options:
  enabled: true
  optional: true
  keystore: $tls_dir/server.p12
  keystore_password: shoal-test
  store_type: PKCS12
  require_client_auth: false
  accepted_protocols: [TLSv1.2, TLSv1.3]
YAML
  fi
  cp "$helpers/logback.xml" "$data/conf/logback.xml"
  [ -f "$log_dir/system.log" ] && mv -f "$log_dir/system.log" "$log_dir/system.log.1"
  rm -rf "${data:?}/tmp/"*

  local jamm
  jamm=$(find "$lib" -maxdepth 1 -name 'jamm-*.jar' | head -n1)
  [ -n "$jamm" ] || die "no jamm jar in $lib; delete $lib and start again"
  local extra=()
  if [ "$fast" = 1 ]; then
    # Test settings: no fsync, no flush of schema tables after each DDL.
    # Single node: no peers to wait for when internode messaging shuts down.
    extra+=(-Dcassandra.skip_sync=true -Dcassandra.test.flush_local_schema_changes=false -Dcassandra.unsafesystem=true
      -Dcassandra.test.messagingService.nonGracefulShutdown=true)
  fi

  # Class-data sharing: the first start records the ~9000 classes it loads
  # into an archive written when that node exits (the first stop takes ~3 s
  # longer); later starts map it instead of parsing and verifying those
  # classes again: measured 5.0 s instead of 7.0 s to CQL-ready under load.
  # The JVM checks the archive against the classpath and JDK build and
  # silently ignores a mismatching one (-Xshare:auto), so a stale archive
  # costs only the time saved. Dumping refuses non-empty directories on the
  # classpath, which is why conf/ is not on it (config and logback are given
  # by path).
  local cds_args=() cds_file cds_pending=""
  if [ "$cds" = 1 ]; then
    cds_file=$(dirname "$lib")/cds-$("$java" -XX:-UsePerfData -version 2>&1 | sed -n 's/.*(build \([^)]*\)).*/\1/p' | head -n1 | tr -c 'A-Za-z0-9.+\n-' _).jsa
    cds_args=(-XX:+UnlockDiagnosticVMOptions -XX:+AllowArchivingWithJavaAgent)
    if [ -s "$cds_file" ]; then
      cds_args+=(-XX:SharedArchiveFile="$cds_file")
    else
      cds_pending=$cds_file.tmp-$port
      rm -f "$cds_pending"
      cds_args+=(-XX:ArchiveClassesAtExit="$cds_pending")
    fi
  fi

  # setsid: the node outlives the calling shell and its Ctrl-C. The inner shell
  # writes its own pid and then execs java, so the pid file holds java's pid.
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' launcher "$pid_file" \
    "$java" @"$helpers/jvm17.args" \
    -Xms"$heap" -Xmx"$heap" \
    -javaagent:"$jamm" \
    -Dcassandra.config="file://$data/conf/cassandra.yaml" \
    -Dcassandra.storagedir="$data/storage" \
    -Dcassandra.logdir="$log_dir" \
    -Dlogback.configurationFile="$data/conf/logback.xml" \
    -Dcassandra-foreground=yes \
    -Dcassandra.triggers_dir="$data/conf/triggers" \
    -Dcassandra.skip_wait_for_gossip_to_settle=0 \
    -Dcassandra.superuser_setup_delay_ms=0 \
    -Dcassandra.shutdown_announce_in_ms=0 \
    -Djava.io.tmpdir="$data/tmp" -Djna.tmpdir="$data/tmp" \
    "${extra[@]}" "${cds_args[@]}" \
    -cp "$lib/*" org.apache.cassandra.service.CassandraDaemon \
    >"$log_dir/stdout.log" 2>&1 </dev/null 8>&- 9>&- &

  local i
  for i in $(seq 50); do
    [ -s "$pid_file" ] && break
    sleep 0.1
  done
  pid=$(cat "$pid_file" 2>/dev/null || true)
  [ -n "$pid" ] || die "the launcher did not record a pid in $pid_file"
  printf 'pid=%s\nport=%s\nstorage_port=%s\nversion=%s\nlib=%s\ncds_pending=%s\ncds_file=%s\ntls_dir=%s\n' \
    "$pid" "$port" "$storage_port" "$version" "$lib" "$cds_pending" "${cds_file:-}" "$tls_dir" >"$state_file"
  say "starting Cassandra $version, pid $pid, 127.0.0.1:$port (storage $storage_port), data $data"

  local deadline release
  deadline=$(($(date +%s) + start_timeout))
  while :; do
    if ! alive "$pid"; then
      rm -f "$pid_file" ${cds_pending:+"$cds_pending"}
      show_logs
      die "Cassandra exited during startup (see $log_dir/system.log)"
    fi
    if release=$(probe); then
      break
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      show_logs
      say "no CQL answer within ${start_timeout}s; stopping pid $pid"
      terminate "$pid"
      rm -f "$pid_file" ${cds_pending:+"$cds_pending"}
      die "no CQL answer on 127.0.0.1:$port within ${start_timeout}s (SHOAL_CASSANDRA_START_TIMEOUT); log: $log_dir/system.log"
    fi
    sleep 0.5
  done
  say "ready: Cassandra $release on 127.0.0.1:$port, pid $pid, in $(since "$t0") s (jars: $dl_secs s); log: $log_dir/system.log"
  [ -z "$tls_dir" ] || say "TLS (optional) on 127.0.0.1:$port; CA: $tls_dir/ca.pem"
}

cmd_stop() {
  check_port_numbers
  stop_node running_pid keep_cds_archive
}

cmd_status() {
  check_port_numbers
  local pid
  pid=$(running_pid)
  if [ -z "$pid" ]; then
    say "not running (port $port, data $data)"
    return 1
  fi
  local release answer
  if release=$(probe); then answer="answers CQL"; else release=$(state version); answer="NOT answering CQL yet"; fi
  say "running: pid $pid, 127.0.0.1:$(state port) (storage $(state storage_port)), version $release, $answer, data $data, log $log_dir/system.log"
}

cmd_cql() {
  [ $# -ge 1 ] || die 'usage: cassandra.sh cql "STATEMENT" [...]'
  check_port_numbers
  command -v python3 >/dev/null || { echo "cassandra: MISSING PREREQUISITE: python3" >&2; exit 4; }
  if [ -z "$(running_pid)" ]; then
    die "no node of ours is running on port $port (start it with: $0 start)"
  fi
  python3 "$helpers/cql.py" --port "$port" "$@"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  cql) shift; cmd_cql "$@" ;;
  fetch) need_prereqs; fetch_jars; echo "$lib" ;;
  *) usage ;;
esac
