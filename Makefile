# The two commands of the README, and a few more. Every target installs what it needs first.
#   make demo   build a Release binary, generate the demo catalog, serve it on 127.0.0.1:8080
#   make demo-cassandra   the same catalog loaded into and served from a local Cassandra
#   make test   format and layer checks, clang-tidy (make lint), the clang build with
#               -Wthread-safety -Werror (make test-clang), then the dev, asan, tsan and fuzz
#               workflows (build + ctest) with a real Cassandra up (scripts/with-cassandra.sh);
#               the dev suite also runs the ring tests on a 3-node ring (scripts/cassandra-ring.sh)
#               and the network-fault tests through Toxiproxy (scripts/toxiproxy.sh)
#   make test-ring   only the ring tests (label cassandra_ring), ring and single node around them
#   make test-faults only the network-fault tests (label cluster_faults), Toxiproxy installed first
#   make package     the .deb (CPack) from the release build: build/release/shoal_VERSION-1_ARCH.deb
#   make test-package  make package, then its test (lintian, dpkg --root, the unit, --version)
.PHONY: test-solr demo demo-cassandra test deps release test-dev test-asan test-tsan test-fuzz test-clang test-ring \
        test-faults package test-package \
        check lint bench format clean

SHELL := /bin/bash
# scripts/install-deps.sh (make deps) installs dnsmasq, so the peers_dns tests may not skip.
export SHOAL_REQUIRE_DNSMASQ ?= 1
# ... and prometheus (promtool), so the metrics page test may not skip its promtool check.
export SHOAL_REQUIRE_PROMTOOL ?= 1
export CCACHE_DIR ?= $(HOME)/.cache/ccache
# Paths relative to the checkout, so that clones and worktrees at other paths share the cache.
export CCACHE_BASEDIR ?= $(CURDIR)
export CCACHE_NOHASHDIR ?= true

deps:
	@scripts/install-deps.sh
	@scripts/test-venv.sh

release: deps
	cmake --preset release >/dev/null
	cmake --build --preset release --target shoal

demo: release
	./build/release/src/cli/shoal demo $(DEMO_ARGS)

# The same catalog served from a real Cassandra (started, schema applied, loaded with shoal load).
demo-cassandra: release
	scripts/demo-cassandra.sh

check: deps
	scripts/format.sh --check
	scripts/check-layers.sh

# clang-tidy over every .cc in src/; a file whose hash (file, headers, flags, .clang-tidy) was
# clean before is not checked again (scripts/tidy.sh, cache in ~/.cache/shoal/tidy).
lint: deps
	scripts/tidy.sh

# Every target built by clang 14 with -Wthread-safety -Werror: the Mutex annotations are checked.
test-clang: deps
	cmake --workflow --preset clang

# The dev suite also runs the network-fault tests (label cluster_faults) through a Toxiproxy
# that scripts/toxiproxy.sh installs with `go install` (once, into ~/.cache/shoal/toxiproxy);
# they are then required (SHOAL_REQUIRE_TOXIPROXY=1). Without Go or the Go module proxy they
# skip, and the script says so loudly.
test-dev: deps
	scripts/toxiproxy.sh with cmake --workflow --preset dev

test-asan: deps
	cmake --workflow --preset asan

test-tsan: deps
	cmake --workflow --preset tsan

test-fuzz: deps
	cmake --workflow --preset fuzz

# The ring tests alone: they need the single node's jars and a 3-node ring (a few minutes).
test-ring: deps
	cmake --preset dev >/dev/null
	cmake --build --preset dev --target shoal cassandra_ring_test
	scripts/with-cassandra.sh ctest --preset dev -L cassandra_ring

# The network-fault tests alone (label cluster_faults, about a minute): Toxiproxy between three
# nodes (scripts/toxiproxy.sh installs it once).
test-faults: deps
	cmake --preset dev >/dev/null
	cmake --build --preset dev --target shoal cluster_faults_test
	scripts/toxiproxy.sh with ctest --preset dev -L cluster_faults

# The Solr tests alone (label solr): a Solr 9.10.1 from Maven Central jars (scripts/solr.sh).
test-solr: deps
	cmake --preset dev >/dev/null
	cmake --build --preset dev --target shoal solr_fetch_test
	SHOAL_SOLR_FRESH=1 scripts/solr.sh with ctest --preset dev -L solr --output-on-failure

# One Cassandra for every suite's `cassandra` tests and one 3-node ring for the dev suite's
# `cassandra_ring` tests, and one Solr for every suite's `solr` tests: started once, stopped at
# the end (SHOAL_RING=0: no ring, those skip).
test: check lint test-clang
	SHOAL_SOLR_FRESH=1 scripts/with-cassandra.sh scripts/solr.sh with \
	  $(MAKE) --no-print-directory test-dev test-asan test-tsan test-fuzz
	$(MAKE) --no-print-directory test-package
	@echo "make test: lint, clang build, dev, asan, tsan, fuzz and package suites passed"

# The micro-benchmarks (Google Benchmark, release build), the 100-node cluster simulation (about
# a minute), then the end-to-end run.
bench: deps
	scripts/install-deps.sh --bench
	cmake --preset release >/dev/null
	cmake --build --preset release --target shoal shoal_micro_bench shoal_hit_bench shoal_ring_bench \
	  shoal_route_bench shoal_cluster_sim
	mkdir -p bench/out
	build/release/bench/shoal_micro_bench --benchmark_min_time=0.2 | tee bench/out/micro.txt
	build/release/bench/shoal_hit_bench --benchmark_min_time=0.2 | tee bench/out/hit.txt
	build/release/bench/shoal_ring_bench --benchmark_min_time=0.2 | tee bench/out/ring.txt
	build/release/bench/shoal_route_bench --benchmark_min_time=0.2 | tee bench/out/route.txt
	build/release/bench/shoal_cluster_sim --json | tee bench/out/cluster_sim.txt
	bench/run.sh $(BENCH_ARGS)

# The .deb: the release build (the one `make demo` uses, built once), then cpack
# (cmake/package.cmake). SHOAL_PACKAGE_TEST registers the package's ctest in that build only.
package: deps
	cmake --preset release -DSHOAL_PACKAGE_TEST=ON >/dev/null
	cmake --build --preset release --target shoal shoal_package_files
	cd build/release && cpack

# The package's test (tests/package_test.sh, label package): lintian without errors, installed
# into a scratch root with dpkg --root, files, modes, the unit (systemd-analyze verify), --version.
test-package: package
	ctest --test-dir build/release -L package --output-on-failure

format: deps
	scripts/format.sh

clean:
	rm -rf build
