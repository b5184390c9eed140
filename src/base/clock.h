// Clock: where time comes from, so that tests can move it.
//
// All deadlines in shoal are steady_clock time points. Production code uses
// SystemClock::Get(); tests inject a ManualClock and advance it. Both are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <ctime>

namespace shoal {

using Duration = std::chrono::steady_clock::duration;
using TimePoint = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  // Get returns the process-wide instance; it lives for the whole program.
  static const Clock& Get() {
    static const SystemClock kClock;
    return kClock;
  }
};

// CoarseNow is steady_clock's time (CLOCK_MONOTONIC) at the kernel tick's resolution (1 to 4
// ms behind), without reading the hardware counter: for deadlines that tolerate that, such as
// a connection's timeouts, read twice per request.
inline TimePoint CoarseNow() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::seconds(ts.tv_sec) +
                                                        std::chrono::nanoseconds(ts.tv_nsec)));
}

// ManualClock starts at an arbitrary fixed point and moves only when told.
class ManualClock final : public Clock {
 public:
  ManualClock() = default;
  TimePoint Now() const override {
    return TimePoint(Duration(now_.load(std::memory_order_acquire)));
  }
  void Advance(Duration d) { now_.fetch_add(d.count(), std::memory_order_acq_rel); }

 private:
  std::atomic<Duration::rep> now_{
      std::chrono::duration_cast<Duration>(std::chrono::hours(1)).count()};
};

}  // namespace shoal
