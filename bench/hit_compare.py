#!/usr/bin/env python3
"""hit_compare: two builds of shoal_hit_bench, alternated run by run; medians of CPU time.

  bench/hit_compare.py BEFORE_BINARY AFTER_BINARY [RUNS]

Runs BM_ApiHit (args 0 and 2) and BM_ApiHitWithHeaders (where the build has it), 1 thread,
RUNS times each (default 9), before and after in turn so that a noisy machine's changes hit
both alike; prints each benchmark's median CPU ns per hit and its runs. On a shared machine
read the ratios, not the nanoseconds (docs/PERFORMANCE.md).
"""
import json
import statistics
import subprocess
import sys

FILTER = "BM_ApiHit(WithHeaders)?/[02]/real_time/threads:1"


def main():
    before, after = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 9
    results = {}
    for _ in range(runs):
        for tag, binary in (("before", before), ("after", after)):
            out = subprocess.run(
                [binary, "--benchmark_filter=" + FILTER, "--benchmark_min_time=0.3",
                 "--benchmark_format=json"],
                capture_output=True, text=True, check=True).stdout
            for b in json.loads(out)["benchmarks"]:
                results.setdefault((tag, b["name"]), []).append(b["cpu_time"])
    for (tag, name), cpu in sorted(results.items()):
        print(f"{tag:6} {name:45} median {statistics.median(cpu):7.0f} ns  runs "
              + " ".join(str(round(c)) for c in cpu))


if __name__ == "__main__":
    main()
