"""A `shoal serve -c CONFIG` process for the Python tests, and a one-shot HTTP request.

Standard library only, so that it also runs in the OpenAPI test's venv (scripts/test-venv.sh).
"""

import ctypes
import http.client
import re
import signal
import subprocess
import threading


def die_with_parent():
    """For Popen's preexec_fn: the child gets SIGKILL when the process that started it dies
    (PR_SET_PDEATHSIG), so a test killed by its timeout leaves no browser or server behind."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


class Shoal:
    """A `shoal serve -c CONFIG` process; its output is read on a thread. `port` is the public
    listener's, `admin_port` the admin listener's (None without admin.listen). Raises
    RuntimeError when the node does not say it serves within 30 s."""

    def __init__(self, binary, config):
        self.proc = subprocess.Popen([binary, "serve", "-c", config], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     start_new_session=True, preexec_fn=die_with_parent)
        self.output = []
        self.ready = threading.Event()
        self.port = None
        self.admin_port = None
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(30):
            self.stop()
            raise RuntimeError("shoal did not start in 30 s:\n" + "".join(self.output))

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace")
            self.output.append(line)
            m = re.search(r"admin endpoints on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.admin_port = int(m.group(1))
            m = re.search(r"shoal: serving .* on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                self.ready.set()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def request(port, method, path, headers=None):
    """One request to 127.0.0.1:port: (status, headers with lower-case names, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()
