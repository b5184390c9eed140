#!/usr/bin/python3
"""Headless Chromium driven over the DevTools protocol, for the dashboard test and screenshot.

Debian's `chromium` and `python3-websocket` only (scripts/install-deps.sh installs both).
Chromium starts with --remote-debugging-port=0 in a fresh profile directory; the port it
picked is read from the profile's DevToolsActivePort file. One page target is attached with a
flattened session, Runtime and Log are enabled before navigating, so every console error, CSP
violation and uncaught exception of the page is collected from its first line on.

As a script: `chromium.py screenshot URL OUT.png [--wait S] [--width W] [--height H]
[--expect JS]` opens URL, waits S seconds (default 5) and saves a full-page PNG (only if the
expression JS is true in the page then, when given).
"""

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import websocket  # python3-websocket

from shoal_serve import die_with_parent  # tests/lib/shoal_serve.py


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One headless Chromium process with one page; use as a context manager."""

    def __init__(self, width=1280, height=900, binary=None):
        self.binary = binary or find_chromium()
        if self.binary is None:
            raise RuntimeError("chromium not found (scripts/install-deps.sh installs it)")
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="shoal-chromium-")
        self.proc = None
        self.ws = None
        self.session = None
        self.next_id = 0
        self.events = []  # (method, params) of the page's session, in arrival order

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        args = [
            self.binary, "--headless", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--mute-audio", "--hide-scrollbars",
            "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
            "--user-data-dir=" + self.profile,
            "--window-size=%d,%d" % (self.width, self.height), "about:blank",
        ]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True,
                                     preexec_fn=die_with_parent)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + 30
        lines = []
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("chromium exited with %d at start" % self.proc.returncode)
            try:
                with open(port_file) as f:
                    lines = f.read().split("\n")
                if len(lines) >= 2 and lines[0] and lines[1]:
                    break
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        else:
            raise RuntimeError("chromium wrote no DevToolsActivePort in 30 s")
        url = "ws://127.0.0.1:%s%s" % (lines[0].strip(), lines[1].strip())
        self.ws = websocket.create_connection(url, timeout=30, suppress_origin=True)
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self.call("Target.attachToTarget",
                             {"targetId": target["targetId"], "flatten": True}, session=False)
        self.session = attached["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1,
                   "mobile": False})
        for domain in ("Runtime", "Log", "Page"):
            self.call(domain + ".enable")

    def close(self):
        if self.ws is not None:
            try:
                self.ws.close()
            except Exception:  # the browser may be gone already
                pass
            self.ws = None
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.profile, ignore_errors=True)

    def _receive(self, timeout):
        self.ws.settimeout(max(timeout, 0.01))
        try:
            message = json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            return None
        if "method" in message and message.get("sessionId") == self.session:
            self.events.append((message["method"], message.get("params", {})))
        return message

    def call(self, method, params=None, session=True, timeout=30):
        """Sends one command and returns its result; raises on a protocol error."""
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self._receive(deadline - time.monotonic())
            if reply is not None and reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})
        raise RuntimeError("%s: no answer in %d s" % (method, timeout))

    def pump(self, seconds):
        """Collects events for `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._receive(deadline - time.monotonic())

    def navigate(self, url, timeout=15):
        """Opens `url` and returns once its load event has fired (the page's script ran)."""
        seen = len(self.events)
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise RuntimeError("navigate %s: %s" % (url, result["errorText"]))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(m == "Page.loadEventFired" for m, _ in self.events[seen:]):
                return
            self._receive(deadline - time.monotonic())
        raise RuntimeError("navigate %s: no load event in %d s" % (url, timeout))

    def evaluate(self, expression):
        """Evaluates `expression` in the page and returns its value (JSON-able)."""
        result = self.call("Runtime.evaluate",
                           {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError("evaluate %r: %s" % (expression, result["exceptionDetails"]))
        return result["result"].get("value")

    def wait_for(self, expression, timeout):
        """Polls `expression` every 100 ms (collecting events meanwhile) until it is truthy;
        returns the seconds it took, or None on timeout."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.evaluate(expression):
                return time.monotonic() - start
            self.pump(0.1)
        return None

    def errors(self):
        """The page's errors so far, as text: console.error/assert calls, uncaught exceptions
        and browser log entries of level error (failed loads, CSP violations)."""
        found = []
        for method, p in self.events:
            if method == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                text = d.get("exception", {}).get("description") or d.get("text", "")
                found.append("exception: %s" % text)
            elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                args = [a.get("value", a.get("description", "")) for a in p.get("args", [])]
                found.append("console.%s: %s" % (p["type"], " ".join(map(str, args))))
            elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                e = p["entry"]
                found.append("log (%s): %s %s" % (e.get("source"), e.get("text"), e.get("url", "")))
        return found

    def screenshot(self, path):
        size = self.evaluate("[document.documentElement.scrollWidth,"
                             " document.documentElement.scrollHeight]")
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": max(self.width, size[0]), "height": max(self.height, size[1]),
                   "deviceScaleFactor": 1, "mobile": False})
        self.pump(0.3)  # let the charts redraw at the new size
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))


def main(argv):
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    shot = sub.add_parser("screenshot", help="save a PNG of a page after a wait")
    shot.add_argument("url")
    shot.add_argument("out")
    shot.add_argument("--wait", type=float, default=5.0)
    shot.add_argument("--width", type=int, default=1400)
    shot.add_argument("--height", type=int, default=900)
    shot.add_argument("--expect", metavar="JS",
                      help="an expression that must be true in the page, else no PNG, exit 1")
    args = parser.parse_args(argv)
    with Browser(args.width, args.height) as browser:
        browser.navigate(args.url)
        browser.pump(args.wait)
        for e in browser.errors():
            print("page error:", e, file=sys.stderr)
        if args.expect and not browser.evaluate(args.expect):
            print("not saved: %s is false in the page" % args.expect, file=sys.stderr)
            return 1
        browser.screenshot(args.out)
    print("wrote", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
