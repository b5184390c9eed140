#!/usr/bin/env bash
# A fuzz campaign: runs one libFuzzer target (fuzz preset: ASan + UBSan) for RUNS executions
# (or MAX_TIME seconds, whichever comes first) on one core under `nice -n 19`, starting from its corpus in the repo
# (fuzz/corpus/<decoder>/), then adds to that corpus the fewest new inputs that keep every
# feature the run found (-merge=1); commit what it added.
#
#   scripts/fuzz-campaign.sh http_request              10 million executions
#   RUNS=1000000 scripts/fuzz-campaign.sh cursor       fewer
#   MAX_TIME=3600 scripts/fuzz-campaign.sh jwt         at most an hour
#   NO_BUILD=1 scripts/fuzz-campaign.sh jwt            build/fuzz as it is (a build runs beside)
#   KEEP=0 scripts/fuzz-campaign.sh config             leave fuzz/corpus/ as it was
#   RSS_LIMIT_MB=6144 scripts/fuzz-campaign.sh config  libFuzzer's RSS limit (default 2048):
#     config_fuzz grows about 250 MB per million runs (ASan's store of allocation stacks,
#     which yaml-cpp's recursion keeps making new), so 10 million need more than the default
#
# A crash, leak or timeout stops the run: the input is left in build/fuzz/campaign/<decoder>/
# (crash-*, leak-*, timeout-*) and the script fails; reproduce it with
#   build/fuzz/fuzz/<decoder>_fuzz <that file>
# fix the code, and add the file to fuzz/corpus/<decoder>/ as a regression input.
# The last line is a summary: decoder, executions, wall seconds, exec/s, CPU seconds and exec
# per CPU second (on a shared box the wall rate is the box's, the CPU rate the target's),
# corpus files before and after, coverage (libFuzzer's cov: edges, ft: features), crashes.
set -euo pipefail
cd "$(dirname "$0")/.."

decoder=${1:?usage: scripts/fuzz-campaign.sh <decoder> (a directory of fuzz/corpus/)}
runs=${RUNS:-10000000}
corpus=fuzz/corpus/$decoder
[ -d "$corpus" ] || { echo "fuzz-campaign: no corpus $corpus" >&2; exit 2; }

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache} CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
if [ "${NO_BUILD:-0}" != 1 ]; then
  cmake --preset fuzz >/dev/null
  cmake --build build/fuzz -j2 --target "${decoder}_fuzz" >/dev/null
fi
bin=build/fuzz/fuzz/${decoder}_fuzz

work=build/fuzz/campaign/$decoder
rm -rf "$work"
mkdir -p "$work/new"
limit=(-runs="$runs")
[ -n "${MAX_TIME:-}" ] && limit+=(-max_total_time="$MAX_TIME")
before=$(find "$corpus" -type f | wc -l)
# CPU seconds of this shell's finished children (bash `times`, second line), so that exec/s
# per CPU second can be told apart from a busy box's share of a core.
# (`times` must run in this shell, not in a $(...) subshell.)
children_cpu() {
  times >"$work/times"
  cpu_now=$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/)
                           print u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$work/times")
}
children_cpu
cpu0=$cpu_now
start=$(date +%s.%N)
status=0
ASAN_OPTIONS=detect_leaks=1 nice -n 19 "$bin" "${limit[@]}" -timeout=5 -rss_limit_mb="${RSS_LIMIT_MB:-2048}" \
  -print_final_stats=1 -artifact_prefix="$work/" "$work/new" "$corpus" >"$work/run.log" 2>&1 ||
  status=$?
end=$(date +%s.%N)
children_cpu
cpu1=$cpu_now
crashes=$(find "$work" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
  -o -name 'oom-*' \) | wc -l)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/run.log" | tail -1)
last=$(grep -E '^#[0-9]+' "$work/run.log" | tail -1 || true)
cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' <<<"$last")
ft=$(sed -n 's/.* ft: \([0-9]*\) .*/\1/p' <<<"$last")
if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ]; then
  tail -40 "$work/run.log" >&2
  echo "fuzz-campaign: $decoder stopped (exit $status); inputs in $work/" >&2
  exit 1
fi

# Minimise: -merge=1 adds to a copy of the stored corpus only the new inputs that reach a
# feature it does not (the smallest such input), so the stored seeds stay as they are.
cp -r "$corpus" "$work/merged"
nice -n 19 "$bin" -merge=1 -timeout=5 -rss_limit_mb="${RSS_LIMIT_MB:-2048}" "$work/merged" "$work/new" \
  >"$work/merge.log" 2>&1
after=$(find "$work/merged" -type f | wc -l)
if [ "${KEEP:-1}" = 1 ]; then
  cp -n "$work/merged"/* "$corpus"/
fi
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }')
rate=$(awk -v n="${execs:-0}" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
cpu=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.1f", b - a }')
cpu_rate=$(awk -v n="${execs:-0}" -v s="$cpu" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
echo "decoder=$decoder execs=${execs:-?} seconds=$secs exec_per_s=$rate cpu_seconds=$cpu" \
  "exec_per_cpu_s=$cpu_rate corpus_before=$before corpus_after=$after cov=${cov:-?}" \
  "ft=${ft:-?} crashes=$crashes"
