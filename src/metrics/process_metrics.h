// ProcessMetrics: the standard process_* series of Prometheus' client libraries, read from
// /proc/self when the page is made (nothing is sampled or kept in between):
//   process_resident_memory_bytes  /proc/self/statm resident pages x page size
//   process_cpu_seconds_total      /proc/self/stat utime + stime, in seconds
//   process_open_fds               entries of /proc/self/fd
//   process_start_time_seconds     /proc/self/stat starttime after /proc/stat btime (Unix time)
// On a system without /proc the figures read 0.
//
// Thread-safety: thread-safe (each call reads the files afresh).
#pragma once

#include <cstdint>

#include "metrics/metrics.h"

namespace shoal::metrics {

struct ProcessStats {
  uint64_t rss_bytes = 0;
  double cpu_seconds = 0;
  uint64_t open_fds = 0;
  int64_t start_time = 0;  // Unix seconds
};

// ReadProcessStats reads this process's figures now.
ProcessStats ReadProcessStats();

// ReadResidentBytes is this process's resident memory now, what VmRSS counts (the heap,
// stacks, anonymous mappings and the pages of its binary and libraries it has touched:
// /proc/self/statm's resident pages), 0 without /proc. One pread of a descriptor opened at
// the first call: cheap enough to call per megabyte cached (cache::MemoryGovernor).
uint64_t ReadResidentBytes();

// AddProcessMetrics registers the four series above in `registry`.
void AddProcessMetrics(Registry& registry);

}  // namespace shoal::metrics
