#!/usr/bin/env bash
# bench/profile_hit.sh: where a warm hit's CPU goes, shoal against nginx's fixed reply, in one
# run (issue 18, items 1 and 3).
#
#   bench/profile_hit.sh            10 s per measurement, 2 rounds (about 6 minutes + build)
#   bench/profile_hit.sh quick      4 s, 1 round, no call-graph profile
#
# Two servers on loopback, both warm, each measured with wrk -t1 over the catalog mix at 50
# and at 1,000 connections, alternately, round after round:
#   shoal        the release build (preset release, or SHOAL_BIN), one event loop, the
#                compare configuration (bench/lib.sh write_config, 24 h lifetimes), filled
#                with the mix's distinct paths and warmed for 5 s
#   nginx-fixed  nginx, 1 worker, one fixed ~600-byte JSON (bench/lib.sh start_nginx, as
#                bench/compare.sh runs it): wrk's ceiling on this box
# Each measurement is two wrk runs back to back:
#   clean  nothing attached: req/s, latency (p50 / p99 / max) and the server's CPU per
#          request (utime+stime of all its processes / requests)
#   counted  the same load under `perf stat -p` (software events and syscall tracepoints:
#          task-clock, context switches, every syscall, and recvfrom / sendmsg / writev /
#          epoll_wait / epoll_ctl / accept4 / io_uring_enter apart), per request. cycles and
#          instructions are asked for too; a VM without hardware counters reports them "not
#          supported" (n/a).
# plus, from the kernel's counters (nstat, machine-wide), listen-queue overflows and drops,
# retransmission timeouts and SYN retransmits during the clean run: a maximum latency of
# about 200 ms or more is a retransmission timeout (the minimum RTO is 200 ms).
# Then (full mode) `perf record -e cpu-clock -g` of shoal, then of nginx, each over a -c1000
# run: top symbols by self time, and by object.
#
# Results: bench/out/profile-hit/ (results.jsonl, summary.txt, perf-NAME-*.txt).
# Needs perf (Debian linux-perf), nginx (nginx-light) and wrk: scripts/install-deps.sh --bench
# and `apt-get install nginx-light`. Not root: perf needs
# `sysctl kernel.perf_event_paranoid=-1` (and tracefs readable) for -p and tracepoints.
#
# Environment: SHOAL_BIN, SHOAL_BENCH_BUILD_DIR, SHOAL_BENCH_OUT, SHOAL_WORKLOAD (bench/lib.sh);
# SHOAL_PROFILE_ROUNDS (2), SHOAL_PROFILE_SECONDS (10), SHOAL_PROFILE_NGINX_PORT (18183),
# SHOAL_PROFILE_SYSTEMS ("shoal nginx-fixed"), SHOAL_PROFILE_CONNS ("50 1000");
# SHOAL_PROFILE_BIN_B=PATH adds a second shoal binary as system "shoal-b" (same configuration,
# measured in turn with the others): a before/after comparison within one run.
set -euo pipefail

MODE=${1:-full}
case "$MODE" in
  full) SECS=${SHOAL_PROFILE_SECONDS:-10} ROUNDS=${SHOAL_PROFILE_ROUNDS:-2} ;;
  quick) SECS=4 ROUNDS=1 ;;
  *)
    echo "usage: bench/profile_hit.sh [quick]" >&2
    exit 2
    ;;
esac

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HTTP_THREADS=1 # one event loop against one nginx worker (see bench/compare.sh)
SCRIPT=bench/profile_hit.sh
# shellcheck source=bench/lib.sh
source "$HERE/lib.sh"
RUN=$OUT/profile-hit
NGINX_PORT=${SHOAL_PROFILE_NGINX_PORT:-18183}
SYSTEMS=${SHOAL_PROFILE_SYSTEMS:-shoal nginx-fixed}
BIN_B=${SHOAL_PROFILE_BIN_B:-}
[[ -n $BIN_B ]] && SYSTEMS="shoal shoal-b ${SYSTEMS/shoal /}"
CONNS=${SHOAL_PROFILE_CONNS:-50 1000}
EXTRA_PIDS=()

trap stop_all EXIT
trap 'exit 130' INT TERM

# tree_pids PID...: the processes and all their descendants, comma-separated (perf -p).
tree_pids() {
  local p kids out=""
  for p in "$@"; do
    [[ -d /proc/$p ]] || continue
    out+="$p,"
    kids=$(cat /proc/"$p"/task/*/children 2>/dev/null | tr '\n' ' ')
    # shellcheck disable=SC2086
    [[ -n ${kids// /} ]] && out+="$(tree_pids $kids),"
  done
  out=${out//,,/,}
  echo "${out%,}"
}

# The kernel's TCP counters that explain long tails (machine-wide: other work counts too).
NSTAT_KEYS=(TcpExtListenOverflows TcpExtListenDrops TcpExtTCPTimeouts TcpExtTCPSynRetrans
  TcpRetransSegs)
nstat_snapshot() { nstat -asz "${NSTAT_KEYS[@]}" 2>/dev/null | awk 'NF >= 2 && $1 !~ /^#/ { printf "%s=%s ", $1, $2 }'; }

EVENTS=task-clock,context-switches,cpu-migrations,cycles,instructions,raw_syscalls:sys_enter
for s in recvfrom read sendmsg sendto writev write epoll_wait epoll_pwait epoll_ctl accept4 io_uring_enter; do
  EVENTS+=",syscalls:sys_enter_$s"
done

wrk_run() { # wrk_run OUT PORT CONNS SECONDS
  timeout $(($4 + 60)) wrk -t1 -c"$3" -d"$4s" --latency -s "$WORKLOAD/wrk.lua" \
    "http://127.0.0.1:$2" -- "$OUT/paths.txt" >"$1" 2>&1 || die "wrk failed: $(tail -5 "$1")"
}

# measure LABEL PORT CONNS PIDS...: a clean run, then a counted one; one JSON line.
measure() {
  local label=$1 port=$2 conns=$3
  shift 3
  local base=$RUN/${label//\//-} t0 t1 n0 n1
  log "$label: wrk -t1 -c$conns -d${SECS}s, clean, then under perf stat"
  n0=$(nstat_snapshot)
  t0=$(tree_ticks "$@")
  wrk_run "$base.wrk" "$port" "$conns" "$SECS"
  t1=$(tree_ticks "$@")
  n1=$(nstat_snapshot)
  # Counting from before wrk connects until after it has its last answer (SIGINT ends perf
  # stat): the window holds every request of the counted run and nothing else.
  timeout -s INT $((SECS + 60)) perf stat -x, -e "$EVENTS" -p "$(tree_pids "$@")" \
    -o "$base.perfstat" 2>"$base.perfstat.log" &
  local perf_pid=$!
  sleep 0.5
  wrk_run "$base.counted.wrk" "$port" "$conns" "$SECS"
  kill -INT "$perf_pid" 2>/dev/null || true
  wait "$perf_pid" || true
  [[ -s $base.perfstat ]] || echo "$SCRIPT: perf stat failed: $(tail -3 "$base.perfstat.log")" >&2
  python3 - "$label" "$conns" "$((t1 - t0))" "$CLK_TCK" "$base" "$n0" "$n1" <<'PY' |
import json, sys
label, conns, ticks, clk, base, n0, n1 = sys.argv[1:8]
def wrk(path):
    for line in open(path, errors="replace"):
        if line.startswith("WRK_RESULT "):
            return json.loads(line[len("WRK_RESULT "):])
    sys.exit(f"no WRK_RESULT in {path}")
def kv(s):
    return {k: int(v) for k, _, v in (x.partition("=") for x in s.split())}
clean, counted = wrk(base + ".wrk"), wrk(base + ".counted.wrk")
n = max(clean["requests"], 1)
errors = sum(clean[k] for k in ("connect", "read", "write", "timeout"))
rec = {"label": label, "connections": int(conns), "rps": clean["rps"],
       "p50_us": clean["p50_us"], "p99_us": clean["p99_us"], "max_us": clean["max_us"],
       "errors": errors, "cpu_us_per_req": int(ticks) * 1e6 / int(clk) / n}
a, b = kv(n0), kv(n1)
rec.update({k: b.get(k, 0) - a.get(k, 0) for k in b})
# perf stat -x, lines: value,unit,event,run-time,percent,...
m = max(counted["requests"], 1)
rec["counted_rps"] = counted["rps"]
try:
    for line in open(base + ".perfstat"):
        f = line.strip().split(",")
        if len(f) < 3 or line.startswith("#"):
            continue
        event = f[2].replace("syscalls:sys_enter_", "").replace("raw_syscalls:sys_enter", "syscalls")
        try:
            rec[f"{event}_per_req"] = float(f[0]) / m
        except ValueError:
            rec[f"{event}_per_req"] = None  # <not supported> / <not counted>
except FileNotFoundError:
    pass
if rec.get("task-clock_per_req") is not None:
    rec["task-clock_per_req"] *= 1000.0  # msec -> µs per request
print(json.dumps(rec))
PY
    tee -a "$RUN/results.jsonl" >&2
}

# profile_record NAME PORT CONNS PIDS...: perf record (cpu-clock, call graphs) of a server's
# processes over a run; perf-NAME-{top,dso,children}.txt.
profile_record() {
  local name=$1 port=$2 conns=$3
  shift 3
  local data=$RUN/perf-$name.data
  log "perf record -e cpu-clock -g of $name over wrk -c$conns (${SECS}s)"
  timeout $((SECS + 60)) perf record -e cpu-clock -F 999 --call-graph dwarf,8192 \
    -p "$(tree_pids "$@")" -o "$data" -- sleep "$SECS" 2>"$RUN/perf-$name-record.log" &
  local perf_pid=$!
  wrk_run "$RUN/perf-$name.wrk" "$port" "$conns" "$SECS"
  wait "$perf_pid" || true
  timeout 600 perf report -i "$data" --no-children --sort dso,symbol --stdio -g none \
    2>/dev/null | grep '%' | grep -v '^#' | head -80 | cut -c1-160 >"$RUN/perf-$name-top.txt" || true
  timeout 600 perf report -i "$data" --no-children --sort dso --stdio -g none 2>/dev/null |
    grep '%' | grep -v '^#' | head -15 >"$RUN/perf-$name-dso.txt" || true
  timeout 600 perf report -i "$data" --children --sort symbol --stdio -g none 2>/dev/null |
    grep '%' | grep -v '^#' | head -80 | cut -c1-160 >"$RUN/perf-$name-children.txt" || true
}

summary() {
  python3 - "$RUN/results.jsonl" <<'PY'
import json, statistics, sys
runs = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    runs.setdefault(r["label"].split("/")[0], []).append(r)
def med(name, key):
    v = [r[key] for r in runs[name] if r.get(key) is not None]
    return statistics.median(v) if v else None
def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)
cols = [("rps", "req/s", ",.0f"), ("cpu_us_per_req", "CPU µs", ".2f"),
        ("task-clock_per_req", "task µs", ".2f"), ("p50_us", "p50 µs", ".0f"),
        ("p99_us", "p99 µs", ".0f"), ("max_us", "max µs", ".0f"),
        ("syscalls_per_req", "sysc", ".2f"), ("recvfrom_per_req", "recv", ".2f"),
        ("sendmsg_per_req", "sendmsg", ".2f"), ("writev_per_req", "writev", ".2f"),
        ("epoll_wait_per_req", "ep_wait", ".3f"), ("epoll_ctl_per_req", "ep_ctl", ".3f"),
        ("accept4_per_req", "accept", ".4f"), ("io_uring_enter_per_req", "uring", ".3f"),
        ("context-switches_per_req", "cs", ".3f"),
        ("cycles_per_req", "cycles", ",.0f"), ("instructions_per_req", "instr", ",.0f"),
        ("errors", "errors", ".0f"), ("TcpExtListenOverflows", "lovf", ".0f"),
        ("TcpExtTCPTimeouts", "rto", ".0f")]
print("medians of", max(len(v) for v in runs.values()), "rounds;",
      "CPU = utime+stime per request (clean run); the rest per request under perf stat")
print(f"{'system':<18}" + "".join(f"{h:>10}" for _, h, _ in cols))
for name in runs:
    print(f"{name:<18}" + "".join(f"{fmt(med(name, k), s):>10}" for k, _, s in cols))
print()
for mine, other in (("shoal", "nginx-fixed"), ("shoal-b", "nginx-fixed"), ("shoal-b", "shoal")):
    for conns in ("c50", "c1000"):
        me, o = f"{mine}-{conns}", f"{other}-{conns}"
        if me not in runs or o not in runs:
            continue
        parts = []
        for key, name in (("rps", "req/s"), ("cpu_us_per_req", "CPU/req"), ("p99_us", "p99"),
                          ("max_us", "max"), ("syscalls_per_req", "syscalls/req")):
            a, b = med(me, key), med(o, key)
            if a is not None and b:
                parts.append(f"{name} {a / b:.2f}x")
        print(f"{mine} / {other} at {conns}: " + ", ".join(parts))
PY
}

main() {
  ensure_tools
  command -v perf >/dev/null || die "perf is missing (Debian linux-perf: scripts/install-deps.sh --bench)"
  command -v nginx >/dev/null || die "nginx is missing (apt-get install nginx-light)"
  command -v nstat >/dev/null || die "nstat is missing (Debian iproute2)"
  build
  make_data
  mkdir -p "$RUN"
  : >"$RUN/results.jsonl"
  port_free "$NGINX_PORT" || die "port $NGINX_PORT is taken (SHOAL_PROFILE_NGINX_PORT)"
  write_config "$RUN/shoal.yaml" 24h 24h 24h
  start_server "$RUN/shoal.yaml" "$RUN/shoal.log"
  log "shoal $URL (pid $PID)"
  start_nginx nginx-fixed "$NGINX_PORT" "location / {
      default_type application/json;
      return 200 '$(fixed_body)';
    }"
  wait_port "$NGINX_PORT" nginx-fixed "$RUN/nginx-fixed/error.log"
  local shoal_port=${URL##*:} b_port="" b_pid="" b_url
  if [[ -n $BIN_B ]]; then
    "$BIN_B" serve -c "$RUN/shoal.yaml" >"$RUN/shoal-b.log" 2>&1 &
    b_pid=$!
    EXTRA_PIDS+=("$b_pid")
    for _ in $(seq 300); do
      b_url=$(grep -o 'on http://127\.0\.0\.1:[0-9]*' "$RUN/shoal-b.log" | head -1 | sed 's/^on //' || true)
      [[ -n $b_url ]] && break
      sleep 0.1
    done
    [[ -n $b_url ]] || die "shoal-b ($BIN_B) did not start (see $RUN/shoal-b.log)"
    b_port=${b_url##*:}
    log "shoal-b $b_url (pid $b_pid, $BIN_B)"
  fi
  local port
  for port in $shoal_port $b_port; do
    log "shoal on $port: one pass over the distinct paths, then 5 s of warm-up"
    timeout 960 wrk -t1 -c32 -d900s -s "$HERE/once.lua" "http://127.0.0.1:$port" -- \
      "$OUT/distinct.txt" >"$RUN/shoal-fill-$port.wrk" 2>&1 || die "filling shoal failed"
    wrk_run "$RUN/shoal-warm-$port.wrk" "$port" 50 5
  done
  wrk_run "$RUN/nginx-warm.wrk" "$NGINX_PORT" 50 2
  local round name conns
  for ((round = 1; round <= ROUNDS; round++)); do
    for name in $SYSTEMS; do
      for conns in $CONNS; do
        case "$name" in
          shoal) measure "shoal-c$conns/$round" "$shoal_port" "$conns" "$PID" ;;
          shoal-b) measure "shoal-b-c$conns/$round" "$b_port" "$conns" "$b_pid" ;;
          nginx-fixed) measure "nginx-fixed-c$conns/$round" "$NGINX_PORT" "$conns" "$nginx_fixed_PID" ;;
          *) die "unknown system $name" ;;
        esac
      done
    done
  done
  if [[ $MODE == full ]]; then
    profile_record shoal "$shoal_port" 1000 "$PID"
    profile_record nginx-fixed "$NGINX_PORT" 1000 "$nginx_fixed_PID"
  fi
  {
    echo "profile_hit, $MODE, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(git -C "$ROOT" rev-parse --short HEAD)," \
      "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
    summary
  } | tee "$RUN/summary.txt"
  local name
  for name in shoal nginx-fixed; do
    [[ -s $RUN/perf-$name-dso.txt ]] || continue
    echo "$name at -c1000, by object ($RUN/perf-$name-dso.txt):"
    head -6 "$RUN/perf-$name-dso.txt"
    echo "top symbols, self time ($RUN/perf-$name-top.txt):"
    head -25 "$RUN/perf-$name-top.txt"
  done | tee -a "$RUN/summary.txt"
}

main "$@"
