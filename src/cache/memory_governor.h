// MemoryGovernor: keeps the process's memory within a bound of the cache budget by lowering
// the caches' capacities when the process grows past it, and giving the capacity back when
// the memory stops growing.
//
// A cache charges its entries' bytes, but the process pays more: the allocator's free space
// between live blocks (fragmentation, the largest part under an evicting load), the
// per-entry overhead the charge estimates, the connections' buffers, the store's page caches.
// The operator sets one number, cache.memory, and expects the process to stay near it. So the
// governor measures what the process really holds (its resident memory, VmRSS, read from
// /proc/self/statm: one pread) against a line:
//
//   line = the resident memory at start + bound x budget - margin   (margin = budget / 32)
//
// Resident, not anonymous only: the pages of the binary and its libraries that a running node
// touches after start (gzip's, the miss path's) count against the operator's number too; at a
// small budget they were the difference between the bound and the peak.
//
// and acts on growth past that line, AIMD-style:
//   - cut: when the memory is above the line and higher than at the last cut, the caches'
//     capacity falls by that growth (all caches in proportion to their configured sizes; they
//     evict at once), and the allocator gives its whole free pages back (give_back), so the
//     memory read next shows what the cut freed. Free space the allocator cannot give back
//     (partly used pages) stays, so a second look at the same level cuts nothing more: the
//     caches then reuse the space they freed. Never below `floor` x the budget.
//   - give back: after `probe_after` without growth, the capacity rises by one margin, up to
//     the budget; if the memory grows again, the next check cuts that back.
// So the process's resident memory stays within about bound x budget of its empty level
// (plus what grows between two checks: one check every budget / 64 bytes inserted, and one a
// second from the node's sampler), and the caches hold as much as the allocator lets them.
//
// Thread-safety: thread-safe. Check may be called from any thread; a call while another runs
// returns at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "base/clock.h"
#include "base/logger.h"
#include "cache/cache.h"

namespace shoal::cache {

struct MemoryGovernorOptions {
  size_t budget = 0;    // the caches' configured capacities together (cache.memory)
  double bound = 1.25;  // growth allowed over the memory at start, x budget
  double floor = 0.5;   // the capacity never falls below floor x budget
  Duration probe_after = std::chrono::seconds(10);  // without growth, before giving back
  // The process's resident bytes now (metrics::ReadResidentBytes in a node).
  std::function<uint64_t()> read_memory;
  // After a cut: hands the whole free pages the allocator holds back to the kernel
  // (malloc_trim(0) in a node), so that the next reading shows what the cut freed. May be empty.
  std::function<void()> give_back;
};

class MemoryGovernor {
 public:
  // `caches` (null ones are skipped) keep their construction-time capacities as their share of
  // `options.budget`; the memory at start is read here.
  MemoryGovernor(MemoryGovernorOptions options, const std::vector<Cache*>& caches,
                 const Clock& clock, Logger* logger = nullptr);
  MemoryGovernor(const MemoryGovernor&) = delete;
  MemoryGovernor& operator=(const MemoryGovernor&) = delete;

  // Watch makes every cache call Check each time budget / 64 bytes (at least 64 KiB) were
  // inserted into it (Cache::SetInsertWatch).
  void Watch();

  // Check reads the memory once and cuts or gives back capacity (see above).
  void Check();

  size_t capacity() const { return capacity_.load(std::memory_order_relaxed); }
  uint64_t line() const { return line_; }  // the level above which growth is cut
  uint64_t cuts() const { return cuts_.load(std::memory_order_relaxed); }

 private:
  void Apply(size_t capacity);

  const MemoryGovernorOptions options_;
  const Clock& clock_;
  Logger* const logger_;
  struct Governed {
    Cache* cache;
    size_t configured;
  };
  std::vector<Governed> caches_;
  uint64_t margin_ = 0;
  uint64_t line_ = 0;
  size_t floor_ = 0;
  std::atomic<size_t> capacity_{0};
  std::atomic<uint64_t> cuts_{0};
  std::mutex mu_;           // held by one Check at a time (try_lock)
  uint64_t answered_ = 0;   // the highest memory above the line already cut for
  TimePoint calm_since_{};  // the last cut or give-back
  size_t lowest_ = 0;       // the lowest capacity so far
  LogLimiter cut_lines_{std::chrono::seconds(10), 1};  // a cut's line, at most every 10 s
};

}  // namespace shoal::cache
