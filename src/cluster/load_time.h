// LoadTimeEstimate: a running estimate of how long this node's store loads take (an
// exponentially weighted mean, weight 1/8), so that an owner can refuse at once a peer's GET
// whose remaining deadline is too short for a load to finish (Cluster::ServeGet).
// Thread-safety: thread-safe (one atomic; concurrent updates may lose one sample).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#include "base/clock.h"

namespace shoal::cluster {

class LoadTimeEstimate {
 public:
  void Add(Duration sample) {
    const int64_t s = std::chrono::duration_cast<std::chrono::nanoseconds>(sample).count();
    const int64_t old = nanos_.load(std::memory_order_relaxed);
    nanos_.store(old == 0 ? s : old + (s - old) / 8, std::memory_order_relaxed);
  }
  Duration Get() const {
    return std::chrono::duration_cast<Duration>(
        std::chrono::nanoseconds(nanos_.load(std::memory_order_relaxed)));
  }

 private:
  std::atomic<int64_t> nanos_{0};
};

}  // namespace shoal::cluster
