#!/usr/bin/env bash
# Installs the Debian packages shoal builds, tests and benchmarks with, when any is missing.
# Idempotent and quiet when everything is there. Needs root (or sudo) only to install.
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache make pkg-config
  libboost1.81-dev libsqlite3-dev sqlite3 libyaml-cpp-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev libssl-dev openssl rapidjson-dev libspdlog-dev
  liblz4-dev libc-ares-dev dnsmasq-base
  libsystemd-dev dpkg-dev fakeroot lintian systemd file
  # Cassandra and Solr run from Maven Central jars on JDK 17 (scripts/solr.sh compiles a small
  # launcher with javac).
  maven openjdk-17-jre-headless openjdk-17-jdk-headless
  clang-14 libclang-rt-14-dev clang-format-14 clang-tidy-14 python3 curl
  # llvm-profdata-14 and llvm-cov-14 for scripts/fuzz-coverage.sh.
  llvm-14
  # The dashboard test (headless Chromium over the DevTools protocol), promtool and PyYAML
  # (the monitoring examples test).
  chromium python3-websocket python3-yaml prometheus
  # gdb: a test whose shoal does not stop in time prints every thread's stack (shoal_process.cc).
  gdb
  # The tests' PyPI packages go into a venv (scripts/test-venv.sh) built with Debian's python3.
  python3-venv
)
if [ "${1:-}" = "--bench" ]; then packages+=(wrk linux-perf strace liburing-dev); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
