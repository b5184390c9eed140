// Backoff: how long to wait before the next reconnect attempt.
//
// Exponential and capped, with full jitter (the AWS architecture blog's "Exponential Backoff
// And Jitter", 2015): attempt n waits a uniform random time in [0, min(max, initial * 2^n)],
// so that many clients that lost the same server at the same moment spread their redials
// instead of arriving together. Reset() after a success starts again from `initial`.
// One implementation for every reconnecting client (rpc peers, Cassandra nodes).
//
// Not thread-safe: each connection slot owns one and calls it under its own lock or strand.
#pragma once

#include <cstdint>
#include <random>

#include "base/clock.h"

namespace shoal {

class Backoff {
 public:
  // REQUIRES: initial > 0. A max below initial is raised to it. `seed` 0 picks a random seed.
  Backoff(Duration initial, Duration max, uint64_t seed = 0);

  // Next returns the delay before the next attempt and doubles the ceiling (up to max).
  Duration Next();
  // Reset starts again from `initial`: call it after a success.
  void Reset() { ceiling_ = initial_; }
  // ceiling is the upper bound of the delay Next will return.
  Duration ceiling() const { return ceiling_; }

 private:
  Duration initial_;
  Duration max_;
  Duration ceiling_;
  std::mt19937_64 rng_;
};

}  // namespace shoal
