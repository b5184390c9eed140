#!/usr/bin/env bash
# The Python virtualenv of the tests that need PyPI packages (tests/openapi_test.py and its
# openapi-spec-validator): ~/.cache/shoal/venv (SHOAL_VENV overrides), built from Debian's
# python3 (python3-venv, scripts/install-deps.sh) with exactly the pinned versions of
# scripts/test-requirements.txt. Idempotent and fast: when the venv was built from the same
# requirements (a stamp holds their hash) it does nothing.
#
#   scripts/test-venv.sh             make or refresh the venv (make deps runs it)
#   scripts/test-venv.sh run ARGS    the same, quietly, then exec the venv's python with ARGS
#                                    (how ctest runs tests/openapi_test.py)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${SHOAL_VENV:-$HOME/.cache/shoal/venv}"
requirements="$here/test-requirements.txt"
python="${SHOAL_VENV_PYTHON:-/usr/bin/python3}"

want="$(sha256sum "$requirements" | cut -d' ' -f1) $("$python" -c 'import sys; print(sys.version.split()[0])')"
if [ "$(cat "$venv/.shoal-stamp" 2>/dev/null)" != "$want" ] || [ ! -x "$venv/bin/python" ]; then
  echo "test-venv: building $venv" >&2
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    --requirement "$requirements" >&2
  echo "$want" > "$venv/.shoal-stamp"
fi

if [ "${1:-}" = "run" ]; then
  shift
  exec "$venv/bin/python" "$@"
fi
