#!/usr/bin/env python3
"""Minimal CQL native protocol v4 client for scripts/cassandra.sh (stdlib only).

Why hand-written instead of the `cassandra-driver` package: it needs nothing
but python3, so `cql` and the readiness probe work on a fresh machine with no
PyPI access and no venv, start in ~50 ms, and do exactly one thing per call
(no cluster discovery, reconnection policies or background threads).

Usage:
  cql.py [--host H] [--port P] [--timeout S] STATEMENT [STATEMENT ...]
      Runs each statement in order on one connection (so "USE ks" carries over)
      and prints rows as an aligned table followed by "(N rows)". Other results
      print one line (OK / schema change / keyspace). Pages through results.
  cql.py [--host H] [--port P] [--timeout S] --probe
      Readiness probe: OPTIONS must answer SUPPORTED, then
      SELECT release_version FROM system.local must return a row; prints the
      release version. Exit 0 when ready, 1 when not (yet).

Exit codes: 0 ok, 1 connection/protocol failure, 2 the server answered ERROR.
"""

import argparse
import datetime
import decimal
import ipaddress
import os
import socket
import struct
import sys
import uuid

VERSION = 0x04
RESPONSE = 0x84
OP_ERROR, OP_STARTUP, OP_READY, OP_AUTHENTICATE = 0x00, 0x01, 0x02, 0x03
OP_AUTH_RESPONSE, OP_AUTH_SUCCESS = 0x0F, 0x10
OP_OPTIONS, OP_SUPPORTED, OP_QUERY, OP_RESULT = 0x05, 0x06, 0x07, 0x08
CONSISTENCY_ONE = 0x0001
PAGE_SIZE = 5000


class CqlError(Exception):
    """The server answered with an ERROR frame."""

    def __init__(self, code, message):
        super().__init__("error 0x%04x: %s" % (code, message))
        self.code = code


class Reader:
    """Cursor over one frame body; every read checks bounds."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError("truncated frame body")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def byte(self):
        return self.take(1)[0]

    def short(self):
        return struct.unpack(">H", self.take(2))[0]

    def int(self):
        return struct.unpack(">i", self.take(4))[0]

    def string(self):
        return self.take(self.short()).decode("utf-8")

    def long_string(self):
        return self.take(self.int()).decode("utf-8")

    def bytes(self):
        n = self.int()
        return None if n < 0 else self.take(n)

    def short_bytes(self):
        return self.take(self.short())

    def string_list(self):
        return [self.string() for _ in range(self.short())]

    def string_multimap(self):
        return {self.string(): self.string_list() for _ in range(self.short())}

    def option(self):
        """A column type: (id, parameters)."""
        tid = self.short()
        if tid == 0x0000:
            return (tid, self.string())
        if tid in (0x0020, 0x0022):
            return (tid, self.option())
        if tid == 0x0021:
            return (tid, (self.option(), self.option()))
        if tid == 0x0030:
            ks, name = self.string(), self.string()
            fields = [(self.string(), self.option()) for _ in range(self.short())]
            return (tid, (ks, name, fields))
        if tid == 0x0031:
            return (tid, [self.option() for _ in range(self.short())])
        return (tid, None)


def enc_string(s):
    b = s.encode("utf-8")
    return struct.pack(">H", len(b)) + b


def enc_long_string(s):
    b = s.encode("utf-8")
    return struct.pack(">i", len(b)) + b


def enc_string_map(m):
    return struct.pack(">H", len(m)) + b"".join(enc_string(k) + enc_string(v) for k, v in m.items())


class Connection:
    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.settimeout(timeout)
        self.stream = 0

    def close(self):
        self.sock.close()

    def _recv_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("server closed the connection")
            buf += chunk
        return bytes(buf)

    def request(self, opcode, body=b""):
        """Sends one frame, returns (opcode, Reader over the body) of its reply."""
        self.stream = (self.stream + 1) % 0x7FFF
        self.sock.sendall(struct.pack(">BBhBi", VERSION, 0, self.stream, opcode, len(body)) + body)
        while True:
            version, flags, stream, op, length = struct.unpack(">BBhBi", self._recv_exact(9))
            if version != RESPONSE:
                raise ConnectionError("unexpected protocol version byte 0x%02x" % version)
            r = Reader(self._recv_exact(length))
            if stream != self.stream:
                continue  # an event or a stale reply; not ours
            if flags & 0x01:
                raise ConnectionError("compressed frame received but none was negotiated")
            if flags & 0x02:
                r.take(16)  # tracing id
            if flags & 0x08:
                for w in r.string_list():
                    print("warning: " + w, file=sys.stderr)
            if flags & 0x04:
                for _ in range(r.short()):
                    r.string()
                    r.bytes()
            if op == OP_ERROR:
                code = r.int()
                raise CqlError(code, r.string())
            return op, r

    def options(self):
        op, r = self.request(OP_OPTIONS)
        if op != OP_SUPPORTED:
            raise ConnectionError("OPTIONS answered opcode 0x%02x, not SUPPORTED" % op)
        return r.string_multimap()

    def startup(self):
        op, _ = self.request(OP_STARTUP, enc_string_map({"CQL_VERSION": "3.0.0"}))
        if op == OP_AUTHENTICATE:
            # PasswordAuthenticator (SASL PLAIN): "\0user\0password", from the environment.
            user = os.environ.get("SHOAL_CASSANDRA_USER", "cassandra").encode()
            password = os.environ.get("SHOAL_CASSANDRA_PASSWORD", "cassandra").encode()
            token = b"\0" + user + b"\0" + password
            op, _ = self.request(OP_AUTH_RESPONSE, struct.pack(">i", len(token)) + token)
            if op != OP_AUTH_SUCCESS:
                raise ConnectionError("AUTH_RESPONSE answered opcode 0x%02x, not AUTH_SUCCESS" % op)
            return
        if op != OP_READY:
            raise ConnectionError("STARTUP answered opcode 0x%02x, not READY" % op)

    def query(self, statement):
        """Runs one statement, following pages. Returns a result dict."""
        paging_state = None
        result = None
        while True:
            flags = 0x04  # page size
            tail = struct.pack(">i", PAGE_SIZE)
            if paging_state is not None:
                flags |= 0x08
                tail += struct.pack(">i", len(paging_state)) + paging_state
            params = struct.pack(">HB", CONSISTENCY_ONE, flags) + tail
            op, r = self.request(OP_QUERY, enc_long_string(statement) + params)
            if op != OP_RESULT:
                raise ConnectionError("QUERY answered opcode 0x%02x, not RESULT" % op)
            page = parse_result(r)
            if result is None:
                result = page
            else:
                result["rows"].extend(page["rows"])
            paging_state = page.get("paging_state")
            if page["kind"] != "rows" or paging_state is None:
                return result


def parse_result(r):
    kind = r.int()
    if kind == 0x0001:
        return {"kind": "void"}
    if kind == 0x0003:
        return {"kind": "set_keyspace", "keyspace": r.string()}
    if kind == 0x0005:
        change, target = r.string(), r.string()
        names = [r.string()]
        if target != "KEYSPACE":
            names.append(r.string())
        if target in ("FUNCTION", "AGGREGATE"):
            names.append(",".join(r.string_list()))
        return {"kind": "schema_change", "change": change, "target": target, "names": names}
    if kind != 0x0002:
        return {"kind": "other", "code": kind}
    flags = r.int()
    ncols = r.int()
    paging_state = r.bytes() if flags & 0x0002 else None
    columns = []
    if not flags & 0x0004:
        if flags & 0x0001:
            r.string()
            r.string()
        for _ in range(ncols):
            if not flags & 0x0001:
                r.string()
                r.string()
            columns.append((r.string(), r.option()))
    rows = []
    for _ in range(r.int()):
        rows.append([decode(columns[i][1] if columns else (0x0003, None), r.bytes()) for i in range(ncols)])
    return {"kind": "rows", "columns": [c[0] for c in columns], "rows": rows, "paging_state": paging_state}


def varint(b):
    return int.from_bytes(b, "big", signed=True) if b else 0


def read_vint(r):
    """Cassandra's zig-zag unsigned vint (used by duration)."""
    first = r.byte()
    extra = 0
    mask = 0x80
    while first & mask and extra < 8:
        extra += 1
        mask >>= 1
    value = first & (0xFF >> extra) if extra < 8 else 0
    for _ in range(extra):
        value = (value << 8) | r.byte()
    return (value >> 1) ^ -(value & 1)


FIXED_CUSTOM = {
    "org.apache.cassandra.db.marshal.FloatType": (4, (0x0008, None)),
    "org.apache.cassandra.db.marshal.DoubleType": (8, (0x0007, None)),
    "org.apache.cassandra.db.marshal.Int32Type": (4, (0x0009, None)),
    "org.apache.cassandra.db.marshal.LongType": (8, (0x0002, None)),
}


def fmt_duration(months, days, nanos):
    """CQL duration literal, e.g. 1h2m or -3d."""
    sign = "-" if months < 0 or days < 0 or nanos < 0 else ""
    months, days, nanos = abs(months), abs(days), abs(nanos)
    parts = [(months // 12, "y"), (months % 12, "mo"), (days, "d")]
    for unit, name in ((3600 * 10**9, "h"), (60 * 10**9, "m"), (10**9, "s"), (10**6, "ms"), (10**3, "us"), (1, "ns")):
        parts.append((nanos // unit, name))
        nanos %= unit
    text = "".join("%d%s" % (n, name) for n, name in parts if n)
    return sign + (text or "0s")


def decode_custom(cls, b):
    if cls == "org.apache.cassandra.db.marshal.DurationType":
        r = Reader(b)
        return fmt_duration(read_vint(r), read_vint(r), read_vint(r))
    prefix = "org.apache.cassandra.db.marshal.VectorType("
    if cls.startswith(prefix) and cls.endswith(")"):
        elem, _, dim = cls[len(prefix):-1].rpartition(",")
        if elem.strip() in FIXED_CUSTOM:
            size, opt = FIXED_CUSTOM[elem.strip()]
            n = int(dim)
            if len(b) == size * n:
                return [decode(opt, b[i * size:(i + 1) * size]) for i in range(n)]
    return b


def decode(opt, b):
    """Bytes of one value -> a Python value (None for null)."""
    if b is None:
        return None
    tid, param = opt
    if tid in (0x0001, 0x000D):
        return b.decode("utf-8")
    if tid in (0x0002, 0x0005):
        return struct.unpack(">q", b)[0]
    if tid == 0x0003:
        return b
    if tid == 0x0004:
        return b != b"\x00"
    if tid == 0x0006:
        return decimal.Decimal(varint(b[4:])).scaleb(-struct.unpack(">i", b[:4])[0])
    if tid == 0x0007:
        return struct.unpack(">d", b)[0]
    if tid == 0x0008:
        return struct.unpack(">f", b)[0]
    if tid == 0x0009:
        return struct.unpack(">i", b)[0]
    if tid == 0x000B:
        ms = struct.unpack(">q", b)[0]
        try:
            return datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(milliseconds=ms)
        except OverflowError:
            return ms  # outside years 1..9999: print the raw milliseconds
    if tid in (0x000C, 0x000F):
        return uuid.UUID(bytes=b)
    if tid == 0x000E:
        return varint(b)
    if tid == 0x0010:
        return ipaddress.ip_address(b)
    if tid == 0x0011:
        days = struct.unpack(">I", b)[0] - (1 << 31)
        try:
            return datetime.date(1970, 1, 1) + datetime.timedelta(days=days)
        except OverflowError:
            return days
    if tid == 0x0012:
        ns = struct.unpack(">q", b)[0]
        s, ns = divmod(ns, 1_000_000_000)
        return "%02d:%02d:%02d.%09d" % (s // 3600, s // 60 % 60, s % 60, ns)
    if tid == 0x0013:
        return struct.unpack(">h", b)[0]
    if tid == 0x0014:
        return struct.unpack(">b", b)[0]
    if tid in (0x0020, 0x0022):
        r = Reader(b)
        items = [decode(param, r.bytes()) for _ in range(r.int())]
        return items if tid == 0x0020 else set_repr(items)
    if tid == 0x0021:
        r = Reader(b)
        return {Hashable(decode(param[0], r.bytes())): decode(param[1], r.bytes()) for _ in range(r.int())}
    if tid == 0x0030:
        r = Reader(b)
        out = udt_repr()
        for name, fopt in param[2]:
            if r.pos >= len(b):
                break  # fields added after the value was written
            out[name] = decode(fopt, r.bytes())
        return out
    if tid == 0x0031:
        r = Reader(b)
        return tuple(decode(o, r.bytes()) if r.pos < len(b) else None for o in param)
    if tid == 0x0000:
        return decode_custom(param, b)
    return b


class Hashable:
    """Wraps a map key so unhashable decoded values (lists, dicts) can be keys."""

    def __init__(self, v):
        self.v = v

    def __hash__(self):
        return hash(fmt(self.v))

    def __eq__(self, other):
        return fmt(self.v) == fmt(other.v)


class set_repr(list):
    """A decoded set: printed with braces."""


class udt_repr(dict):
    """A decoded user-defined type: field names print unquoted."""


def fmt(v):
    """cqlsh-like text for one value."""
    if v is None:
        return "null"
    if isinstance(v, Hashable):
        return fmt(v.v)
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, (bytes, bytearray)):
        return "0x" + v.hex()
    if isinstance(v, datetime.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (v.microsecond // 1000) + "+0000"
    if isinstance(v, set_repr):
        return "{" + ", ".join(fmt_inner(x) for x in v) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(fmt_inner(x) for x in v) + "]"
    if isinstance(v, tuple):
        return "(" + ", ".join(fmt_inner(x) for x in v) + ")"
    if isinstance(v, udt_repr):
        return "{" + ", ".join("%s: %s" % (k, fmt_inner(x)) for k, x in v.items()) + "}"
    if isinstance(v, dict):
        return "{" + ", ".join("%s: %s" % (fmt_inner(k), fmt_inner(x)) for k, x in v.items()) + "}"
    return str(v)


def fmt_inner(v):
    if isinstance(v, Hashable):
        v = v.v
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    return fmt(v)


def print_result(res):
    kind = res["kind"]
    if kind == "rows":
        cols = res["columns"] or ["col%d" % i for i in range(len(res["rows"][0]) if res["rows"] else 0)]
        cells = [[fmt(v) for v in row] for row in res["rows"]]
        widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(cols)]
        print(" | ".join(c.ljust(w) for c, w in zip(cols, widths)).rstrip())
        print("-+-".join("-" * w for w in widths))
        for row in cells:
            print(" | ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
        print("\n(%d rows)" % len(cells))
    elif kind == "schema_change":
        print("%s %s %s" % (res["change"], res["target"], ".".join(res["names"])))
    elif kind == "set_keyspace":
        print("USE %s" % res["keyspace"])
    else:
        print("OK")


def main():
    ap = argparse.ArgumentParser(description="one-shot CQL v4 client")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9042)
    ap.add_argument("--timeout", type=float, default=30.0, help="socket timeout per request, seconds")
    ap.add_argument("--probe", action="store_true")
    ap.add_argument("statements", nargs="*")
    args = ap.parse_args()
    if not args.probe and not args.statements:
        ap.error("give a STATEMENT or --probe")
    try:
        conn = Connection(args.host, args.port, args.timeout)
    except OSError as e:
        print("cql: cannot connect to %s:%d: %s" % (args.host, args.port, e), file=sys.stderr)
        return 1
    try:
        if args.probe:
            conn.options()
            conn.startup()
            res = conn.query("SELECT release_version FROM system.local")
            if res["kind"] != "rows" or len(res["rows"]) != 1:
                print("cql: system.local returned no row", file=sys.stderr)
                return 1
            print(res["rows"][0][0])
            return 0
        conn.startup()
        for stmt in args.statements:
            print_result(conn.query(stmt))
        return 0
    except CqlError as e:
        print("cql: " + str(e), file=sys.stderr)
        return 2
    except (OSError, ValueError, ConnectionError) as e:
        print("cql: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())
