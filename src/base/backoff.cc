#include "base/backoff.h"

#include <algorithm>

namespace shoal {

Backoff::Backoff(Duration initial, Duration max, uint64_t seed)
    : initial_(std::max(initial, Duration(1))),
      max_(std::max(max, initial_)),
      ceiling_(initial_),
      rng_(seed != 0 ? seed : std::random_device{}()) {}

Duration Backoff::Next() {
  std::uniform_int_distribution<Duration::rep> dist(0, ceiling_.count());
  const Duration delay(dist(rng_));
  ceiling_ = ceiling_ > max_ / 2 ? max_ : ceiling_ * 2;
  return delay;
}

}  // namespace shoal
