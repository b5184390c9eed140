#!/usr/bin/env python3
"""bench_tool.py: the Python half of bench/run.sh (path lists, a latency client, the report).

run.sh does the orchestration (build, start and stop shoal, wrk); this file does what is
awkward in bash:

  fill-paths    --workload DIR --items N --out FILE   every key the memory check loads
  unique-paths  IN OUT                                distinct lines of IN, first-seen order
  first-requests --url URL --paths FILE --count N     latency of N first-time requests
  record        --label L --wrk-out FILE [key=value ...]  one result line (JSON) on stdout
  summary       RESULTS.jsonl                         the summary table
  jsonl         DB DIR TABLE...                       each TABLE of SQLite DB as DIR/TABLE.jsonl
                                                      (for `shoal load` into Cassandra)

Single-threaded, standard library only.
"""

import argparse
import http.client
import json
import random
import statistics
import sys
import time
import urllib.parse


def fill_paths(args):
    """Items 1..N, their reviews at two limits, every category at four limits."""
    sys.path.insert(0, args.workload)
    from gen_catalog import CATEGORIES  # the workload's own list, not a copy of it

    with open(args.out, "w", encoding="ascii") as f:
        for i in range(1, args.items + 1):
            f.write(f"/v1/items/{i}\n")
        for i in range(1, args.items + 1):
            f.write(f"/v1/items/{i}/reviews\n")
            f.write(f"/v1/items/{i}/reviews?limit=5\n")
        for name in CATEGORIES:
            for limit in ("", "?limit=10", "?limit=50", "?limit=100"):
                f.write(f"/v1/categories/{name}/items{limit}\n")


def unique_paths(args):
    seen = set()
    with open(args.src, encoding="ascii") as src, open(args.dst, "w", encoding="ascii") as dst:
        for line in src:
            if line.strip() and line not in seen:
                seen.add(line)
                dst.write(line)


def canonical(path):
    """The cache key shoal derives from a mix path: the default limit made explicit."""
    if "?" in path:
        return path
    if path.endswith("/reviews"):
        return path + "?limit=10"
    if path.startswith("/v1/categories/"):
        return path + "?limit=20"
    return path


def percentile(sorted_values, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return 0.0
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


def timed_pass(conn, paths):
    """Requests each path in turn on one keep-alive connection; latencies in µs, statuses."""
    lat, statuses = [], {}
    for p in paths:
        t0 = time.perf_counter_ns()
        conn.request("GET", p)
        resp = conn.getresponse()
        resp.read()
        lat.append((time.perf_counter_ns() - t0) / 1000.0)
        statuses[resp.status] = statuses.get(resp.status, 0) + 1
    return sorted(lat), statuses


def first_requests(args):
    """N distinct keys drawn from the mix, requested once each (misses), then again (hits)."""
    with open(args.paths, encoding="ascii") as f:
        by_key = {}
        for line in f:
            p = line.strip()
            if p:
                by_key.setdefault(canonical(p), p)
    keys = sorted(by_key)
    random.Random(args.seed).shuffle(keys)
    paths = [by_key[k] for k in keys[: args.count]]
    u = urllib.parse.urlsplit(args.url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    # One request off the list first, so that the connection set-up is not in the first figure.
    conn.request("GET", "/_shoal/health")
    conn.getresponse().read()
    cold, cold_status = timed_pass(conn, paths)
    warm, warm_status = timed_pass(conn, paths)
    conn.close()

    def stats(lat):
        return {
            "p50_us": percentile(lat, 50), "p90_us": percentile(lat, 90),
            "p99_us": percentile(lat, 99), "max_us": lat[-1] if lat else 0.0,
            "mean_us": sum(lat) / len(lat) if lat else 0.0,
        }

    print(json.dumps({
        "label": "cold-distinct", "count": len(paths),
        "first": stats(cold), "first_status": cold_status,
        "again": stats(warm), "again_status": warm_status,
    }))


def record(args):
    """Merges wrk's WRK_RESULT (or ONCE_RESULT) line with the server-side deltas."""
    result = None
    with open(args.wrk_out, encoding="utf-8", errors="replace") as f:
        for line in f:
            for tag in ("WRK_RESULT ", "ONCE_RESULT "):
                if line.startswith(tag):
                    result = json.loads(line[len(tag):])
    if result is None:
        sys.exit(f"bench_tool: no WRK_RESULT line in {args.wrk_out}")
    rec = {"label": args.label}
    rec.update(result)
    for kv in args.extra:
        k, _, v = kv.partition("=")
        try:
            rec[k] = float(v) if "." in v else int(v)
        except ValueError:
            rec[k] = v
    n = max(rec.get("requests", 0), 1)
    socket_errors = sum(rec.get(k, 0) for k in ("connect", "read", "write", "timeout"))
    d5xx = rec.get("d5xx", 0)
    rec["socket_errors"] = socket_errors
    rec["errors"] = socket_errors + d5xx
    if rec.get("complete") is False and "fill_paths" in rec:
        rec["errors"] += max(rec["fill_paths"] - rec["requests"], 0)  # never answered
    # non2xx3xx counts the mix's 404s (and any 5xx): the 404 share is what remains.
    rec["not_found_share"] = max(rec.get("non2xx3xx", 0) - d5xx, 0) / n
    if "cpu_ticks" in rec and "clk_tck" in rec:
        rec["cpu_us_per_req"] = rec["cpu_ticks"] * 1e6 / rec["clk_tck"] / n
    if "dhits" in rec and "dreq" in rec and rec["dreq"] > 0:
        rec["hit_share"] = rec["dhits"] / rec["dreq"]
    print(json.dumps(rec))


def ms(us):
    return f"{us / 1000:.2f}"


def row(label, r):
    hit = f"{100 * r['hit_share']:.1f}" if "hit_share" in r else "-"
    cpu = f"{r['cpu_us_per_req']:.1f}" if "cpu_us_per_req" in r else "-"
    errors = f"{r['errors']:g}"
    return (f"{label:<20}{r['rps']:>10.0f}{ms(r['p50_us']):>9}{ms(r['p99_us']):>9}"
            f"{ms(r['max_us']):>9}{errors:>8}{100 * r['not_found_share']:>7.2f}{hit:>7}{cpu:>12}")


def summary(args):
    recs = []
    with open(args.results, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                recs.append(json.loads(line))
    print()
    print("shoal benchmark summary (" + args.title + ")")
    head = (f"{'run':<20}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
            f"{'errors':>8}{'404 %':>7}{'hit %':>7}{'CPU us/req':>12}")
    print(head)
    print("-" * len(head))
    groups = {}  # "warm-c50/2" belongs to "warm-c50"; runs keep their order
    for r in recs:
        if "rps" in r and r.get("label") != "memory":
            groups.setdefault(r["label"].split("/")[0], []).append(r)
    for name, runs in groups.items():
        for r in runs:
            label = r["label"] if len(runs) > 1 else name
            print(row(label, r))
        if len(runs) > 1:
            med = {k: statistics.median(x[k] for x in runs)
                   for k in ("rps", "p50_us", "p99_us", "max_us", "errors", "not_found_share")}
            for k in ("hit_share", "cpu_us_per_req"):
                if all(k in x for x in runs):
                    med[k] = statistics.median(x[k] for x in runs)
            print(row(f"{name} median", med))
    for r in recs:
        if r.get("label") == "cold-distinct":
            a, b = r["first"], r["again"]
            print()
            print(f"cold, {r['count']} distinct first-time requests, one keep-alive connection "
                  f"(python client; its own overhead is in both rows):")
            print(f"  first request : p50 {ms(a['p50_us'])} ms  p90 {ms(a['p90_us'])} ms  "
                  f"p99 {ms(a['p99_us'])} ms  max {ms(a['max_us'])} ms   statuses {r['first_status']}")
            print(f"  same, again   : p50 {ms(b['p50_us'])} ms  p90 {ms(b['p90_us'])} ms  "
                  f"p99 {ms(b['p99_us'])} ms  max {ms(b['max_us'])} ms   statuses {r['again_status']}")
        if r.get("label") == "memory":
            mib = 1 << 20
            print()
            print(f"memory, cache.memory {r['budget'] / mib:.0f} MiB, {r['fill_paths']} paths "
                  f"loaded in {r['duration_us'] / 1e6:.0f} s ({r['errors']} errors):")
            print(f"  empty RSS {r['empty_rss_kib'] / 1024:.1f} MiB, peak RSS (VmHWM) "
                  f"{r['hwm_kib'] / 1024:.1f} MiB, RSS after {r['rss_kib'] / 1024:.1f} MiB; "
                  f"cache {r['cache_bytes'] / mib:.1f} MiB charged in {r['cache_entries']} "
                  f"entries, {r['evictions']} evictions")
            print(f"  bound 1.25 x budget + empty RSS = {r['bound_kib'] / 1024:.1f} MiB: "
                  f"{r['verdict']}")


def spread(args):
    """Adds up wrk runs made at the same time against different nodes: total req/s, the
    worst p99 and max, and all socket errors."""
    runs = []
    for path in args.wrk_outs:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("WRK_RESULT "):
                    runs.append(json.loads(line[len("WRK_RESULT "):]))
    if len(runs) != len(args.wrk_outs):
        sys.exit(f"bench_tool: {len(args.wrk_outs) - len(runs)} wrk runs gave no WRK_RESULT")
    rps = sum(r["rps"] for r in runs)
    errors = sum(r.get(k, 0) for r in runs for k in ("connect", "read", "write", "timeout"))
    print(f"{args.label:<14} {rps:>10.0f} req/s  p50 max {ms(max(r['p50_us'] for r in runs))} ms"
          f"  p99 max {ms(max(r['p99_us'] for r in runs))} ms"
          f"  max {ms(max(r['max_us'] for r in runs))} ms  socket errors {errors}"
          f"  ({len(runs)} wrk: " + ", ".join(f"{r['rps']:.0f}" for r in runs) + ")")


def jsonl(args):
    import sqlite3
    db = sqlite3.connect(args.db)
    db.row_factory = sqlite3.Row
    for table in args.tables:
        with open(f"{args.dir}/{table}.jsonl", "w", encoding="utf-8") as f:
            for row in db.execute(f"SELECT * FROM {table}"):
                f.write(json.dumps(dict(row), ensure_ascii=False) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("fill-paths")
    p.add_argument("--workload", required=True)
    p.add_argument("--items", type=int, default=100_000)
    p.add_argument("--out", required=True)
    p.set_defaults(fn=fill_paths)
    p = sub.add_parser("unique-paths")
    p.add_argument("src")
    p.add_argument("dst")
    p.set_defaults(fn=unique_paths)
    p = sub.add_parser("first-requests")
    p.add_argument("--url", required=True)
    p.add_argument("--paths", required=True)
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--seed", type=int, default=11)
    p.set_defaults(fn=first_requests)
    p = sub.add_parser("record")
    p.add_argument("--label", required=True)
    p.add_argument("--wrk-out", required=True)
    p.add_argument("extra", nargs="*", help="key=value, e.g. d5xx=0 cpu_ticks=123")
    p.set_defaults(fn=record)
    p = sub.add_parser("spread")
    p.add_argument("--label", required=True)
    p.add_argument("wrk_outs", nargs="+")
    p.set_defaults(fn=spread)
    p = sub.add_parser("summary")
    p.add_argument("results")
    p.add_argument("--title", default="")
    p.set_defaults(fn=summary)
    p = sub.add_parser("jsonl")
    p.add_argument("db")
    p.add_argument("dir")
    p.add_argument("tables", nargs="+")
    p.set_defaults(fn=jsonl)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
