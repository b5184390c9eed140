#!/usr/bin/python3
"""The dashboard page (GET /_shoal/) against a real shoal, in headless Chromium.

Starts `shoal serve` over a small SQLite catalog (the demo's, with the endpoints of
examples/catalog/shoal.yaml), runs a load against it, and checks:
  1. the page's HTTP answer: 200 text/html; charset=utf-8, a Content-Security-Policy with
     default-src 'self' and two hashes (never 'unsafe-'), HEAD without a body, 405 for POST;
     with admin.listen, the page is on the admin listener and 404 on the public one;
  2. in Chromium: no console error, CSP violation or uncaught exception; the three charts
     have two data points each (two polls) within 3 s of opening the page; the endpoint table lists exactly the configured routes;
     the peers and Cassandra sections are hidden (one node, SQLite);
  3. the page says "disconnected" within 3 s of the server stopping, keeps polling, and is
     live again within 3 s of a server coming back on the same port.
Exit codes: 0 passed, 1 failed. Uses Debian's python3, chromium and
python3-websocket only (scripts/install-deps.sh).
"""

import argparse
import http.client
import os
import random
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import chromium  # noqa: E402  (tests/lib/chromium.py)
from shoal_serve import Shoal, request  # noqa: E402  (tests/lib/shoal_serve.py)

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILL_SECONDS = 3.0  # the charts must have points this soon after the page is opened


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)




def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(directory, db, listen_port=0, admin_port=None):
    """The example catalog config, served from `db` on 127.0.0.1:listen_port."""
    with open(os.path.join(SOURCE_DIR, "examples", "catalog", "shoal.yaml")) as f:
        text = f.read()
    text = re.sub(r"(?m)^listen: .*$", "listen: 127.0.0.1:%d" % listen_port, text)
    text = re.sub(r"sqlite: \{ path: [^}]* \}", "sqlite: { path: %s }" % db, text)
    text = re.sub(r"memory: \S+", "memory: 16MiB", text)
    text += "log:\n  level: warn\n"
    if admin_port is not None:
        text += ("admin:\n  token: a-test-token-of-some-length\n"
                 "  listen: 127.0.0.1:%d\n" % admin_port)
    path = os.path.join(directory, "shoal-%d-%s.yaml" % (listen_port, admin_port))
    with open(path, "w") as f:
        f.write(text)
    routes = re.findall(r"(?m)^\s*- route: (\S+)$", text)
    return path, routes


class Load:
    """Requests on every route from one thread with a keep-alive connection, until stopped
    (and for 120 s at most): the server has figures to show."""

    def __init__(self, port, routes, ids, categories):
        self.port, self.routes, self.ids, self.categories = port, routes, ids, categories
        self.stopped = threading.Event()
        self.sent = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _path(self, rnd):
        route = rnd.choice(self.routes)
        path = re.sub(r"\{[a-z_]+:int\}", str(rnd.choice(self.ids)), route)
        return re.sub(r"\{[a-z_]+\}", rnd.choice(self.categories), path)

    def _run(self):
        rnd = random.Random(7)
        deadline = time.monotonic() + 120
        conn = None
        while not self.stopped.is_set() and time.monotonic() < deadline:
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", self._path(rnd))
                conn.getresponse().read()
                self.sent += 1
            except (OSError, http.client.HTTPException):
                conn = None  # the server restarts during the test
                time.sleep(0.05)
            time.sleep(0.002)

    def stop(self):
        self.stopped.set()
        self.thread.join(10)


def check_http(port):
    status, headers, body = request(port, "GET", "/_shoal/")
    check(status == 200, "GET /_shoal/: %d" % status)
    check(headers.get("content-type") == "text/html; charset=utf-8",
          "GET /_shoal/: Content-Type %r" % headers.get("content-type"))
    check(body.startswith(b"<!doctype html>"), "GET /_shoal/: not the page")
    csp = headers.get("content-security-policy", "")
    check(csp.startswith("default-src 'self';"), "CSP %r" % csp)
    check(len(re.findall(r"'sha256-[A-Za-z0-9+/]+=*'", csp)) == 2, "CSP hashes: %r" % csp)
    check("unsafe" not in csp, "CSP allows unsafe: %r" % csp)
    status, headers, head_body = request(port, "HEAD", "/_shoal/")
    check(status == 200 and head_body == b"" and
          headers.get("content-length") == str(len(body)), "HEAD /_shoal/")
    status, headers, _ = request(port, "POST", "/_shoal/")
    check(status == 405 and headers.get("allow") == "GET, HEAD", "POST /_shoal/: %d" % status)
    print("ok: GET/HEAD/POST /_shoal/ (%d bytes, CSP with two hashes)" % len(body))


def check_admin_listener(binary, directory, db):
    admin_port = free_port()
    config, _ = write_config(directory, db, 0, admin_port)
    node = Shoal(binary, config)
    try:
        check(node.admin_port == admin_port, "no admin listener line:\n" + "".join(node.output))
        status, headers, _ = request(admin_port, "GET", "/_shoal/")
        check(status == 200 and headers.get("content-type", "").startswith("text/html"),
              "admin listener GET /_shoal/: %d" % status)
        status, _, _ = request(node.port, "GET", "/_shoal/")
        check(status == 404, "public listener GET /_shoal/ with admin.listen: %d" % status)
    finally:
        node.stop()
    print("ok: with admin.listen the page is on the admin listener only")


PAGE_STATE = """JSON.stringify({
  state: document.body.dataset.state,
  polls: Number(document.body.dataset.polls),
  status: document.getElementById("status").textContent,
  points: ["c-rps", "c-hit", "c-lat"].map(function (id) {
    return Number(document.getElementById(id).dataset.points); }),
  routes: Array.from(document.querySelectorAll("#endpoints tbody tr")).map(function (tr) {
    return tr.cells[0].textContent; }),
  peersHidden: document.getElementById("peers-section").hidden,
  cassandraHidden: document.getElementById("cassandra-section").hidden,
  rps: document.getElementById("t-rps").textContent
})"""


def page_state(browser):
    import json
    return json.loads(browser.evaluate(PAGE_STATE))


def run(args):
    directory = tempfile.mkdtemp(prefix="shoal-dashboard-")
    db = os.path.join(directory, "catalog.db")
    made = subprocess.run([args.shoal, "demo", "--dir", directory, "--items", "300",
                           "--generate-only", "--log-level", "warn"],
                          capture_output=True, text=True, timeout=60)
    check(made.returncode == 0 and os.path.exists(db), "shoal demo --generate-only: " +
          made.stdout + made.stderr)
    with sqlite3.connect(db) as c:
        ids = [r[0] for r in c.execute("SELECT id FROM items ORDER BY id LIMIT 300")]
        categories = [r[0] for r in c.execute("SELECT DISTINCT category FROM items")]

    check_admin_listener(args.shoal, directory, db)

    config, routes = write_config(directory, db)
    check(len(routes) == 3, "routes of the example config: %r" % routes)
    node = Shoal(args.shoal, config)
    port = node.port
    load = Load(port, routes, ids, categories)
    try:
        check_http(port)
        stats_status, _, _ = request(port, "GET", "/_shoal/stats")
        url = "http://127.0.0.1:%d/_shoal/" % port
        with chromium.Browser(1280, 900) as browser:
            opened = time.monotonic()
            browser.navigate(url)
            check(stats_status == 200, "GET /_shoal/stats: %d" % stats_status)

            took = browser.wait_for(
                "['c-rps','c-hit','c-lat'].every(function (id) {"
                " return Number(document.getElementById(id).dataset.points) >= 2; })",
                FILL_SECONDS - (time.monotonic() - opened))
            state = page_state(browser)
            check(took is not None, "the charts had no points within %.0f s: %r"
                  % (FILL_SECONDS, state))
            filled = time.monotonic() - opened
            check(state["state"] == "live", "state %r" % state)
            check(sorted(state["routes"]) == sorted(routes),
                  "endpoint table %r, configured %r" % (state["routes"], routes))
            check(state["peersHidden"] and state["cassandraHidden"],
                  "peers or Cassandra shown for one SQLite node: %r" % state)
            check(re.match(r"^[0-9][0-9,.]*$", state["rps"]), "requests/s tile %r" % state["rps"])
            errors = browser.errors()
            check(not errors, "page errors:\n  " + "\n  ".join(errors))
            print("ok: charts filled in %.2f s of opening the page (%d polls), endpoint table "
                  "%r, no page errors" % (filled, state["polls"], state["routes"]))

            # The server goes away: the page says so and keeps polling; it comes back.
            node.stop()
            stopped = time.monotonic()
            took = browser.wait_for("document.body.dataset.state === 'disconnected'", 3.0)
            check(took is not None, "not disconnected 3 s after the stop: %r"
                  % page_state(browser))
            print("ok: 'disconnected' %.2f s after the server stopped: %r"
                  % (time.monotonic() - stopped, page_state(browser)["status"]))
            node = None
            node = Shoal(args.shoal, write_config(directory, db, port)[0])
            back = time.monotonic()
            polls = page_state(browser)["polls"]
            took = browser.wait_for(
                "document.body.dataset.state === 'live' && "
                "Number(document.body.dataset.polls) > %d" % polls, 3.0)
            check(took is not None, "not live 3 s after the restart: %r" % page_state(browser))
            print("ok: live again %.2f s after the server came back" % (time.monotonic() - back))
            exceptions = [e for e in browser.errors() if not e.startswith("log (network)")]
            check(not exceptions, "page errors across the restart:\n  " + "\n  ".join(exceptions))
        print("dashboard_test: %d requests of load sent" % load.sent)
        return 0
    finally:
        load.stop()
        if node is not None:
            node.stop()
        subprocess.run(["rm", "-rf", directory])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shoal", required=True, help="the shoal binary to test")
    args = parser.parse_args()
    if chromium.find_chromium() is None:
        print("FAIL: chromium is not installed (scripts/install-deps.sh installs it)")
        return 1
    try:
        code = run(args)
    except (Failure, RuntimeError, OSError) as e:  # RuntimeError: the browser's (chromium.py)
        print("FAIL:", e)
        return 1
    if code == 0:
        print("dashboard_test: passed")
    return code


if __name__ == "__main__":
    sys.exit(main())
