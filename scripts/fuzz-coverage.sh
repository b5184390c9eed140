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
# Output: per target, the line and region coverage of each of its decoder files, then a summary
# table (decoder, corpus files, lines and regions covered of those files together); the
# profiles, llvm-cov's JSON summary and an HTML report (every file) per target stay in
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
  [cql_frame]="src/store/cassandra/cql_frame.cc src/store/cassandra/cql_wire.cc
               src/store/cassandra/cql_response.cc src/store/cassandra/cql_result.cc
               src/store/cassandra/cql_column_type.cc src/store/cassandra/cql_cell_json.cc
               src/store/cassandra/cql_error.cc src/store/cassandra/cql_compression.cc"
  [cursor]="src/api/cursor.cc src/base/base64.cc"
  [jwt]="src/api/jwt.cc src/api/jwks.cc"
  [purge_request]="src/api/purge_request.cc src/api/router.cc src/api/param_check.cc
                   src/api/percent_encoding.cc"
  [solr_filestream]="src/solr/filestream.cc src/solr/replication.cc"
)
all=(http_request rpc_frame peer_message members_message config cql_frame cursor jwt purge_request
  solr_filestream)
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
cmake --build "$build" -j2 --target "${targets[@]}" >/dev/null

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
  # The binary's paths are build/fuzz-coverage/../../src/...: pick the decoder files by suffix.
  llvm-cov-14 export -summary-only "$bin" -instr-profile="$out/$d.profdata" >"$out/$d.json"
  # shellcheck disable=SC2086  # the file list splits on purpose
  line=$(python3 - "$out/$d.json" ${files[$d]} <<'PY'
import json, os, sys
data = json.load(open(sys.argv[1]))["data"][0]["files"]
want = sys.argv[2:]
tot = {"lines": [0, 0], "regions": [0, 0]}
print(f"{'file':<40} {'lines':>16} {'regions':>16}", file=sys.stderr)
for f in data:
    name = os.path.normpath(f["filename"])
    hit = [w for w in want if name.endswith("/" + w)]
    if not hit:
        continue
    cells = []
    for k in ("lines", "regions"):
        c, n = f["summary"][k]["covered"], f["summary"][k]["count"]
        tot[k][0] += c
        tot[k][1] += n
        cells.append(f"{c}/{n} {100 * c / n if n else 0:5.1f}%")
    print(f"{hit[0]:<40} {cells[0]:>16} {cells[1]:>16}", file=sys.stderr)
pct = lambda k: f"{100 * tot[k][0] / tot[k][1] if tot[k][1] else 0:.1f}%"
print(f"{tot['lines'][0]}/{tot['lines'][1]} {pct('lines')} {pct('regions')}")
PY
  )
  llvm-cov-14 show "$bin" -instr-profile="$out/$d.profdata" -format=html \
    -output-dir="$out/$d-html" >/dev/null
  read -r lines line_pct region_pct <<<"$line"
  summary+=("$(printf '%-16s %8s %18s %10s' "$d" "$(find "$corpus" -type f | wc -l)" "$lines $line_pct" "$region_pct")")
done

echo
printf '%-16s %8s %18s %10s\n' decoder files lines regions
printf '%s\n' "${summary[@]}"
