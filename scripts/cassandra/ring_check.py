#!/usr/bin/env python3
"""Ring readiness check for scripts/cassandra-ring.sh (stdlib only, uses cql.py).

  ring_check.py ADDRESS [ADDRESS ...]

Ready when every ADDRESS answers CQL on port 9042 and, seen from each of them:
  - system.peers_v2 lists exactly the other ADDRESSes, each with a host_id;
  - system_views.gossip_info shows every ADDRESS with status_with_port NORMAL and rpc_ready;
  - one schema version across system.local and system.peers_v2, the same on all nodes.
Then prints one line per node, "ADDRESS DC RACK HOST_ID", and exits 0. Otherwise
prints the first reason it is not ready on stderr and exits 1.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cql  # noqa: E402


class NotReady(Exception):
    pass


def view(address, timeout):
    try:
        conn = cql.Connection(address, 9042, timeout)
    except OSError as e:
        raise NotReady("%s: no CQL connection (%s)" % (address, e))
    try:
        conn.startup()
        local = conn.query("SELECT host_id, schema_version, data_center, rack FROM system.local")
        peers = conn.query("SELECT peer, host_id, schema_version FROM system.peers_v2")
        # Peers gossip only STATUS_WITH_PORT (the legacy STATUS is null for them).
        gossip = conn.query(
            "SELECT address, status_with_port, rpc_ready FROM system_views.gossip_info")
    except (OSError, ValueError, ConnectionError, cql.CqlError) as e:
        raise NotReady("%s: %s" % (address, e))
    finally:
        conn.close()
    if len(local["rows"]) != 1:
        raise NotReady("%s: system.local has no row" % address)
    host_id, schema, dc, rack = local["rows"][0]
    return {
        "host_id": host_id,
        "schema": {schema} | {row[2] for row in peers["rows"]},
        "dc": dc,
        "rack": rack,
        "peers": {str(row[0]): row[1] for row in peers["rows"]},
        "gossip": {str(row[0]): (row[1] or "", row[2]) for row in gossip["rows"]},
    }


def check(addresses, timeout):
    views = {a: view(a, timeout) for a in addresses}
    schemas = set()
    for a, v in views.items():
        others = set(addresses) - {a}
        if set(v["peers"]) != others:
            raise NotReady("%s sees peers %s, expected %s" % (a, sorted(v["peers"]), sorted(others)))
        for p, host_id in v["peers"].items():
            if host_id is None:
                raise NotReady("%s: peer %s has no host_id yet" % (a, p))
        for b in addresses:
            status, rpc_ready = v["gossip"].get(b, ("", None))
            if not status.startswith("NORMAL") or str(rpc_ready).lower() != "true":
                raise NotReady("%s sees %s as %s (rpc_ready %s)" % (a, b, status or "unknown", rpc_ready))
        if None in v["schema"] or len(v["schema"]) != 1:
            raise NotReady("%s: no schema agreement yet (%s)" % (a, sorted(map(str, v["schema"]))))
        schemas |= v["schema"]
    if len(schemas) != 1:
        raise NotReady("nodes disagree on the schema version (%s)" % sorted(map(str, schemas)))
    return views


def main():
    addresses = sys.argv[1:]
    if not addresses:
        print("usage: ring_check.py ADDRESS [ADDRESS ...]", file=sys.stderr)
        return 2
    try:
        views = check(addresses, 5.0)
    except NotReady as e:
        print("not ready: %s" % e, file=sys.stderr)
        return 1
    for a in addresses:
        v = views[a]
        print("%s %s %s %s" % (a, v["dc"], v["rack"], v["host_id"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
