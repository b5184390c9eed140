#!/usr/bin/env bash
# Formats every C++ file of ours with clang-format 14; --check only reports (make test uses it).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=(-i)
[ "${1:-}" = "--check" ] && mode=(--dry-run --Werror)
git ls-files '*.cc' '*.h' | xargs clang-format-14 "${mode[@]}"
