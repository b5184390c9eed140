#!/usr/bin/python3
"""Checks the monitoring examples: examples/prometheus/alerts.yml and examples/grafana/shoal.json.

  1. `promtool check rules alerts.yml`, then `promtool test rules alerts_test.yml`: each alert
     fires on the series written to fire it and stays quiet on the others;
  2. every alert has a for:, a severity label, a summary and a description;
  3. shoal.json is JSON a Grafana 10 import takes: panels with unique ids on a 24-column grid
     without overlaps, every query on the ${DS_PROMETHEUS} data source variable;
  4. every dashboard expression is valid PromQL (promtool checks them as recording rules, with
     Grafana's variables replaced), and the dashboard covers the figures it must show;
  5. every metric name an expression uses (alerts and dashboard) is one shoal exposes
     (METRICS below: the names of issue 16), with _bucket/_sum/_count on histograms only.

Exit codes: 0 passed, 1 failed. Debian's python3, python3-yaml and prometheus (promtool).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml  # python3-yaml

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALERTS = os.path.join(SOURCE_DIR, "examples", "prometheus", "alerts.yml")
ALERTS_TEST = os.path.join(SOURCE_DIR, "examples", "prometheus", "alerts_test.yml")
DASHBOARD = os.path.join(SOURCE_DIR, "examples", "grafana", "shoal.json")

# The metrics shoal exposes that the examples may use (issue 16's shared names).
HISTOGRAMS = {
    "shoal_endpoint_request_duration_seconds", "shoal_store_query_duration_seconds",
    "shoal_peer_request_duration_seconds",
}
METRICS = HISTOGRAMS | {
    "shoal_endpoint_requests_total", "shoal_endpoint_cache_total", "shoal_load_errors_total",
    "shoal_cluster_peer_up", "shoal_cassandra_node_up", "shoal_cache_bytes",
    "shoal_cache_entries", "shoal_cache_budget_bytes", "shoal_http_requests_total",
    "shoal_access_log_lines_total", "shoal_access_log_dropped_total", "shoal_reloads_total",
    "shoal_ready", "shoal_build_info", "process_resident_memory_bytes",
    "process_cpu_seconds_total", "process_open_fds", "process_start_time_seconds",
}
ALERT_NAMES = {
    "ShoalHitRatioCollapse", "ShoalLatencyOverSLO", "ShoalStoreErrors", "ShoalPeerDown",
    "ShoalCassandraNodeDown", "ShoalAccessLogDropping",
}
# What the dashboard must show, each by one metric it queries.
DASHBOARD_NEEDS = {
    "requests/s by endpoint": "shoal_endpoint_requests_total",
    "hit ratio": "shoal_endpoint_cache_total",
    "p50/p99 by endpoint": "shoal_endpoint_request_duration_seconds",
    "store query p99": "shoal_store_query_duration_seconds",
    "peer up": "shoal_cluster_peer_up",
    "Cassandra nodes up": "shoal_cassandra_node_up",
    "cache bytes": "shoal_cache_bytes",
    "cache budget": "shoal_cache_budget_bytes",
    "process RSS": "process_resident_memory_bytes",
    "process CPU": "process_cpu_seconds_total",
    "access log drops": "shoal_access_log_dropped_total",
    "reloads": "shoal_reloads_total",
}

# PromQL words that are not metric names: keywords, aggregation modifiers, literals.
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
            "unless", "bool", "offset", "inf", "nan"}

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
    return condition


def metric_names(expr):
    """The metric names `expr` selects: identifiers left once strings, label matchers, ranges,
    grouping label lists and function calls are taken out."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)        # string literals
    e = re.sub(r"\{[^}]*\}", " ", e)                     # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)                    # range and subquery durations
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    e = re.sub(r"#[^\n]*", " ", e)                       # comments
    names = set()
    for m in re.finditer(r"(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", e):
        word, call = m.group(1), m.group(2)
        if call or word.lower() in KEYWORDS:
            continue
        names.add(word)
    return names


def unknown_metrics(names):
    bad = set()
    for n in names:
        base = re.sub(r"_(bucket|sum|count)$", "", n)
        if n in METRICS and n not in HISTOGRAMS:
            continue
        if base in HISTOGRAMS and base != n:
            continue
        bad.add(n)
    return bad


def self_test():
    """The extractor finds what it must: else the name checks below could never fail."""
    found = metric_names('histogram_quantile(0.99, sum by (endpoint, le) (rate('
                         'shoal_endpoint_request_duration_seconds_bucket{job=~"$job", '
                         'endpoint="/x"}[5m]))) > 0.01 and on (instance) shoal_raedy == 1 '
                         'or vector(0)')
    check(found == {"shoal_endpoint_request_duration_seconds_bucket", "shoal_raedy"},
          "self-test: metric_names found %r" % found)
    check(unknown_metrics(found) == {"shoal_raedy"}, "self-test: unknown_metrics")
    check(unknown_metrics({"shoal_cache_bytes_bucket", "shoal_peer_request_duration_seconds"})
          == {"shoal_cache_bytes_bucket", "shoal_peer_request_duration_seconds"},
          "self-test: suffixes on a gauge, a bare histogram name")


def promtool(promtool_bin, *args, cwd=None):
    r = subprocess.run([promtool_bin, *args], capture_output=True, text=True, cwd=cwd,
                       timeout=120)
    return r.returncode, r.stdout + r.stderr


def check_alerts(promtool_bin):
    code, out = promtool(promtool_bin, "check", "rules", ALERTS)
    check(code == 0, "promtool check rules alerts.yml:\n" + out)
    code, out = promtool(promtool_bin, "test", "rules", os.path.basename(ALERTS_TEST),
                         cwd=os.path.dirname(ALERTS_TEST))
    check(code == 0, "promtool test rules alerts_test.yml:\n" + out)
    with open(ALERTS) as f:
        doc = yaml.safe_load(f)
    rules = [r for g in doc["groups"] for r in g["rules"]]
    names = {r.get("alert") for r in rules}
    check(names == ALERT_NAMES, "alerts: %r, expected %r" % (names, ALERT_NAMES))
    with open(ALERTS_TEST) as f:
        tested = {t["alertname"] for c in yaml.safe_load(f)["tests"]
                  for t in c.get("alert_rule_test", []) if t.get("exp_alerts")}
    check(tested == ALERT_NAMES, "alerts_test.yml makes fire %r, not all of %r"
          % (tested, ALERT_NAMES))
    exprs = []
    for r in rules:
        name = r.get("alert")
        check(re.fullmatch(r"\d+[smh]", str(r.get("for", ""))) is not None, name + ": no for:")
        check(r.get("labels", {}).get("severity") in ("critical", "warning", "info"),
              name + ": severity label")
        a = r.get("annotations", {})
        check(bool(a.get("summary")) and bool(a.get("description")),
              name + ": summary and description")
        exprs.append((name, r["expr"]))
    return exprs


def overlaps(a, b):
    return (a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"] and
            a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"])


def check_dashboard(promtool_bin):
    with open(DASHBOARD) as f:
        try:
            dash = json.load(f)
        except json.JSONDecodeError as e:
            check(False, "shoal.json is not JSON: %s" % e)
            return []
    check(dash.get("schemaVersion", 0) >= 36, "schemaVersion %r (Grafana 10 writes 38)"
          % dash.get("schemaVersion"))
    check(bool(dash.get("uid")) and bool(dash.get("title")), "uid and title")
    variables = {v["name"]: v for v in dash.get("templating", {}).get("list", [])}
    ds = variables.get("DS_PROMETHEUS", {})
    check(ds.get("type") == "datasource" and ds.get("query") == "prometheus",
          "no DS_PROMETHEUS data source variable")
    panels = dash.get("panels", [])
    check(len(panels) > 10, "only %d panels" % len(panels))
    ids = [p.get("id") for p in panels]
    check(len(ids) == len(set(ids)) and None not in ids, "panel ids not unique: %r" % ids)
    exprs = []
    for i, p in enumerate(panels):
        g = p.get("gridPos", {})
        check(all(k in g for k in "xywh") and g["x"] >= 0 and g["x"] + g["w"] <= 24,
              "%s: gridPos %r" % (p.get("title"), g))
        for q in panels[:i]:
            if "gridPos" in q and all(k in g for k in "xywh"):
                check(not overlaps(g, q["gridPos"]),
                      "panels %r and %r overlap" % (p.get("title"), q.get("title")))
        if p.get("type") == "row":
            continue
        check(p.get("datasource", {}).get("uid") == "${DS_PROMETHEUS}",
              "%s: panel data source %r" % (p.get("title"), p.get("datasource")))
        check(bool(p.get("targets")), "%s: no query" % p.get("title"))
        for t in p.get("targets", []):
            check(t.get("datasource", {}).get("uid") == "${DS_PROMETHEUS}",
                  "%s: query data source %r" % (p.get("title"), t.get("datasource")))
            check(bool(t.get("expr")), "%s: empty expr" % p.get("title"))
            exprs.append((p.get("title"), t.get("expr", "")))
    for v in variables.values():
        if v.get("type") == "query":
            q = v.get("query")
            q = q.get("query") if isinstance(q, dict) else q
            m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", q or "")
            if check(m is not None, "variable %s: query %r" % (v["name"], q)):
                exprs.append(("variable " + v["name"], m.group(1)))

    # Valid PromQL: each expression as a recording rule, Grafana's variables replaced.
    def plain(expr):
        expr = expr.replace("$__rate_interval", "1m").replace("$__range", "1h")
        return re.sub(r"\$\{?\w+\}?", ".*", expr)
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": "dashboard:expr_%d" % i, "expr": plain(e)} for i, (_, e) in enumerate(exprs)]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump(rules, f)
        path = f.name
    try:
        code, out = promtool(promtool_bin, "check", "rules", path)
        check(code == 0, "dashboard expressions are not all valid PromQL:\n" + out)
    finally:
        os.unlink(path)

    used = set().union(*(metric_names(e) for _, e in exprs)) if exprs else set()
    bases = {re.sub(r"_(bucket|sum|count)$", "", n) for n in used}
    for figure, metric in DASHBOARD_NEEDS.items():
        check(metric in used or metric in bases, "the dashboard does not show %s (%s)"
              % (figure, metric))
    return exprs


def main():
    promtool_bin = shutil.which("promtool")
    if promtool_bin is None:
        print("FAIL: promtool not found (Debian's prometheus package; scripts/install-deps.sh)")
        return 1
    self_test()
    exprs = check_alerts(promtool_bin) + check_dashboard(promtool_bin)
    for where, expr in exprs:
        names = metric_names(expr)
        check(bool(names), "%s: no metric in %r" % (where, expr))
        bad = unknown_metrics(names)
        check(not bad, "%s: unknown metric names %s" % (where, sorted(bad)))
    if failures:
        print("FAIL:\n  " + "\n  ".join(failures))
        return 1
    print("monitoring_test: passed (%d alert and dashboard expressions checked)" % len(exprs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
