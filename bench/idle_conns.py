#!/usr/bin/env python3
"""idle_conns.py: memory per idle keep-alive connection of a running shoal (issue 18, item 7).

Measures the server's RSS (/proc/PID/status VmRSS) and the kernel's slab memory
(/proc/slabinfo, when readable) and TCP buffer pages (/proc/net/sockstat), then opens COUNT
connections to URL from loopback (spread over --sources addresses 127.0.0.1.. in turn, for a
server with a per-address cap), sends one GET of PATH on each and reads its whole answer, so
that each connection is a used keep-alive connection, lets them idle for --settle seconds and
measures again. Prints one JSON object: the figures before and after, and the bytes per
connection. Then closes every connection and measures once more (what the server gives back).

Needs a descriptor limit above COUNT (ulimit -n) in this process and in the server.
"""
import argparse
import json
import socket
import sys
import time
import urllib.parse


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def slab_bytes():
    """Total bytes of all slab caches (active objects x object size); None if unreadable."""
    try:
        with open("/proc/slabinfo") as f:
            lines = f.read().splitlines()[2:]
    except OSError:
        return None
    total = 0
    for line in lines:
        parts = line.split()
        total += int(parts[1]) * int(parts[3])
    return total


def sockstat_tcp_pages():
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                p = line.split()
                return int(p[p.index("mem") + 1])
    return 0


def read_answer(sock, buf=b""):
    """Reads one whole HTTP answer (Content-Length framed); returns (status, leftover)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed before the answer's head")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        if name.strip().lower() == b"connection" and value.strip().lower() == b"close":
            raise RuntimeError("the server closes the connection (Connection: close)")
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed inside the body")
        rest += chunk
    return status, rest[length:]


def measure(pid):
    return {"rss": rss_bytes(pid), "slab": slab_bytes(), "tcp_mem_pages": sockstat_tcp_pages()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="http://127.0.0.1:PORT")
    ap.add_argument("--path", default="/v1/items/1")
    ap.add_argument("--pid", type=int, required=True, help="the server's process id")
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--sources", type=int, default=1, help="source addresses 127.0.0.1..N")
    ap.add_argument("--batch", type=int, default=200, help="connections opened at a time")
    ap.add_argument("--settle", type=float, default=3.0, help="idle seconds before measuring")
    args = ap.parse_args()

    u = urllib.parse.urlsplit(args.url)
    target = (u.hostname, u.port)
    request = (f"GET {args.path} HTTP/1.1\r\nHost: {u.hostname}\r\n\r\n").encode()

    # Warm the answer (a hit from here on) before the first measurement.
    with socket.create_connection(target) as s:
        s.sendall(request)
        status, _ = read_answer(s)
        if status != 200:
            sys.exit(f"idle_conns: GET {args.path} answered {status}")
    time.sleep(args.settle)
    before = measure(args.pid)

    socks = []
    start = time.monotonic()
    while len(socks) < args.count:
        batch = []
        for _ in range(min(args.batch, args.count - len(socks))):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            if args.sources > 1:  # an explicit bind to port 0 is slow with many ports in use
                s.bind((f"127.0.0.{1 + len(socks) % args.sources}", 0))
            s.settimeout(30)
            s.connect(target)
            batch.append(s)
            socks.append(s)
        for s in batch:
            s.sendall(request)
        for s in batch:
            status, rest = read_answer(s)
            if status != 200 or rest:
                sys.exit(f"idle_conns: connection {len(socks)}: status {status}, {len(rest)} extra bytes")
    opened = time.monotonic() - start
    time.sleep(args.settle)
    idle = measure(args.pid)

    for s in socks:
        s.close()
    time.sleep(args.settle)
    after_close = measure(args.pid)

    n = args.count
    out = {
        "connections": n,
        "open_seconds": round(opened, 2),
        "before": before,
        "idle": idle,
        "after_close": after_close,
        "rss_bytes_per_conn": round((idle["rss"] - before["rss"]) / n, 1),
        "tcp_buffer_bytes_per_conn": round(
            (idle["tcp_mem_pages"] - before["tcp_mem_pages"]) * 4096 / n, 1),
    }
    if before["slab"] is not None:
        out["kernel_slab_bytes_per_conn"] = round((idle["slab"] - before["slab"]) / n, 1)
        out["kernel_note"] = "slab includes the client's half of each loopback connection"
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
