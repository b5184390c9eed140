// Zipf: draws item indices 0..n-1 with P(i) proportional to 1 / (i + 1)^s, as the shared
// workload's item ids are drawn (../shared/workload/SPEC.md; s = 1.0 there). Index 0 is the
// most popular item.
//
// How: the cumulative weights are tabulated once (8 bytes an item), and a draw is a uniform
// number over their total looked up by binary search: exact for any s >= 0, about 20 steps
// for a million items. One implementation for the benchmarks (cache_bench.cc, cluster_sim.cc).
//
// Ownership: owns its table. Thread-safety: Draw is const; give each thread its own engine.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

namespace shoal::bench {

class Zipf {
 public:
  // n of 0 is taken as 1.
  Zipf(size_t n, double s) : cdf_(std::max<size_t>(n, 1)) {
    double sum = 0;
    for (size_t i = 0; i < cdf_.size(); ++i) {
      sum += s == 1.0 ? 1.0 / static_cast<double>(i + 1) : std::pow(static_cast<double>(i + 1), -s);
      cdf_[i] = sum;
    }
  }

  template <typename Engine>
  size_t Draw(Engine& engine) const {
    std::uniform_real_distribution<double> u(0, cdf_.back());
    const auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u(engine));
    return std::min(static_cast<size_t>(it - cdf_.begin()), cdf_.size() - 1);
  }

  // Probability returns P(i).
  double Probability(size_t i) const {
    return (cdf_[i] - (i == 0 ? 0.0 : cdf_[i - 1])) / cdf_.back();
  }
  size_t size() const { return cdf_.size(); }

 private:
  std::vector<double> cdf_;  // cdf_[i]: the weights of items 0..i
};

}  // namespace shoal::bench
