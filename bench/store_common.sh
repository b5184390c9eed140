# bench/store_common.sh: what the store benchmarks share (bench/cassandra.sh, bench/ring.sh,
# bench/solr_load.sh). Source it after setting ROOT, from $ROOT.

# shoal_binary sets BIN to SHOAL_BIN, or to the release build of shoal (built when needed).
shoal_binary() {
  if [[ -z ${SHOAL_BIN:-} ]]; then
    cmake --preset release >/dev/null
    cmake --build --preset release --target shoal >/dev/null
    SHOAL_BIN=$ROOT/build/release/src/cli/shoal
  fi
  BIN=$SHOAL_BIN
}

# catalog_cql KS prints examples/catalog/schema.cql with its keyspace renamed KS, comments
# dropped, one statement after another, each ended by a NUL (for `read -d ''`).
catalog_cql() {
  python3 - "$1" <<'PY'
import sys
text = open("examples/catalog/schema.cql").read().replace("shoal_catalog", sys.argv[1])
text = "\n".join(line.split("--")[0] for line in text.splitlines())
for s in text.split(";"):
    if s.strip():
        print(s.strip(), end="\0")
PY
}
