#!/usr/bin/env bash
# examples/cluster/run.sh: a shoal cluster on loopback, over the demo catalog.
#
#   examples/cluster/run.sh start [--two-tier]   3 data nodes (http 8081-8083, peers 7071-7073);
#                                                 with --two-tier also 2 front nodes (8091, 8092)
#                                                 that own nothing and forward every miss
#   examples/cluster/run.sh status               which nodes run, and each node's view of the
#                                                 cluster (list version, members, their state)
#   examples/cluster/run.sh grow                 start node 4 (http 8084, peer 7074) with only a
#                                                 seed: it learns the list and joins it
#   examples/cluster/run.sh shrink               PUT the list without node 4 on node 1 (it
#                                                 spreads to every node), then stop node 4
#   examples/cluster/run.sh stop                 SIGTERM to each node by its pid, then wait
#
# Builds the release binary when missing (or uses $SHOAL_BIN), writes data/catalog.db with
# `shoal demo --generate-only` when missing, and keeps pids and logs in data/cluster/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
run="$top/data/cluster"
bin=${SHOAL_BIN:-$top/build/release/src/cli/shoal}
# The configs read the peer secret and the admin token from the environment (secret_env,
# token_env), so that the files hold no secret; these are the example's values.
export SHOAL_CLUSTER_SECRET=${SHOAL_CLUSTER_SECRET:-example-secret-change-me-0123456789}
export SHOAL_ADMIN_TOKEN=${SHOAL_ADMIN_TOKEN:-example-admin-token-change-me}
token=$SHOAL_ADMIN_TOKEN

build() {
  if [ ! -x "$bin" ]; then
    (cd "$top" && cmake --preset release >/dev/null && cmake --build --preset release --target shoal)
  fi
  if [ ! -f "$top/data/catalog.db" ]; then
    (cd "$top" && "$bin" demo --dir data --generate-only)
  fi
}

start_node() {
  local name=$1 port=$2
  local pidfile="$run/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "$name already runs (pid $(cat "$pidfile"))"
    return
  fi
  "$bin" serve -c "$here/$name.yaml" >"$run/$name.log" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/_shoal/health" >/dev/null 2>&1; then
      echo "$name: http://127.0.0.1:$port (pid $(cat "$pidfile"), log $run/$name.log)"
      return
    fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "$name failed to start:" >&2
      cat "$run/$name.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "$name did not answer on port $port within 10 s; see $run/$name.log" >&2
  exit 1
}

case "${1:-}" in
  start)
    build
    mkdir -p "$run"
    start_node node1 8081
    start_node node2 8082
    start_node node3 8083
    if [ "${2:-}" = "--two-tier" ]; then
      start_node front1 8091
      start_node front2 8092
    fi
    ;;
  grow)
    build
    mkdir -p "$run"
    start_node node4 8084
    echo "node4 asked to join; the list as node 1 sees it:"
    sleep 1
    curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:8081/_shoal/cluster"
    echo
    ;;
  shrink)
    curl -fsS -H "Authorization: Bearer $token" -X PUT \
      -d '{"peers": ["127.0.0.1:7071", "127.0.0.1:7072", "127.0.0.1:7073"]}' \
      "http://127.0.0.1:8081/_shoal/peers"
    echo
    sleep 1
    if [ -f "$run/node4.pid" ] && kill -0 "$(cat "$run/node4.pid")" 2>/dev/null; then
      pid=$(cat "$run/node4.pid")
      kill -TERM "$pid"
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
      rm -f "$run/node4.pid"
      echo "node4 left the list and stopped"
    fi
    ;;
  status)
    for pidfile in "$run"/*.pid; do
      [ -e "$pidfile" ] || { echo "no node started"; exit 0; }
      name=$(basename "$pidfile" .pid)
      if kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        port=$(sed -n 's/^listen: 127.0.0.1:\([0-9]*\).*/\1/p' "$here/$name.yaml")
        echo "$name: running, pid $(cat "$pidfile"), http $port"
        curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/_shoal/cluster" || true
        echo
      else
        echo "$name: not running"
      fi
    done
    ;;
  stop)
    pids=()
    for pidfile in "$run"/*.pid; do
      [ -e "$pidfile" ] || continue
      pid=$(cat "$pidfile")
      if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" && pids+=("$pid"); fi
      rm -f "$pidfile"
    done
    for pid in "${pids[@]}"; do
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    done
    echo "stopped ${#pids[@]} nodes"
    ;;
  *)
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
