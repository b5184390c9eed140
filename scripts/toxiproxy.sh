#!/usr/bin/env bash
# Toxiproxy (Shopify's TCP fault proxy, v2) for shoal's network-fault tests
# (tests/cluster_faults_test.cc), built from the Go module proxy with `go install`.
#
#   scripts/toxiproxy.sh install      install the server once (cached; no download when present)
#   scripts/toxiproxy.sh path         print the server binary's path (exit 1 if not installed)
#   scripts/toxiproxy.sh start PORT   start a server on 127.0.0.1:PORT (API and proxies on
#                                     loopback), pid file per port, wait until the API answers
#   scripts/toxiproxy.sh stop PORT    SIGTERM the recorded pid (SIGKILL after 5 s)
#   scripts/toxiproxy.sh with CMD...  install, then run CMD with SHOAL_TOXIPROXY_SERVER (the
#                                     binary) and SHOAL_REQUIRE_TOXIPROXY=1 exported, so a fault
#                                     test that finds no server fails instead of skipping. When
#                                     Go is missing or the module proxy cannot be reached (exit 3
#                                     of install), CMD still runs, the fault tests skip, and this
#                                     says so loudly before and after.
#
# The tests start their own server (the binary, on a free loopback port) and stop it by pid;
# start/stop are for trying the proxies by hand.
#
# Environment (all optional):
#   SHOAL_TOXIPROXY_VERSION   default v2.5.0
#   SHOAL_GO                  the go binary, default `go` on PATH, else /usr/local/go/bin/go
#   GOPROXY                   as go reads it (the default is the public module proxy)
#
# Everything lives under ~/.cache/shoal/toxiproxy: bin/ (the server), go/ (GOPATH, GOMODCACHE
# and GOCACHE of this install only), run/ (pid files and logs of `start`).
#
# Exit codes: 0 ok; 1 failure (message on stderr); 3 Go missing, or the module proxy
# unreachable while the server is not cached yet (callers report the fault tests as skipped).
set -euo pipefail

version=${SHOAL_TOXIPROXY_VERSION:-v2.5.0}
root=${XDG_CACHE_HOME:-$HOME/.cache}/shoal/toxiproxy
bin=$root/bin/toxiproxy-server-$version
run=$root/run
module=github.com/Shopify/toxiproxy/v2/cmd/server

say() { echo "toxiproxy: $*" >&2; }
die() { say "$*"; exit 1; }

banner() {
  echo "################################################################################" >&2
  echo "## $*" >&2
  echo "################################################################################" >&2
}

find_go() {
  if [ -n "${SHOAL_GO:-}" ]; then echo "$SHOAL_GO"; return; fi
  if command -v go >/dev/null 2>&1; then command -v go; return; fi
  if [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go; return; fi
}

install() {
  [ -x "$bin" ] && return 0
  local go
  go=$(find_go)
  if [ -z "$go" ] || ! command -v "$go" >/dev/null 2>&1; then
    say "no Go toolchain (go on PATH, /usr/local/go/bin/go, or SHOAL_GO)"
    return 3
  fi
  mkdir -p "$root/bin" "$root/go"
  local gobin log rc=0
  gobin=$(mktemp -d "$root/bin/.install-XXXXXX")
  log=$root/install.log
  say "installing $module@$version with $go (log: $log)"
  GOBIN=$gobin GOPATH=$root/go GOMODCACHE=$root/go/pkg/mod GOCACHE=$root/go/cache \
    GOFLAGS=-modcacherw GOTOOLCHAIN=local CGO_ENABLED=0 \
    timeout 600 "$go" install "$module@$version" >"$log" 2>&1 || rc=$?
  if [ $rc -ne 0 ] || [ ! -x "$gobin/server" ]; then
    rm -rf "$gobin"
    cat "$log" >&2
    if [ $rc -eq 124 ] || grep -qiE "dial tcp|no such host|connection refused|i/o timeout|network is unreachable|TLS handshake timeout|proxy.golang.org|Get \"https" "$log"; then
      say "the Go module proxy cannot be reached and the server is not cached"
      return 3
    fi
    die "go install failed (exit $rc)"
  fi
  mv "$gobin/server" "$bin"
  rm -rf "$gobin"
  say "installed $bin"
}

pid_file() { echo "$run/toxiproxy-$1.pid"; }

# our_pid PORT: the recorded pid for PORT if it is alive and is our server on that port.
our_pid() {
  local f pid
  f=$(pid_file "$1")
  [ -f "$f" ] || return 0
  pid=$(cat "$f" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "toxiproxy-server-$version -host 127.0.0.1 -port $1 " || return 0
  echo "$pid"
}

check_port() {
  [[ "${1:-}" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ] || die "expected a port, got '${1:-}'"
}

start() {
  check_port "${1:-}"
  local port=$1 pid
  [ -x "$bin" ] || die "not installed: run scripts/toxiproxy.sh install"
  if [ -n "$(our_pid "$port")" ]; then say "already running on 127.0.0.1:$port"; return 0; fi
  mkdir -p "$run"
  LOG_LEVEL=${LOG_LEVEL:-info} "$bin" -host 127.0.0.1 -port "$port" </dev/null >"$run/toxiproxy-$port.log" 2>&1 &
  pid=$!
  echo "$pid" >"$(pid_file "$port")"
  for _ in $(seq 100); do
    if curl -fsS -m 1 "http://127.0.0.1:$port/version" >/dev/null 2>&1; then
      say "running on 127.0.0.1:$port (pid $pid, log $run/toxiproxy-$port.log)"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$run/toxiproxy-$port.log" >&2; die "exited at start"; }
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  die "the API on 127.0.0.1:$port did not answer within 10 s"
}

stop() {
  check_port "${1:-}"
  local pid
  pid=$(our_pid "$1")
  if [ -z "$pid" ]; then say "not running on 127.0.0.1:$1"; rm -f "$(pid_file "$1")"; return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$(pid_file "$1")"
  say "stopped (pid $pid)"
}

with() {
  [ $# -gt 0 ] || die "usage: scripts/toxiproxy.sh with CMD..."
  local rc=0 skipped=0
  install || rc=$?
  case $rc in
    0) export SHOAL_TOXIPROXY_SERVER=$bin SHOAL_REQUIRE_TOXIPROXY=1 ;;
    3) skipped=1
       banner "TOXIPROXY FAULT TESTS SKIPPED: no Go, or the Go module proxy unreachable" ;;
    *) exit "$rc" ;;
  esac
  rc=0
  "$@" || rc=$?
  [ $skipped -eq 0 ] || banner "TOXIPROXY FAULT TESTS SKIPPED: no Go, or the Go module proxy unreachable"
  exit $rc
}

case "${1:-}" in
  install) install ;;
  path) [ -x "$bin" ] || exit 1; echo "$bin" ;;
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  with) shift; with "$@" ;;
  *) echo "usage: scripts/toxiproxy.sh install | path | start PORT | stop PORT | with CMD..." >&2
     exit 2 ;;
esac
