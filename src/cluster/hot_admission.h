// HotAdmission: whether a node keeps a copy of another node's key in its hot cache.
//
// The rule (cluster.h, "The miss path"): every answer fetched from a key's owner is counted
// in a FrequencySketch under KeyedHash(key), and the answer is kept in the hot cache once the
// key's estimated count, this fetch included, reaches `min_hits`. With the hot cache off
// nothing is counted and nothing is kept. Cluster applies it to each owner's answer, and
// bench/cluster_sim.cc applies the same object to its simulated nodes, so the simulation's
// admissions are the product's.
//
// Ownership: owns its sketch.
// Thread-safety: Admit may be called from any number of threads at once (the sketch's rule).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/frequency_sketch.h"

namespace shoal::cluster {

struct HotAdmissionOptions {
  bool enabled = true;           // cluster.hot_memory > 0
  uint32_t min_hits = 3;         // cluster.hot_min_hits
  size_t expected_keys = 32768;  // sizes the sketch (FrequencySketchOptions::expected_keys)
};

class HotAdmission {
 public:
  explicit HotAdmission(HotAdmissionOptions options);

  // Admit counts one answer for `key` fetched from its owner and says whether to keep it in
  // the hot cache. Always false (and counts nothing) when disabled.
  bool Admit(std::string_view key);

  const FrequencySketch& sketch() const { return sketch_; }

 private:
  const bool enabled_;
  const uint32_t min_hits_;
  FrequencySketch sketch_;
};

}  // namespace shoal::cluster
