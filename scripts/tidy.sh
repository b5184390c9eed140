#!/usr/bin/env bash
# clang-tidy (.clang-tidy) over every .cc in src/, or over the files given; make test runs it.
#   scripts/tidy.sh              every file; a file whose content hash was clean before is skipped
#   scripts/tidy.sh --no-cache   every file, checked again
#   scripts/tidy.sh FILE...      those files (through the cache; add --no-cache to force)
# Uses build/clang/compile_commands.json, configuring the clang preset for it (no build needed).
# Prints the findings, a summary (files checked, cached, findings) and exits 1 on any finding.
# The cache is ~/.cache/shoal/tidy/ (SHOAL_TIDY_CACHE overrides); scripts/tidy.py explains it.
set -euo pipefail
cd "$(dirname "$0")/.."
# Configure every time: new .cc files and changed flags reach compile_commands.json (about 2 s).
cmake --preset clang >/dev/null
exec python3 scripts/tidy.py "$@"
