# scripts/cassandra/common.sh: process bookkeeping and the Maven Central download shared by
# scripts/cassandra.sh, scripts/cassandra-ring.sh and scripts/solr.sh (sourced, not run).
# Callers define say and die, and set stop_timeout (seconds before SIGKILL).

now() { echo "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# True while $1 runs. A zombie whose threads have all exited counts as gone (its sockets are
# closed): a node is reparented to pid 1 once the starting shell exits, and pid 1 here reaps
# ~2 s late (measured). The main thread alone being a zombie is not enough: the other threads
# still hold the ports.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local st threads
  st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null || true)
  threads=$(sed -n 's/^Threads:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null || true)
  [ -n "$st" ] || return 1
  [ "$st" != Z ] || [ "${threads:-1}" -gt 1 ]
}

# our_pid PID_FILE MARKER: prints the pid recorded in PID_FILE if that process is alive and
# its command line carries the argument MARKER (the node's own data directory, such as
# -Dcassandra.storagedir=DIR), so a recycled pid is never mistaken for ours; else nothing.
our_pid() {
  [ -f "$1" ] || return 0
  local pid
  pid=$(cat "$1" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  alive "$pid" || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2 " || return 0
  echo "$pid"
}

# port_busy HOST PORT: true when something accepts TCP connections there.
port_busy() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# terminate PID...: SIGCONT (a paused node cannot act on SIGTERM) and SIGTERM to each, which
# runs Cassandra's shutdown hook (stop transports, flush memtables); SIGKILL to those still
# alive after $stop_timeout s; returns once all are gone (dies if one survives SIGKILL).
terminate() {
  local pid deadline left i any
  for pid in "$@"; do
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
  done
  deadline=$(($(date +%s) + stop_timeout))
  while :; do
    left=()
    for pid in "$@"; do alive "$pid" && left+=("$pid"); done
    [ ${#left[@]} -gt 0 ] || return 0
    if [ "$(date +%s)" -ge "$deadline" ]; then
      say "pids ${left[*]} still alive after ${stop_timeout}s, sending SIGKILL"
      kill -KILL "${left[@]}" 2>/dev/null || true
      for i in $(seq 100); do
        sleep 0.1
        any=0
        for pid in "${left[@]}"; do alive "$pid" && any=1; done
        [ $any -eq 1 ] || return 0
      done
      for pid in "${left[@]}"; do alive "$pid" && die "pid $pid survived SIGKILL"; done
      return 0
    fi
    sleep 0.2
  done
}

# stop_node PID_COMMAND [AFTER]: the stop of a node this script started (cassandra.sh,
# solr.sh). Under $data/.lock (waiting long enough for a start or stop of the same node to
# finish), terminate the pid that PID_COMMAND prints, remove $pid_file, run AFTER if given,
# and say how long it took. Uses the caller's data, pid_file, port, start_timeout and
# stop_timeout.
stop_node() {
  [ -d "$data" ] || { say "not running (no $data)"; return 0; }
  exec 9>"$data/.lock"
  flock -w $((start_timeout + stop_timeout + 30)) 9 || die "another start/stop still holds $data/.lock"
  local pid t0
  pid=$("$1")
  if [ -z "$pid" ]; then
    rm -f "$pid_file"
    say "not running (port $port, data $data)"
    return 0
  fi
  t0=$(now)
  terminate "$pid"
  rm -f "$pid_file"
  [ -z "${2:-}" ] || "$2"
  say "stopped pid $pid (port $port) in $(since "$t0") s"
}

# maven_jars NAME VERSION POM LIB TIMEOUT JAVA PROPERTY WHAT JAR...: downloads the runtime
# dependencies POM names (built with -DPROPERTY=VERSION) into LIB, once, with JAVA's JDK: each
# JAR must be among them. A private local repository, deleted afterwards, so LIB is all that is
# kept and ~/.m2 of other projects is left alone. The marker file is written last, so a
# half-done download is never reused; a flock serialises two starts at the same time. When
# Maven Central cannot be reached (and LIB is not complete) it exits 3, which the callers' `with`
# turns into skipped tests. WHAT names the download in messages.
maven_jars() {
  local name=$1 version=$2 pom=$3 lib=$4 timeout_s=$5 java=$6 property=$7 what=$8
  shift 8
  [ -f "$lib/.complete" ] && return 0
  local root
  root=$(dirname "$lib")
  mkdir -p "$root"
  exec 8>"$root/.$name-$version.lock"
  flock -w "$timeout_s" 8 || die "timed out waiting for another download of $what"
  if [ -f "$lib/.complete" ]; then exec 8>&-; return 0; fi

  local t0 work mvn_log rc=0 jar
  t0=$(now)
  work=$(mktemp -d "$root/.$name-$version.XXXXXX")
  mvn_log=$root/$name-$version-download.log
  say "downloading $what and its dependencies from Maven Central (log: $mvn_log)"
  # shellcheck disable=SC2086 # SHOAL_MAVEN_ARGS is a list of words on purpose
  JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$java")")") \
    timeout "$timeout_s" nice -n 10 mvn -B -ntp -f "$pom" \
    -D"$property=$version" \
    -Dmaven.repo.local="$work/m2" \
    -DincludeScope=runtime -DoutputDirectory="$work/lib" \
    ${SHOAL_MAVEN_ARGS:-} \
    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
    >"$mvn_log" 2>&1 || rc=$?
  for jar in "$@"; do [ -f "$work/lib/$jar" ] || { [ "$rc" -ne 0 ] || rc=1; }; done
  if [ "$rc" -ne 0 ]; then
    rm -rf "$work"
    if [ "$rc" -eq 124 ] || grep -qE "Unknown host|UnknownHostException|Connection refused|Connect to .* failed|Network is unreachable|No route to host|timed out|Could not transfer artifact|transfer failed" "$mvn_log"; then
      echo "$name: SKIP: Maven Central cannot be reached, $what is not cached (mvn log: $mvn_log)" >&2
      exit 3
    fi
    tail -n 20 "$mvn_log" >&2
    die "mvn could not resolve $what (rc $rc); full log: $mvn_log"
  fi
  rm -rf "$lib"
  mv "$work/lib" "$lib"
  rm -rf "$work"
  touch "$lib/.complete"
  exec 8>&-
  say "downloaded $(find "$lib" -name '*.jar' | wc -l) jars ($(du -sh "$lib" | cut -f1)) in $(since "$t0") s into $lib"
}
