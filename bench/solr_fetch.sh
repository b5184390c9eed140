#!/usr/bin/env bash
# bench/solr_fetch.sh: how fast `shoal solr-fetch` copies a Solr index over loopback, against
# plain curl fetching the same files one after another (issue 19, "Speed, measured").
#
#   bench/solr_fetch.sh                  an index of about 300 MB, 3 rounds
#   SHOAL_SOLR_BENCH_MB=600 SHOAL_SOLR_BENCH_ROUNDS=5 bench/solr_fetch.sh
#
# A Solr of its own (scripts/solr.sh on port 8990, data in ~/.cache/solr/data-8990, fresh each
# run) gets documents with large text fields (random words, so the stored fields do not shrink
# much) in 20 MB batches until its index reaches SHOAL_SOLR_BENCH_MB, committed once. Then, each
# round, in turn:
#   curl: every file of the filelist with `command=filecontent&wt=filestream`, one curl after
#         another (the framing adds 4 bytes a MiB), to /dev/null;
#   shoal --parallel 1 and --parallel 4: solr-fetch into a fresh directory on the same disk
#         as the Solr index (the copy is written, synced by the kernel when it likes, and
#         verified: each file's CRC-32 read back).
# Prints MB/s for each and the medians. SHOAL_BIN: the shoal to measure (default: the release
# build, built if missing). The Solr is stopped by its pid at the end.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
mb=${SHOAL_SOLR_BENCH_MB:-300}
rounds=${SHOAL_SOLR_BENCH_ROUNDS:-3}
port=8990
export SHOAL_SOLR_PORT=$port SHOAL_SOLR_FRESH=1 SHOAL_SOLR_HEAP=1g
url=http://127.0.0.1:$port/solr
core=catalog
out=$root/bench/out/solr-fetch
mkdir -p "$out"

bin=${SHOAL_BIN:-$root/build/release/src/cli/shoal}
if [ ! -x "$bin" ]; then
  (cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release --target shoal)
fi

"$root/scripts/solr.sh" start
trap '"$root/scripts/solr.sh" stop || true; rm -rf "$out/copy"' EXIT

echo "== indexing about $mb MB"
python3 - "$url/$core/update" "$mb" <<'PY'
import json, random, sys, urllib.request
url, target = sys.argv[1], int(sys.argv[2]) << 20
rng = random.Random(7)
words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 10)))
         for _ in range(50000)]
sent, doc = 0, 0
while sent < target:
    batch = []
    size = 0
    while size < (20 << 20):
        body = " ".join(rng.choice(words) for _ in range(rng.randint(2000, 6000)))
        batch.append({"id": "doc-%08d" % doc, "title": "doc %d" % doc, "body": body,
                      "tags": ["t%d" % (doc % 7)], "published": "2026-01-01T00:00:00Z"})
        size += len(body)
        doc += 1
    data = json.dumps(batch).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=600).read()
    sent += size
    print("  %d MB sent, %d docs" % (sent >> 20, doc), flush=True)
urllib.request.urlopen(url + "?commit=true", data=b"[]", timeout=600).read()
PY
generation=$(curl -sf "$url/$core/replication?command=indexversion&wt=json" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["generation"])')
curl -sf "$url/$core/replication?command=filelist&generation=$generation&wt=json" >"$out/filelist.json"
total=$(python3 -c 'import json,sys; print(sum(f["size"] for f in json.load(open(sys.argv[1]))["filelist"]))' "$out/filelist.json")
files=$(python3 -c 'import json,sys; print(" ".join(f["name"] for f in json.load(open(sys.argv[1]))["filelist"]))' "$out/filelist.json")
echo "== generation $generation: $(echo "$files" | wc -w) files, $((total >> 20)) MB"

rate() { python3 -c "print('%.1f' % ($total / 1048576 / $1))"; }
now() { date +%s.%N; }
results=$out/results.txt
: >"$results"
for r in $(seq 1 "$rounds"); do
  t0=$(now)
  for f in $files; do
    curl -sf -o /dev/null "$url/$core/replication?command=filecontent&file=$f&generation=$generation&wt=filestream"
  done
  t=$(python3 -c "print($(now) - $t0)")
  echo "round $r curl sequential: $(rate "$t") MB/s" | tee -a "$results"
  for p in 1 4; do
    rm -rf "$out/copy"
    sync
    t0=$(now)
    "$bin" solr-fetch "$url" --core "$core" --out "$out/copy" --parallel "$p" >/dev/null 2>&1
    t=$(python3 -c "print($(now) - $t0)")
    echo "round $r shoal --parallel $p: $(rate "$t") MB/s" | tee -a "$results"
  done
done
echo "== medians (MB/s)"
for what in "curl sequential" "shoal --parallel 1" "shoal --parallel 4"; do
  grep "$what:" "$results" | awk '{print $(NF-1)}' | sort -n |
    awk -v w="$what" '{a[NR]=$1} END {print "  " w ": " a[int((NR+1)/2)]}'
done
