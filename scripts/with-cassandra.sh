#!/usr/bin/env bash
# Runs a command with a real Cassandra up for the tests labelled `cassandra`:
#
#   scripts/with-cassandra.sh make test-dev test-asan ...
#
# A Cassandra already answering on SHOAL_CASSANDRA_PORT (default 9042) is used and left
# running; otherwise scripts/cassandra.sh starts one and it is stopped when the command ends,
# whatever its outcome. The command then runs with SHOAL_REQUIRE_CASSANDRA=1, so a Cassandra
# test that finds no server fails instead of skipping. When Maven Central cannot be reached
# and the jars are not cached (cassandra.sh exit 3), the command still runs, the Cassandra
# tests skip, and this says so loudly at the start and at the end.
#
# Unless SHOAL_RING=0, it also starts the multi-node ring of scripts/cassandra-ring.sh (3 nodes
# on 127.0.0.2-4, wiped first) for the tests labelled `cassandra_ring`, exports where it is
# (SHOAL_CASSANDRA_RING=127.0.0.2:9042,..., SHOAL_CASSANDRA_RING_SCRIPT) with
# SHOAL_REQUIRE_CASSANDRA_RING=1, and stops it when the command ends, whatever its outcome.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
port=${SHOAL_CASSANDRA_PORT:-9042}

banner() {
  echo "################################################################################" >&2
  echo "## $*" >&2
  echo "################################################################################" >&2
}

# The single node serves TLS and plain CQL on the same port (client_encryption_options with
# optional: true), so the TLS tests run against it beside every other test.
export SHOAL_CASSANDRA_TLS=${SHOAL_CASSANDRA_TLS:-1}
started=0
skipped=0
if "$here/cassandra.sh" status >/dev/null 2>&1; then
  echo "with-cassandra: using the Cassandra already running on 127.0.0.1:$port" >&2
else
  rc=0
  "$here/cassandra.sh" start || rc=$?
  case $rc in
    0) started=1 ;;
    3) skipped=1
       banner "CASSANDRA TESTS SKIPPED: Maven Central unreachable and no cached jars" ;;
    *) echo "with-cassandra: scripts/cassandra.sh start failed (exit $rc)" >&2
       exit "$rc" ;;
  esac
fi
ring_started=0
cleanup() {
  if [ $ring_started -eq 1 ]; then "$here/cassandra-ring.sh" stop || true; fi
  if [ $started -eq 1 ]; then "$here/cassandra.sh" stop || true; fi
}
trap cleanup EXIT
if [ $skipped -eq 0 ]; then
  export SHOAL_REQUIRE_CASSANDRA=1
  # TLS tests are required when the node really has TLS (one started by hand may not).
  state=${SHOAL_CASSANDRA_DATA:-${XDG_CACHE_HOME:-$HOME/.cache}/shoal/cassandra-data-$port}/instance.env
  if grep -q '^tls_dir=.' "$state" 2>/dev/null; then export SHOAL_REQUIRE_CASSANDRA_TLS=1; fi
fi
if [ "${SHOAL_RING:-1}" != 0 ] && [ $skipped -eq 0 ]; then
  rc=0
  "$here/cassandra-ring.sh" start 3 || rc=$?
  case $rc in
    0) ring_started=1
       SHOAL_CASSANDRA_RING=$("$here/cassandra-ring.sh" nodes | awk '$6 == "up" { printf "%s%s:9042", sep, $2; sep = "," }')
       export SHOAL_CASSANDRA_RING SHOAL_CASSANDRA_RING_SCRIPT=$here/cassandra-ring.sh SHOAL_REQUIRE_CASSANDRA_RING=1
       echo "with-cassandra: ring up: $SHOAL_CASSANDRA_RING" >&2 ;;
    3) banner "CASSANDRA RING TESTS SKIPPED: Maven Central unreachable and no cached jars" ;;
    *) echo "with-cassandra: scripts/cassandra-ring.sh start failed (exit $rc)" >&2
       exit "$rc" ;;
  esac
elif [ "${SHOAL_RING:-1}" = 0 ]; then
  echo "with-cassandra: SHOAL_RING=0: no ring, the cassandra_ring tests skip" >&2
fi
export SHOAL_CASSANDRA_PORT=$port
rc=0
"$@" || rc=$?
if [ $skipped -eq 1 ]; then
  banner "CASSANDRA TESTS SKIPPED: Maven Central unreachable and no cached jars"
  banner "CASSANDRA RING TESTS SKIPPED: Maven Central unreachable and no cached jars"
fi
exit $rc
