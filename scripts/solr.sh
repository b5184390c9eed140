#!/usr/bin/env bash
# Runs a real standalone Apache Solr 9.10 node for shoal's tests, from the jars on
# Maven Central (no tarball, no Docker, no bin/solr): Jetty on 127.0.0.1 only, one
# core made from the test's own configset (scripts/solr/configsets/catalog).
#
#   scripts/solr.sh start          fetch jars (once), start, wait until the core answers
#   scripts/solr.sh stop           SIGTERM the recorded pid, SIGKILL after a timeout
#   scripts/solr.sh status         running or not, pid, url (exit 1 if not running)
#   scripts/solr.sh with CMD ...   start (or reuse a running node), run CMD with
#                                  SHOAL_SOLR_URL, _CORE, _PORT, _DATA, _HOME exported
#                                  and SHOAL_REQUIRE_SOLR=1, stop what it started
#   scripts/solr.sh fetch          only download the jars and build the launcher (once)
#
# scripts/solr.sh with scripts/solr/smoke.py checks a node end to end (index, replication
# filelist + filestream download, a core opened on the copy, cursorMark paging).
#
# Environment (all optional):
#   SHOAL_SOLR_PORT           HTTP port on 127.0.0.1, default 8983
#   SHOAL_SOLR_DATA           node dir (home/, logs/, tmp/, pid), default
#                             ~/.cache/solr/data-<port>; kept between starts
#   SHOAL_SOLR_FRESH          1: delete the node dir before starting (a clean index)
#   SHOAL_SOLR_CORE           core name, default catalog
#   SHOAL_SOLR_CONFIGSET      configset under scripts/solr/configsets, default catalog
#   SHOAL_SOLR_VERSION        default 9.10.1 (10.x needs Java 21 and its POM does not
#                             resolve with Maven 3.8)
#   SHOAL_SOLR_HEAP           -Xmx, default 512m
#   SHOAL_SOLR_ALLOW_PATHS    where cores may keep data outside the solr home
#                             (solr.allowPaths), default the node dir
#   SHOAL_SOLR_AUTH           1: Basic authentication on every request (security.json
#                             in the solr home), user SHOAL_SOLR_USER / SHOAL_SOLR_PASSWORD,
#                             default shoal / shoal-test. Default 0: open
#   SHOAL_SOLR_START_TIMEOUT  seconds, default 120
#   SHOAL_SOLR_STOP_TIMEOUT   seconds before SIGKILL, default 30
#   SHOAL_JAVA17              java binary, default /usr/lib/jvm/java-17-openjdk-amd64/bin/java
#                             (javac is taken from the same directory)
#   SHOAL_MAVEN_ARGS          extra mvn arguments (e.g. "-s mirror-settings.xml")
#   SHOAL_SOLR_MVN_TIMEOUT    seconds for the one-time download, default 900
#
# Exit codes: 0 ok; 1 failure (message + log path on stderr); 3 Maven Central
# unreachable while the jars are not cached yet (callers report Solr tests as
# skipped); 4 a prerequisite is missing (JDK 17 with javac, mvn, curl, flock).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
helpers=$here/solr
cache_root=${XDG_CACHE_HOME:-$HOME/.cache}/solr

version=${SHOAL_SOLR_VERSION:-9.10.1}
port=${SHOAL_SOLR_PORT:-8983}
data=${SHOAL_SOLR_DATA:-$cache_root/data-$port}
core=${SHOAL_SOLR_CORE:-catalog}
configset=${SHOAL_SOLR_CONFIGSET:-catalog}
heap=${SHOAL_SOLR_HEAP:-512m}
allow_paths=${SHOAL_SOLR_ALLOW_PATHS:-$data}
auth=${SHOAL_SOLR_AUTH:-0}
user=${SHOAL_SOLR_USER:-shoal}
password=${SHOAL_SOLR_PASSWORD:-shoal-test}
start_timeout=${SHOAL_SOLR_START_TIMEOUT:-120}
stop_timeout=${SHOAL_SOLR_STOP_TIMEOUT:-30}
java=${SHOAL_JAVA17:-/usr/lib/jvm/java-17-openjdk-amd64/bin/java}
javac=$(dirname "$java")/javac
# 141 jars (84 MB) in about 10 s on the link measured; 15 minutes means the
# network is effectively gone.
mvn_timeout=${SHOAL_SOLR_MVN_TIMEOUT:-900}

lib=$cache_root/$version/lib
home=$data/home
pid_file=$data/solr.pid
state_file=$data/instance.env
log_dir=$data/logs
base_url=http://127.0.0.1:$port/solr

say() { echo "solr: $*"; }
die() { echo "solr: ERROR: $*" >&2; exit 1; }
# The process helpers Cassandra's scripts use.
# shellcheck source=cassandra/common.sh
. "$here/cassandra/common.sh" # now, since, alive, our_pid, port_busy, terminate, stop_node

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 1
}

need_prereqs() {
  local missing=()
  [ -x "$java" ] || missing+=("JDK 17 at $java (apt-get install openjdk-17-jdk-headless, or set SHOAL_JAVA17)")
  [ -x "$javac" ] || missing+=("javac next to $java (the launcher is compiled once; apt-get install openjdk-17-jdk-headless)")
  command -v curl >/dev/null || missing+=("curl")
  command -v flock >/dev/null || missing+=("flock (util-linux)")
  if [ ! -f "$lib/.complete" ]; then
    command -v mvn >/dev/null || missing+=("mvn (apt-get install maven)")
  fi
  if [ "$auth" = 1 ]; then
    command -v python3 >/dev/null || missing+=("python3 (hashes the password for security.json)")
  fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "solr: MISSING PREREQUISITE: ${missing[*]}" >&2
    exit 4
  fi
  local v
  v=$("$java" -XX:-UsePerfData -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
  # Solr 9 runs on Java 11 and newer; the launcher is compiled for the JDK found.
  [ "${v:-0}" -ge 11 ] 2>/dev/null ||
    { echo "solr: MISSING PREREQUISITE: $java is Java '$v', Solr 9 needs 11 or newer" >&2; exit 4; }
}

check_port_number() {
  [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1024 ] && [ "$port" -le 65535 ] ||
    die "port '$port' is not in 1024..65535 (SHOAL_SOLR_PORT)"
  [[ "$core" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] || die "core name '$core' is not a plain name"
}

# --- jars and launcher -----------------------------------------------------

# Downloads solr-core and solr-test-framework (for JettySolrRunner) and their runtime
# dependencies into $lib, once (maven_jars, in scripts/cassandra/common.sh).
fetch_jars() {
  maven_jars solr "$version" "$helpers/pom.xml" "$lib" "$mvn_timeout" "$java" solr.version \
    "org.apache.solr:solr-core:$version with solr-test-framework" \
    "solr-core-$version.jar" "solr-test-framework-$version.jar"
}

# Compiles scripts/solr/ShoalSolr.java against $lib into a directory named
# after the source's hash, so an edited launcher is rebuilt and an unchanged
# one is not (javac takes ~2 s). Prints the directory.
build_launcher() {
  local src=$helpers/ShoalSolr.java sum classes tmp
  sum=$(sha256sum "$src" | cut -c1-16)
  classes=$cache_root/$version/launcher-$sum
  if [ ! -f "$classes/ShoalSolr.class" ]; then
    tmp=$(mktemp -d "$cache_root/$version/.launcher.XXXXXX")
    nice -n 10 "$javac" -nowarn -encoding UTF-8 -cp "$lib/*" -d "$tmp" "$src" >&2 ||
      { rm -rf "$tmp"; die "javac failed on $src"; }
    rm -rf "$classes"
    mv "$tmp" "$classes"
  fi
  echo "$classes"
}

# --- process bookkeeping ----------------------------------------------------

# The pid of the node started for this $data (its command line carries
# -Dshoal.solr.data=$data), or nothing.
solr_pid() { our_pid "$pid_file" "-Dshoal.solr.data=$data"; }

state() { # key -> value recorded by the last start, or empty
  [ -f "$state_file" ] && sed -n "s/^$1=//p" "$state_file" | head -n1 || true
}

show_logs() {
  echo "solr: logs: $log_dir/solr.log and $log_dir/stdout.log; last lines:" >&2
  tail -n 25 "$log_dir/stdout.log" >&2 2>/dev/null || true
  grep -E "ERROR|Exception|Caused by" "$log_dir/solr.log" 2>/dev/null | tail -n 15 >&2 || true
}

curl_auth=()
set_curl_auth() {
  curl_auth=()
  [ "$(state auth)" = 1 ] && curl_auth=(-u "$(state user):$(state password)")
  return 0
}

# True when the core answers CoreAdmin STATUS as loaded (an unknown or still
# loading core comes back as an empty "catalog":{} entry, without instanceDir).
probe() {
  curl -sf --max-time 5 "${curl_auth[@]}" \
    "$base_url/admin/cores?action=STATUS&core=$core&indexInfo=false&wt=json" 2>/dev/null |
    grep -q '"instanceDir"'
}

# Writes $home/security.json: BasicAuthPlugin for every path, one admin user.
# Solr stores base64(sha256(sha256(salt + password))) and base64(salt).
write_security_json() {
  python3 - "$home/security.json" "$user" "$password" <<'PY'
import base64, hashlib, json, os, sys
path, user, password = sys.argv[1:4]
salt = os.urandom(32)
digest = hashlib.sha256(hashlib.sha256(salt + password.encode()).digest()).digest()
cred = base64.b64encode(digest).decode() + " " + base64.b64encode(salt).decode()
doc = {
    "authentication": {"class": "solr.BasicAuthPlugin", "blockUnknown": True,
                       "credentials": {user: cred}},
    "authorization": {"class": "solr.RuleBasedAuthorizationPlugin",
                      "user-role": {user: "admin"},
                      "permissions": [{"name": "all", "role": "admin"}]},
}
with open(path, "w") as f:
    json.dump(doc, f, indent=2)
PY
}

# --- commands ---------------------------------------------------------------

cmd_start() {
  local t0 pid
  t0=$(now)
  check_port_number
  [ -d "$helpers/configsets/$configset/conf" ] || die "no configset $helpers/configsets/$configset/conf"
  mkdir -p "$data"
  exec 9>"$data/.lock"
  flock -w $((start_timeout + stop_timeout + 30)) 9 || die "another start/stop still holds $data/.lock"

  pid=$(solr_pid)
  if [ -n "$pid" ]; then
    [ "$(state port)" = "$port" ] || die "$data is in use by the node on port $(state port) (pid $pid)"
    say "already running: pid $pid, $base_url, core $(state core), data $data"
    return 0
  fi
  if [ "${SHOAL_SOLR_FRESH:-0}" = 1 ]; then
    # Only what this script creates: a stray path in SHOAL_SOLR_DATA is not wiped.
    rm -rf "${data:?}/home" "${data:?}/logs" "${data:?}/tmp" "$state_file"
  fi
  rm -f "$pid_file"
  need_prereqs
  port_busy 127.0.0.1 "$port" && die "127.0.0.1:$port is already in use by another process (pick another SHOAL_SOLR_PORT)"

  local t_dl dl_secs classes
  t_dl=$(now)
  fetch_jars
  classes=$(build_launcher)
  dl_secs=$(since "$t_dl")

  # The solr home is ours: solr.xml and the configsets are laid anew at each
  # start (an edited configset takes effect at the next start); core
  # directories (core.properties + data/) are kept.
  mkdir -p "$home" "$log_dir" "$data/tmp"
  cp "$helpers/solr.xml" "$home/solr.xml"
  rm -rf "$home/configsets"
  cp -r "$helpers/configsets" "$home/configsets"
  rm -f "$home/security.json"
  [ "$auth" = 1 ] && write_security_json
  [ -f "$log_dir/solr.log" ] && mv -f "$log_dir/solr.log" "$log_dir/solr.log.1"
  rm -rf "${data:?}/tmp/"*

  # setsid: the node outlives the calling shell and its Ctrl-C. The inner shell
  # writes its own pid and then execs java, so the pid file holds java's pid.
  # SerialGC: one GC thread is plenty for a 512 MB test heap on 2 cores.
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' launcher "$pid_file" \
    "$java" -Xms64m -Xmx"$heap" -XX:+UseSerialGC -XX:-UsePerfData \
    -Dshoal.solr.data="$data" \
    -Dsolr.log.dir="$log_dir" \
    -Dlog4j2.configurationFile="$helpers/log4j2.xml" \
    -Dsolr.allowPaths="$allow_paths" \
    -Djava.io.tmpdir="$data/tmp" \
    -Dfile.encoding=UTF-8 \
    -cp "$classes:$lib/*" ShoalSolr "$port" "$home" "$core" "$configset" \
    >"$log_dir/stdout.log" 2>&1 </dev/null 8>&- 9>&- &

  local i
  for i in $(seq 50); do
    [ -s "$pid_file" ] && break
    sleep 0.1
  done
  pid=$(cat "$pid_file" 2>/dev/null || true)
  [ -n "$pid" ] || die "the launcher did not record a pid in $pid_file"
  printf 'pid=%s\nport=%s\ncore=%s\nversion=%s\nurl=%s\nhome=%s\nauth=%s\nuser=%s\npassword=%s\n' \
    "$pid" "$port" "$core" "$version" "$base_url" "$home" "$auth" "$user" "$password" >"$state_file"
  set_curl_auth
  say "starting Solr $version, pid $pid, $base_url, core $core, data $data"

  local deadline
  deadline=$(($(date +%s) + start_timeout))
  while :; do
    if ! alive "$pid"; then
      rm -f "$pid_file"
      show_logs
      die "Solr exited during startup (see $log_dir/stdout.log and $log_dir/solr.log)"
    fi
    if probe; then
      break
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      show_logs
      say "core $core not answering within ${start_timeout}s; stopping pid $pid"
      terminate "$pid"
      rm -f "$pid_file"
      die "core $core did not answer on $base_url within ${start_timeout}s (SHOAL_SOLR_START_TIMEOUT); log: $log_dir/solr.log"
    fi
    sleep 0.25
  done
  say "ready: Solr $version at $base_url, core $core, pid $pid, in $(since "$t0") s (jars + launcher: $dl_secs s); log: $log_dir/solr.log"
  [ "$auth" = 1 ] && say "Basic auth on: user $user, password $password"
  return 0
}

cmd_stop() {
  check_port_number
  # SIGTERM runs the launcher's shutdown hook: Jetty stops, cores close.
  stop_node solr_pid
}

cmd_status() {
  check_port_number
  local pid answer
  pid=$(solr_pid)
  if [ -z "$pid" ]; then
    say "not running (port $port, data $data)"
    return 1
  fi
  set_curl_auth
  if probe; then answer="core $core answers"; else answer="core $core NOT answering"; fi
  say "running: pid $pid, $(state url), Solr $(state version), $answer, data $data, log $log_dir/solr.log"
}

banner() {
  echo "################################################################################" >&2
  echo "## $*" >&2
  echo "################################################################################" >&2
}

# Like scripts/with-cassandra.sh: a node already running for this data dir is
# used and left running; one started here is stopped when CMD ends, whatever
# its outcome. Without Maven Central and without cached jars (exit 3) CMD still
# runs, without SHOAL_REQUIRE_SOLR, so the Solr tests skip, loudly.
cmd_with() {
  [ $# -ge 1 ] || die "usage: solr.sh with CMD [ARG...]"
  local started=0 skipped=0 rc=0
  if [ -n "$(solr_pid)" ]; then
    echo "solr: with: using the Solr already running on $base_url" >&2
  else
    "${BASH_SOURCE[0]}" start || rc=$?
    case $rc in
      0) started=1 ;;
      3) skipped=1
         banner "SOLR TESTS SKIPPED: Maven Central unreachable and no cached jars" ;;
      *) echo "solr: with: scripts/solr.sh start failed (exit $rc)" >&2
         exit "$rc" ;;
    esac
  fi
  # shellcheck disable=SC2064 # expand now: the same script and environment stop it
  [ $started -eq 1 ] && trap "'${BASH_SOURCE[0]}' stop || true" EXIT
  if [ $skipped -eq 0 ]; then  # no URL when skipped: the tests then skip
    export SHOAL_SOLR_URL=$base_url SHOAL_SOLR_CORE=$core SHOAL_SOLR_PORT=$port \
      SHOAL_SOLR_DATA=$data SHOAL_SOLR_HOME=$home
    export SHOAL_REQUIRE_SOLR=1
    if [ "$(state auth)" = 1 ]; then
      export SHOAL_SOLR_USER SHOAL_SOLR_PASSWORD
      SHOAL_SOLR_USER=$(state user) SHOAL_SOLR_PASSWORD=$(state password)
    fi
  fi
  rc=0
  "$@" || rc=$?
  [ $skipped -eq 0 ] || banner "SOLR TESTS SKIPPED: Maven Central unreachable and no cached jars"
  return $rc
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  with) shift; cmd_with "$@" ;;
  fetch) need_prereqs; fetch_jars; build_launcher >/dev/null; echo "$lib" ;;
  *) usage ;;
esac
