#!/usr/bin/env python3
"""bench/soak_report.py: the verdict and the plot of one bench/soak.sh run.

  soak_report.py --run DIR --warmup SECONDS --duration SECONDS [--rate R] [--svg FILE]

Reads DIR/samples.csv (every 10 s per node: RSS, descriptors, threads, the load driver's last
window), DIR/load*.json (the drivers' totals), DIR/purges.log, DIR/reloads.log and DIR/run.txt.
Prints a summary and writes DIR/soak.svg (plain SVG, no plotting library).

PASS when on every node RSS and open descriptors at the end (median of the last minute's
samples) are less than 2 % above their level at the end of the warm-up (median of the minute
before it), every node lived to the end, and nothing failed: no 5xx, timeout or connection error
in the load (404s for ids outside the catalog are expected answers, not errors), no purge
answered other than 2xx, no reload refused or missing. Exit status 0 PASS, 1 FAIL.
"""
import argparse
import csv
import json
import os
import statistics
import sys

GROWTH_LIMIT = 0.02
COLOURS = ["#1f77b4", "#d62728", "#2ca02c"]


def load_samples(path):
    rows = []
    with open(path) as f:
        for r in csv.DictReader(f):
            row = {"t": int(r["elapsed_s"]), "node": int(r["node"])}
            for k in ("rss_kib", "fds", "threads"):
                row[k] = int(r[k] or 0)
            for k in ("answers", "timeouts", "errors"):
                row[k] = int(r[k]) if r[k] else None
            row["p99_ms"] = float(r["p99_ms"]) if r["p99_ms"] else None
            row["load1"] = float(r["load1"]) if r.get("load1") else None
            rows.append(row)
    return rows


def window_median(rows, key, lo, hi):
    vals = [r[key] for r in rows if lo < r["t"] <= hi]
    return statistics.median(vals) if vals else None


def svg_plot(rows, warmup, title, path):
    panels = [("rss_kib", "RSS (MiB)", 1 / 1024), ("fds", "open descriptors", 1),
              ("threads", "threads", 1), ("p99_ms", "load p99 of the last 10 s (ms)", 1)]
    if any(r["load1"] is not None for r in rows):
        panels.append(("load1", "the machine's load average (1 min; the same for every node)", 1))
    w, ph, left, right, top, gap = 900, 170, 80, 30, 50, 45
    h = top + len(panels) * (ph + gap) + 20
    tmax = max((r["t"] for r in rows), default=1) or 1
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
           'font-family="sans-serif" font-size="12">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{w / 2}" y="22" text-anchor="middle" font-size="15">{esc(title)}</text>']
    for n, c in enumerate(COLOURS):
        out.append(f'<rect x="{left + n * 90}" y="30" width="12" height="4" fill="{c}"/>'
                   f'<text x="{left + n * 90 + 16}" y="36">node {n}</text>')
    out.append(f'<text x="{left + 300}" y="36" fill="#888">dashed: end of warm-up</text>')
    for p, (key, label, scale) in enumerate(panels):
        y0 = top + p * (ph + gap) + 10
        vals = [r[key] * scale for r in rows if r[key] is not None]
        vmax = max(vals, default=1) * 1.1 or 1
        vmin = 0.0
        pw = w - left - right
        x = lambda t: left + pw * t / tmax  # noqa: E731
        y = lambda v: y0 + ph * (1 - (v - vmin) / (vmax - vmin))  # noqa: E731
        out.append(f'<rect x="{left}" y="{y0}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>')
        out.append(f'<text x="{left}" y="{y0 - 6}">{esc(label)}</text>')
        for i in range(5):
            v = vmin + (vmax - vmin) * i / 4
            out.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="10">'
                       f'{v:.3g}</text>')
            out.append(f'<line x1="{left}" x2="{left + pw}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#eee"/>')
        for i in range(7):
            t = tmax * i / 6
            tick = f"{t:.0f} s" if tmax <= 600 else f"{t / 60:.0f} min"
            out.append(f'<text x="{x(t):.1f}" y="{y0 + ph + 14}" text-anchor="middle" font-size="10">'
                       f'{tick}</text>')
        xw = x(warmup)
        out.append(f'<line x1="{xw:.1f}" x2="{xw:.1f}" y1="{y0}" y2="{y0 + ph}" stroke="#888" '
                   'stroke-dasharray="4,3"/>')
        for n, c in enumerate(COLOURS):
            pts = [(x(r["t"]), y(r[key] * scale)) for r in rows
                   if r["node"] == n and r[key] is not None]
            if pts:
                out.append(f'<polyline fill="none" stroke="{c}" stroke-width="1.3" points="' +
                           " ".join(f"{a:.1f},{b:.1f}" for a, b in pts) + '"/>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def read_metrics(path):
    m = {}
    for ln in open(path):
        if ln.startswith("#") or " " not in ln:
            continue
        name, value = ln.rsplit(" ", 1)
        try:
            m[name] = float(value)
        except ValueError:
            pass
    return m


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--warmup", type=int, required=True)
    ap.add_argument("--duration", type=int, required=True)
    ap.add_argument("--rate", type=int, default=0)
    ap.add_argument("--svg")
    a = ap.parse_args()
    run = a.run
    # Samples after the drivers stopped (the run's last seconds) see the drivers' connections
    # closed: they are not part of the run.
    rows = [r for r in load_samples(os.path.join(run, "samples.csv")) if r["t"] <= a.duration - 3]
    failures = []
    lines = []
    info = open(os.path.join(run, "run.txt")).read()
    lines.append(info.rstrip())
    lines.append(f"samples: {len(rows)} (every 10 s per node), warm-up {a.warmup} s of {a.duration} s")
    tend = max((r["t"] for r in rows), default=0)
    lines.append("node  metric   end of warm-up      end   growth")
    for n in range(3):
        nr = [r for r in rows if r["node"] == n]
        for key in ("rss_kib", "fds", "threads"):
            base = window_median(nr, key, a.warmup - 60, a.warmup)
            if base is None:  # a run too short for a sample before the end of the warm-up
                base = next((r[key] for r in nr if r["t"] >= a.warmup), None)
            last = window_median(nr, key, tend - 60, tend)
            if base is None or last is None or base == 0:
                failures.append(f"node {n}: no {key} samples around the end of the warm-up or the run")
                continue
            growth = last / base - 1
            unit = " KiB" if key == "rss_kib" else ""
            lines.append(f"{n:>4}  {key:<7} {base:>12.0f}{unit:<4} {last:>8.0f}{unit:<4} {growth * 100:+6.2f} %")
            if key != "threads" and growth >= GROWTH_LIMIT:
                failures.append(f"node {n}: {key} grew {growth * 100:.2f} % after the warm-up "
                                f"({base:.0f} -> {last:.0f}; limit {GROWTH_LIMIT * 100:.0f} %)")
        peak = max((r["rss_kib"] for r in nr), default=0)
        lines.append(f"{n:>4}  peak RSS {peak / 1024:.1f} MiB")
    answers = errors = timeouts = 0
    p99s = []
    for n in range(3):
        path = os.path.join(run, f"load{n}.json")
        if not os.path.exists(path):
            failures.append(f"load driver {n} wrote no report")
            continue
        report = json.load(open(path))
        total = report["total"]
        for w in report["steps"]:
            if w["errors"] or w["timeouts"]:
                lines.append(f"  load on node {n}, {w['start_s']:.0f}-{w['end_s']:.0f} s: "
                             f"{w['errors']} errors, {w['timeouts']} timeouts, {w['hits']} answers, "
                             f"p99 {w['p99_ms']:.1f} ms, max {w['max_ms']:.1f} ms"
                             + (f", first: {w['first_error']}" if w["first_error"] else ""))
        answers += total["hits"]
        errors += total["errors"]
        timeouts += total["timeouts"]
        p99s.append(total["p99_ms"])
        if total["errors"] or total["timeouts"]:
            failures.append(f"load on node {n}: {total['errors']} errors, {total['timeouts']} "
                            f"timeouts; first: {total['first_error']}")
    secs = max(a.duration, 1)
    lines.append(f"load: {answers} answers ({answers / secs:.0f}/s; asked {a.rate}/s), "
                 f"{errors} errors, {timeouts} timeouts, p99 per node (whole run) "
                 + ", ".join(f"{p:.2f}" for p in p99s) + " ms")
    loads = [r["load1"] for r in rows if r["load1"] is not None]
    if loads:
        lines.append(f"machine load average (1 min) during the run: median {statistics.median(loads):.1f}, "
                     f"max {max(loads):.1f} on {os.cpu_count()} cores")
    window_p99 = [r["p99_ms"] for r in rows if r["p99_ms"] is not None and r["t"] > a.warmup]
    if window_p99:
        lines.append(f"p99 of the 10 s windows after the warm-up: median {statistics.median(window_p99):.2f} ms, "
                     f"worst {max(window_p99):.2f} ms")
    # The nodes' own counters at the end: 404s for ids outside the catalog are answers, any other
    # 4xx is a bad request (shoal_api_client_errors_total), and no answer may be a 5xx.
    must_be_zero = ("shoal_api_client_errors_total", "shoal_api_requests_unrouted_total",
                    "shoal_http_responses_5xx_total", "shoal_http_request_timeouts_total")
    informational = ("shoal_load_errors_total", "shoal_cluster_peer_errors_total",
                     "shoal_cache_evictions_total", "shoal_cluster_peer_gets_total",
                     "shoal_cache_hot_hits_total", "shoal_api_stale_total",
                     "shoal_http_responses_4xx_total")
    for n in range(3):
        path = os.path.join(run, f"node{n}.metrics")
        m = read_metrics(path) if os.path.exists(path) else {}
        if not m:
            failures.append(f"node {n}: no metrics at the end")
            continue
        lines.append(f"node {n} counters: " + ", ".join(
            f"{k.removeprefix('shoal_')} {m.get(k, 0):.0f}" for k in must_be_zero + informational))
        for k in must_be_zero:
            if m.get(k, 0):
                failures.append(f"node {n}: {k} = {m[k]:.0f}")
    purges = [ln.split(" ", 3) for ln in open(os.path.join(run, "purges.log")) if ln.strip()]
    bad = [p for p in purges if not p[2].startswith("2")]
    lines.append(f"purges: {len(purges)} sent, {len(bad)} not 2xx")
    if bad:
        failures.append(f"{len(bad)} purges failed, first: HTTP {bad[0][2]} on node {bad[0][1]}: {bad[0][3].strip()}")
    for ln in info.splitlines():
        if ln.startswith("dead_nodes=") and not ln.startswith("dead_nodes=none"):
            failures.append("nodes died: " + ln)
        if ln.startswith("reloads_sent="):
            kv = dict(x.split("=") for x in ln.split())
            if int(kv["reloads_refused"]) or int(kv["reloads_ok"]) < int(kv["reloads_sent"]):
                failures.append("reloads: " + ln)
    svg = a.svg or os.path.join(run, "soak.svg")
    svg_plot(rows, a.warmup, f"bench/soak.sh: 3 nodes, {a.duration // 60} min at {a.rate} req/s", svg)
    lines.append(f"plot: {svg}")
    if failures:
        lines.append("verdict: FAIL")
        lines.extend("  " + f for f in failures)
    else:
        lines.append("verdict: PASS (RSS and descriptors grew < 2 % after the warm-up on every node; "
                     "no errors, timeouts, failed purges or refused reloads)")
    print("\n".join(lines))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
