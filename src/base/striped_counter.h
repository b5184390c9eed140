// StripedCounter: a counter that many threads bump without sharing a cache line.
//
// A plain std::atomic counter bumped on every request by two event loops bounces its cache
// line between the cores on every bump (each fetch_add needs the line exclusively). Here each
// thread adds into one of kStripes cells, each on its own cache line, picked once per thread
// (round-robin in order of first use), and a read sums the cells: writes stay core-local, reads
// (a metrics scrape, a stats call) pay for the sum. Same idea as Java's LongAdder.
//
// value() is exact once the writers are quiet, and otherwise a sum of per-cell snapshots that
// never runs backwards for one reader. Thread-safety: thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace shoal {

class StripedCounter {
 public:
  static constexpr size_t kStripes = 8;

  void Add(uint64_t n = 1) { cells_[Stripe()].v.fetch_add(n, std::memory_order_relaxed); }

  uint64_t value() const {
    uint64_t sum = 0;
    for (const Cell& c : cells_) sum += c.v.load(std::memory_order_relaxed);
    return sum;
  }

  // Stripe is this thread's cell index, the same for every StripedCounter.
  static size_t Stripe() {
    static std::atomic<size_t> next{0};
    thread_local const size_t stripe = next.fetch_add(1, std::memory_order_relaxed) % kStripes;
    return stripe;
  }

 private:
  struct alignas(64) Cell {
    std::atomic<uint64_t> v{0};
  };
  std::array<Cell, kStripes> cells_{};
};

}  // namespace shoal
