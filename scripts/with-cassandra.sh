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
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
port=${SHOAL_CASSANDRA_PORT:-9042}

banner() {
  echo "################################################################################" >&2
  echo "## $*" >&2
  echo "################################################################################" >&2
}

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
if [ $started -eq 1 ]; then
  trap '"$here/cassandra.sh" stop || true' EXIT
fi
if [ $skipped -eq 0 ]; then
  export SHOAL_REQUIRE_CASSANDRA=1
fi
export SHOAL_CASSANDRA_PORT=$port
rc=0
"$@" || rc=$?
if [ $skipped -eq 1 ]; then
  banner "CASSANDRA TESTS SKIPPED: Maven Central unreachable and no cached jars"
fi
exit $rc
