#!/usr/bin/env bash
# Coverage of the fuzz corpora: builds the libFuzzer targets with clang's source-based coverage
# (preset fuzz-coverage: -fprofile-instr-generate -fcoverage-mapping, no sanitizer), runs each
# target once over every input of its corpus in fuzz/corpus/<decoder>/ (-runs=0: no fuzzing),
# and prints llvm-cov's line and region coverage of the decoder files that target exists for.
#
#   scripts/fuzz-coverage.sh                  every target
#   scripts/fuzz-coverage.sh jwt cursor       some (by decoder name, as in fuzz/corpus/)
#   CORPUS=/tmp/grown scripts/fuzz-coverage.sh http_request   another corpus root
#   EDGES=1 scripts/fuzz-coverage.sh          no second build: the fuzz preset's binaries
#                                             (build/fuzz) and libFuzzer's -print_coverage,
#                                             summed into covered/total edges per decoder
#
# Output: one llvm-cov report per target, then a summary table (decoder, corpus files, lines
# and regions covered of its files); the profiles and an HTML report per target stay in
# build/fuzz-coverage/coverage/. Needs clang-14 and llvm-14 (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# The decoder files each target is there for (what the summary reports).
declare -A files=(
  [http_request]="src/http/parser.cc"
  [rpc_frame]="src/rpc/frame.cc src/rpc/auth.cc"
  [peer_message]="src/cluster/messages.cc"
  [members_message]="src/cluster/members_message.cc"
  [config]="$(echo src/cli/config.cc src/cli/config_[a-z]*.cc | tr ' ' '\n' | grep -v _test.cc | tr '\n' ' ')"
  [cql_frame]="src/store/cassandra/cql_frame.cc src/store/cassandra/cql_response.cc
               src/store/cassandra/cql_result.cc src/store/cassandra/cql_types.cc
               src/store/cassandra/cql_error.cc src/store/cassandra/cql_compression.cc"
  [cursor]="src/api/cursor.cc src/base/base64.cc"
  [jwt]="src/api/jwt.cc src/api/jwks.cc"
  [purge_request]="src/api/purge_request.cc src/api/router.cc src/api/key_params.cc
                   src/api/percent_encoding.cc"
)
all=(http_request rpc_frame peer_message members_message config cql_frame cursor jwt purge_request)
decoders=("$@")
[ ${#decoders[@]} -gt 0 ] || decoders=("${all[@]}")
for d in "${decoders[@]}"; do
  [ -n "${files[$d]:-}" ] || { echo "fuzz-coverage: unknown target '$d' (one of: ${all[*]})" >&2; exit 2; }
done
corpus_root=${CORPUS:-fuzz/corpus}

if [ "${EDGES:-0}" = 1 ]; then
  printf '%-16s %8s %16s\n' decoder files edges
  for d in "${decoders[@]}"; do
    corpus=$corpus_root/$d
    # COVERED_FUNC / UNCOVERED_FUNC lines: "edges: covered/total <function> <file>:<line>".
    build/fuzz/fuzz/${d}_fuzz -runs=0 -print_coverage=1 "$corpus" 2>&1 |
      awk -v files="${files[$d]}" -v d="$d" -v n="$(find "$corpus" -type f | wc -l)" '
        BEGIN { split(files, f, /[ \n]+/); for (i in f) if (f[i] != "") want[f[i]] = 1 }
        /^(UN)?COVERED_FUNC:/ {
          split($5, e, "/"); loc = $NF; sub(/:[0-9]+$/, "", loc)
          for (w in want) if (substr(loc, length(loc) - length(w) + 1) == w) { c += e[1]; t += e[2] }
        }
        END { printf "%-16s %8d %16s\n", d, n, sprintf("%d/%d %.1f%%", c, t, t ? 100 * c / t : 0) }'
  done
  exit 0
fi

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache} CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-true}
build=build/fuzz-coverage
cmake --preset fuzz-coverage >/dev/null
targets=()
for d in "${decoders[@]}"; do targets+=("${d}_fuzz"); done
cmake --build "$build" -j2 --target "${targets[@]}"

out=$build/coverage
mkdir -p "$out"
summary=()
for d in "${decoders[@]}"; do
  bin=$build/fuzz/${d}_fuzz
  corpus=$corpus_root/$d
  rm -f "$out/$d".*.profraw
  # One profile per process (%p); libFuzzer runs each corpus file once and exits.
  LLVM_PROFILE_FILE="$out/$d.%p.profraw" "$bin" -runs=0 -timeout=10 "$corpus" \
    >"$out/$d.log" 2>&1 || { echo "fuzz-coverage: $d failed over $corpus (see $out/$d.log)" >&2; exit 1; }
  llvm-profdata-14 merge -sparse "$out/$d".*.profraw -o "$out/$d.profdata"
  echo "== ${d}_fuzz over $corpus ($(find "$corpus" -type f | wc -l) files)"
  # shellcheck disable=SC2086
  llvm-cov-14 report "$bin" -instr-profile="$out/$d.profdata" ${files[$d]} | tee "$out/$d.txt"
  # shellcheck disable=SC2086
  llvm-cov-14 show "$bin" -instr-profile="$out/$d.profdata" -format=html \
    -output-dir="$out/$d-html" ${files[$d]} >/dev/null
  total=$(grep '^TOTAL' "$out/$d.txt" || tail -1 "$out/$d.txt")
  # TOTAL line: regions, missed, cover%, functions, missed, executed%, lines, missed, cover%, ...
  read -r _ _ _ region_pct _ _ _ _ _ line_pct _ <<<"$total"
  summary+=("$(printf '%-16s %8s %10s %10s' "$d" "$(find "$corpus" -type f | wc -l)" "$line_pct" "$region_pct")")
done

echo
printf '%-16s %8s %10s %10s\n' decoder files lines regions
printf '%s\n' "${summary[@]}"
