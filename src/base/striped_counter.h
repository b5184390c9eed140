// StripedCounter: a counter that many threads bump without sharing a cache line.
//
// A plain std::atomic counter bumped on every request by two event loops bounces its cache
// line between the cores on every bump (each fetch_add needs the line exclusively). Here each
// thread adds into one of kStripes cells, each on its own cache line, and a read sums the
// cells: writes stay core-local, reads (a metrics scrape, a stats call) pay for the sum. Same
// idea as Java's LongAdder. A thread takes, on its first add, the stripe that the fewest live
// threads hold, and gives it back when it exits: up to kStripes threads alive at once never
// share a cell, however many threads came and went before (a round-robin pick would wrap).
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
    thread_local Holder holder;  // per thread, so not a kConstant
    return holder.stripe;
  }

 private:
  // Holder takes a stripe for its thread and gives it back at thread exit.
  struct Holder {
    Holder() {
      auto& holders = Holders();
      while (true) {
        size_t best = 0;
        uint32_t least = holders[0].load(std::memory_order_relaxed);
        for (size_t i = 1; i < kStripes; ++i) {
          const uint32_t n = holders[i].load(std::memory_order_relaxed);
          if (n < least) {
            best = i;
            least = n;
          }
        }
        // Only one of two threads racing for the same count wins; the other looks again.
        if (holders[best].compare_exchange_weak(least, least + 1, std::memory_order_relaxed)) {
          stripe = best;
          return;
        }
      }
    }
    ~Holder() { Holders()[stripe].fetch_sub(1, std::memory_order_relaxed); }
    Holder(const Holder&) = delete;
    Holder& operator=(const Holder&) = delete;
    size_t stripe = 0;
  };
  // Holders counts the live threads holding each stripe.
  static std::array<std::atomic<uint32_t>, kStripes>& Holders() {
    static std::array<std::atomic<uint32_t>, kStripes> holders{};
    return holders;
  }

  struct alignas(64) Cell {
    std::atomic<uint64_t> v{0};
  };
  std::array<Cell, kStripes> cells_{};
};

}  // namespace shoal
