#!/usr/bin/env bash
# Checks the include graph of STYLE.md: each folder of src/ may include only the folders listed
# for it. An entry is a folder, matched exactly against the folder of the included file (so
# "store" allows "store/store.h" but not "store/sqlite/..." nor "store/sqlite_x.h"), or a file
# path, allowing that one file. Test files (*_test.cc, test_*) may also include what their tests
# need.
set -euo pipefail
cd "$(dirname "$0")/../src"

declare -A allowed=(
  [base]="base"
  [metrics]="metrics base"
  [store]="store base metrics"
  [store/sqlite]="store/sqlite store base metrics"
  [store/cassandra]="store/cassandra store base metrics"
  [cache]="cache base metrics"
  [http]="http base metrics"
  [rpc]="rpc base metrics"
  [cluster]="cluster cache rpc base metrics"
  [api]="api http/handler.h cache store/store.h base metrics"
  [solr]="solr base metrics"
  [ingest]="ingest store store/sqlite store/cassandra solr base metrics"
  [loadgen]="loadgen base"
  [cli]="cli api http cluster rpc cache store store/sqlite store/cassandra ingest solr loadgen
         metrics base"
)

status=0
for dir in "${!allowed[@]}"; do
  for f in "$dir"/*.h "$dir"/*.cc; do
    [ -e "$f" ] || continue
    case "$f" in *_test.cc | */test_* | *_bench.cc) continue ;; esac
    while IFS= read -r inc; do
      ok=0
      folder=$(dirname "$inc")
      for a in ${allowed[$dir]}; do
        if [ "$folder" = "$a" ] || [ "$inc" = "$a" ]; then ok=1; fi
      done
      if [ $ok -eq 0 ]; then
        echo "check-layers: src/$f includes \"$inc\", which $dir may not use"
        status=1
      fi
    done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
  done
done
[ $status -eq 0 ] && echo "check-layers: ok"
exit $status
