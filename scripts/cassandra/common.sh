# scripts/cassandra/common.sh: process bookkeeping shared by scripts/cassandra.sh and
# scripts/cassandra-ring.sh (sourced, not run). Callers define say and die, and set
# stop_timeout (seconds before SIGKILL).

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

# our_pid PID_FILE STORAGE_DIR: prints the pid recorded in PID_FILE if that process is alive
# and is the node started with -Dcassandra.storagedir=STORAGE_DIR (so a recycled pid is never
# mistaken for ours), else nothing.
our_pid() {
  [ -f "$1" ] || return 0
  local pid
  pid=$(cat "$1" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  alive "$pid" || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-Dcassandra.storagedir=$2 " || return 0
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
