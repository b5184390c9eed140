#!/usr/bin/env bash
# `make demo-cassandra`: the demo catalog served from a real Cassandra.
#
#   1. starts Cassandra (scripts/cassandra.sh; reuses one already running on 9042),
#   2. writes the demo catalog to data/catalog.db (shoal demo --generate-only) unless it exists,
#   3. creates the keyspace and tables of examples/catalog/schema.cql,
#   4. exports the catalog to data/items.jsonl and data/reviews.jsonl and loads them with
#      `shoal load` (upserts: running the demo again is safe),
#   5. serves examples/catalog/shoal-cassandra.yaml on 127.0.0.1:8080 until Ctrl-C.
#
# Cassandra keeps running afterwards (scripts/cassandra.sh stop ends it).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
shoal=${SHOAL:-$root/build/release/src/cli/shoal}
target=cassandra:127.0.0.1:${SHOAL_CASSANDRA_PORT:-9042}/shoal_catalog

scripts/cassandra.sh start
"$shoal" demo --generate-only
python3 - <<'PY' | while IFS= read -r -d '' statement; do scripts/cassandra.sh cql "$statement" >/dev/null; done
import re
text = open("examples/catalog/schema.cql").read()
text = "\n".join(line.split("--")[0] for line in text.splitlines())
for statement in text.split(";"):
    if statement.strip():
        print(statement.strip(), end="\0")
PY
echo "demo-cassandra: schema of examples/catalog/schema.cql applied"
python3 - <<'PY'
import json, sqlite3
db = sqlite3.connect("data/catalog.db")
db.row_factory = sqlite3.Row
for table in ("items", "reviews"):
    with open(f"data/{table}.jsonl", "w", encoding="utf-8") as out:
        for row in db.execute(f"SELECT * FROM {table}"):
            out.write(json.dumps(dict(row), ensure_ascii=False) + "\n")
PY
"$shoal" load --to "$target" --table items --from data/items.jsonl
"$shoal" load --to "$target" --table items_by_category \
  --columns category,id,title,price_cents --from data/items.jsonl
"$shoal" load --to "$target" --table reviews --from data/reviews.jsonl
exec "$shoal" serve -c examples/catalog/shoal-cassandra.yaml
