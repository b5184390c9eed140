#!/usr/bin/env python3
"""Checks a node started by scripts/solr.sh end to end, with the standard library only:

   scripts/solr.sh with scripts/solr/smoke.py

1. indexes 1000 sample documents (sample_docs.py) with commit=true, counts them;
2. reads /replication indexversion and filelist for that generation;
3. downloads every listed file with command=filecontent&wt=filestream&checksum=true,
   undoing the framing (per packet: 4-byte big-endian size, 8-byte big-endian
   Adler-32 of the packet, the bytes; a size of 0 ends the stream) and checking
   each file's size and its Lucene footer checksum against the filelist;
4. creates a second core whose dataDir is the copy and checks it opens with the
   same number of documents, then unloads it;
5. pages the whole core with cursorMark (sort on the uniqueKey) and checks every
   id comes back exactly once.
Prints one line per step and "smoke: N passed, 0 failed"; exits 1 on the first failure.
"""
import base64
import json
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import zlib

URL = os.environ["SHOAL_SOLR_URL"]
CORE = os.environ["SHOAL_SOLR_CORE"]
DATA = pathlib.Path(os.environ["SHOAL_SOLR_DATA"])
HERE = pathlib.Path(__file__).resolve().parent
AUTH = None
if os.environ.get("SHOAL_SOLR_USER"):
    pair = f"{os.environ['SHOAL_SOLR_USER']}:{os.environ.get('SHOAL_SOLR_PASSWORD', '')}"
    AUTH = "Basic " + base64.b64encode(pair.encode()).decode()
passed = 0


def http(path, params=None, body=None, ctype=None):
    url = f"{URL}/{path}"
    if params:
        url += "?" + urllib.parse.urlencode(params)
    req = urllib.request.Request(url, data=body)
    if ctype:
        req.add_header("Content-Type", ctype)
    if AUTH:
        req.add_header("Authorization", AUTH)
    with urllib.request.urlopen(req, timeout=60) as resp:
        return resp.read()


def solr_json(path, **params):
    params.setdefault("wt", "json")
    answer = json.loads(http(path, params))
    # The replication handler reports some errors as HTTP 200 with status ERROR.
    if answer.get("status") == "ERROR":
        raise RuntimeError(f"{path}: {answer}")
    return answer


def ok(msg):
    global passed
    passed += 1
    print(f"smoke: ok: {msg}", flush=True)


def unframe(stream, checksum):
    """Payload of a wt=filestream answer; raises if the end marker is missing."""
    pos, out = 0, bytearray()
    while True:
        if pos + 4 > len(stream):
            raise RuntimeError(f"stream ended after {pos} bytes without the size-0 end marker")
        (size,) = struct.unpack_from(">i", stream, pos)
        pos += 4
        if size == 0:
            return bytes(out)
        want = None
        if checksum:
            (want,) = struct.unpack_from(">q", stream, pos)
            pos += 8
        chunk = stream[pos:pos + size]
        if len(chunk) != size:
            raise RuntimeError("stream ended inside a packet")
        if want is not None and zlib.adler32(chunk) != want:
            raise RuntimeError("Adler-32 mismatch")
        out += chunk
        pos += size


def main():
    docs = subprocess.run([sys.executable, str(HERE / "sample_docs.py"), "1000"],
                          check=True, capture_output=True).stdout
    http(f"{CORE}/update", {"commit": "true", "wt": "json"}, docs, "application/json")
    found = solr_json(f"{CORE}/select", q="*:*", rows=0)["response"]["numFound"]
    assert found >= 1000, found
    ok(f"indexed 1000 documents, numFound {found}")

    iv = solr_json(f"{CORE}/replication", command="indexversion")
    gen = iv["generation"]
    files = solr_json(f"{CORE}/replication", command="filelist", generation=gen)["filelist"]
    assert files and files[-1]["name"] == f"segments_{gen}", files[-1]
    ok(f"indexversion {iv['indexversion']} generation {gen}, filelist {len(files)} files")

    copy = DATA / "smoke-copy"
    shutil.rmtree(copy, ignore_errors=True)
    (copy / "data" / "index").mkdir(parents=True)
    total = 0
    for f in files:
        stream = http(f"{CORE}/replication", {"command": "filecontent", "wt": "filestream",
                                              "checksum": "true", "generation": gen,
                                              "file": f["name"]})
        body = unframe(stream, checksum=True)
        assert len(body) == f["size"], (f, len(body))
        # Lucene files end with a 16-byte footer whose last 8 bytes are the CRC-32
        # that filelist reports as "checksum".
        assert struct.unpack(">Q", body[-8:])[0] == f["checksum"], f
        (copy / "data" / "index" / f["name"]).write_bytes(body)
        total += len(body)
    ok(f"downloaded {len(files)} files, {total} bytes, sizes and footer checksums match")

    name = "smoke_copy"
    solr_json("admin/cores", action="CREATE", name=name, instanceDir=name,
              configSet="catalog", dataDir=str(copy / "data"))
    try:
        n = solr_json(f"{name}/select", q="*:*", rows=0)["response"]["numFound"]
        assert n == found, (n, found)
        ok(f"core {name} on the copy opens with {n} documents")
    finally:
        solr_json("admin/cores", action="UNLOAD", core=name, deleteInstanceDir="true")
        shutil.rmtree(copy, ignore_errors=True)

    cursor, seen, pages = "*", [], 0
    while True:
        page = solr_json(f"{CORE}/select", q="*:*", rows=300, sort="id asc", fl="id",
                         cursorMark=cursor)
        pages += 1
        seen += [d["id"] for d in page["response"]["docs"]]
        if page["nextCursorMark"] == cursor:
            break
        cursor = page["nextCursorMark"]
    assert len(seen) == found and len(set(seen)) == found and seen == sorted(seen)
    ok(f"cursorMark walk: {found} ids in {pages} requests, each once, in order")


try:
    main()
except (AssertionError, RuntimeError, urllib.error.URLError, KeyError) as e:
    print(f"smoke: FAILED: {type(e).__name__}: {e}", file=sys.stderr)
    print(f"smoke: {passed} passed, 1 failed")
    sys.exit(1)
print(f"smoke: {passed} passed, 0 failed")
