#!/usr/bin/python3
"""CORS in a real browser: a page on one loopback origin fetches from shoal on another.

A tiny page server (Python's http.server, in this process) serves one blank page on
127.0.0.1:P; the same server is a second origin as localhost:P (same port, other host: another
origin). shoal serves the example catalog on 127.0.0.1:S (another port: another origin again)
with:
  - the top-level cors section: origins [http://127.0.0.1:P], headers [X-Api-Version]
    (the items endpoint uses it);
  - the reviews endpoint's own section: origins [http://localhost:P], credentials: true;
  - the categories endpoint's own section: origins ["*"].
Headless Chromium, driven over the DevTools protocol (tests/lib/chromium.py), opens the page
from each origin and runs fetch() in it. The checks:
  1. from http://127.0.0.1:P: items succeeds (its JSON, the exposed ETag and X-Cache readable),
     also with the custom header X-Api-Version (a preflighted request), but not with a header
     the config does not allow (X-Other: the preflight lists only X-Api-Version); reviews
     fails (a TypeError in fetch: the browser blocks it, and logs the CORS refusal);
     categories ("*") succeeds without credentials and fails with credentials: 'include';
  2. from http://localhost:P: the other way round for items and reviews, and reviews succeeds
     even with credentials: 'include' (Access-Control-Allow-Credentials: true).
Exit codes: 0 passed, 1 failed. Debian's python3, chromium and python3-websocket only
(scripts/install-deps.sh).
"""

import argparse
import http.server
import json
import os
import re
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import chromium  # noqa: E402  (tests/lib/chromium.py)
from shoal_serve import Shoal, request  # noqa: E402  (tests/lib/shoal_serve.py)

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>cors test page</title></head>
<body><p>a page on another origin than shoal</p></body></html>
"""


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


class PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path == "/":
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)
        else:  # the favicon: nothing, and no error in the page's log
            self.send_response(204)
            self.end_headers()

    def log_message(self, *args):
        pass




def write_config(directory, db, page_port):
    with open(os.path.join(SOURCE_DIR, "examples", "catalog", "shoal.yaml")) as f:
        text = f.read()
    text = re.sub(r"(?m)^listen: .*$", "listen: 127.0.0.1:0", text)
    text = re.sub(r"sqlite: \{ path: [^}]* \}", "sqlite: { path: %s }" % db, text)
    text = re.sub(r"memory: \S+", "memory: 16MiB", text)
    reviews = "    ttl: 30s\n"
    categories = "    ttl: 10s\n"
    check(reviews in text and categories in text, "the example config changed: ttl lines")
    text = text.replace(reviews, reviews + "    cors:\n      origins: [http://localhost:%d]\n"
                        "      credentials: true\n" % page_port)
    text = text.replace(categories, categories + "    cors:\n      origins: [\"*\"]\n")
    text += "log:\n  level: warn\n"
    text += ("cors:\n  origins: [http://127.0.0.1:%d]\n  headers: [X-Api-Version]\n"
             % page_port)
    path = os.path.join(directory, "shoal-cors.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


# FETCH starts one fetch in the page and leaves its outcome in window.results[name]: what the
# page could read on success, or the error's name and message.
FETCH = """(function () {
  window.results = window.results || {};
  var name = %(name)s;
  window.results[name] = null;
  fetch(%(url)s, %(init)s).then(function (r) {
    return r.json().then(function (body) {
      window.results[name] = {ok: true, status: r.status, body: body,
                              etag: r.headers.get("ETag"), xcache: r.headers.get("X-Cache")};
    });
  }).catch(function (e) {
    window.results[name] = {ok: false, error: e.name, message: String(e.message)};
  });
  return true;
})()"""


def page_fetch(browser, name, url, init):
    browser.evaluate(FETCH % {"name": json.dumps(name), "url": json.dumps(url),
                              "init": json.dumps(init)})
    took = browser.wait_for("window.results[%s] !== null" % json.dumps(name), 10)
    check(took is not None, "%s: fetch did not settle in 10 s" % name)
    return json.loads(browser.evaluate("JSON.stringify(window.results[%s])" % json.dumps(name)))


def expect_ok(result, name, want_id=None):
    check(result["ok"] and result["status"] == 200, "%s: want success, got %r" % (name, result))
    if want_id is not None:
        check(result["body"].get("id") == want_id, "%s: body %r" % (name, result["body"]))
    print("ok: %s succeeded (%r)" % (name, {k: v for k, v in result.items() if k != "body"}))


def expect_blocked(result, name):
    check(not result["ok"] and result["error"] == "TypeError",
          "%s: want a TypeError in fetch (blocked by CORS), got %r" % (name, result))
    print("ok: %s blocked: %s: %s" % (name, result["error"], result["message"]))


def cors_refusals(browser):
    """The browser's own CORS refusals in the page's log (seen through DevTools)."""
    return [e for e in browser.errors() if "CORS policy" in e]


def run(args):
    directory = tempfile.mkdtemp(prefix="shoal-cors-")
    db = os.path.join(directory, "catalog.db")
    made = subprocess.run([args.shoal, "demo", "--dir", directory, "--items", "50",
                           "--generate-only", "--log-level", "warn"],
                          capture_output=True, text=True, timeout=60)
    check(made.returncode == 0 and os.path.exists(db), "shoal demo --generate-only: " +
          made.stdout + made.stderr)

    pages = http.server.ThreadingHTTPServer(("127.0.0.1", 0), PageHandler)
    page_port = pages.server_address[1]
    threading.Thread(target=pages.serve_forever, daemon=True).start()
    node = None
    try:
        node = Shoal(args.shoal, write_config(directory, db, page_port))
        api = "http://127.0.0.1:%d" % node.port
        ip_page = "http://127.0.0.1:%d/" % page_port
        host_page = "http://localhost:%d/" % page_port
        with chromium.Browser(1024, 768) as browser:
            # 1. The page on http://127.0.0.1:P: the top-level section allows it.
            browser.navigate(ip_page)
            check(browser.evaluate("location.origin") == ip_page[:-1], "page origin")
            r = page_fetch(browser, "items", api + "/v1/items/1", {})
            expect_ok(r, "items from 127.0.0.1", 1)
            check(r["etag"] and r["etag"].startswith('"'), "ETag not readable: %r" % r)
            check(r["xcache"] in ("MISS", "HIT"), "X-Cache not readable: %r" % r)
            expect_ok(page_fetch(browser, "items-preflighted", api + "/v1/items/2",
                                 {"headers": {"X-Api-Version": "2"}}),
                      "items with X-Api-Version (preflighted) from 127.0.0.1", 2)
            before = len(cors_refusals(browser))
            expect_blocked(page_fetch(browser, "items-other-header", api + "/v1/items/3",
                                      {"headers": {"X-Other": "1"}}),
                           "items with X-Other (not allowed) from 127.0.0.1")
            expect_blocked(page_fetch(browser, "reviews", api + "/v1/items/1/reviews", {}),
                           "reviews (only localhost allowed) from 127.0.0.1")
            expect_ok(page_fetch(browser, "categories", api + "/v1/categories/tools/items", {}),
                      "categories (\"*\") from 127.0.0.1")
            expect_blocked(page_fetch(browser, "categories-credentials",
                                      api + "/v1/categories/tools/items",
                                      {"credentials": "include"}),
                           "categories (\"*\") with credentials from 127.0.0.1")
            browser.pump(0.5)  # the log entries may trail the promise
            refusals = cors_refusals(browser)[before:]
            check(len(refusals) >= 3, "the browser logged %d CORS refusals for 3 blocked "
                  "fetches: %r" % (len(refusals), browser.errors()))
            print("ok: Chromium logged the CORS refusals, e.g. %s" % refusals[0][:160])

            # 2. The page on http://localhost:P: another origin, the reviews endpoint's.
            browser.navigate(host_page)
            check(browser.evaluate("location.origin") == host_page[:-1], "page origin")
            expect_ok(page_fetch(browser, "reviews", api + "/v1/items/1/reviews", {}),
                      "reviews from localhost")
            expect_ok(page_fetch(browser, "reviews-credentials", api + "/v1/items/1/reviews",
                                 {"credentials": "include"}),
                      "reviews with credentials from localhost")
            expect_blocked(page_fetch(browser, "items", api + "/v1/items/1", {}),
                           "items (only 127.0.0.1 allowed) from localhost")
        return 0
    finally:
        if node is not None:
            node.stop()
        pages.shutdown()
        pages.server_close()
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
        print("cors_browser_test: passed")
    return code


if __name__ == "__main__":
    sys.exit(main())
