// ring_bench: micro-benchmarks of the cluster's per-miss decisions, with Google Benchmark.
//
// What routing a miss costs before any network: HashRing::Owner (hash the key, binary search
// over the ring's points) with 3 and 16 nodes at the default 160 points per node, and
// FrequencySketch::Record / RecordAndAdmit (4 remixes, 4 compare-and-swaps, one shared
// counter) on 1 and 2 threads over one sketch. Keys are canonical request targets like
// "/v1/items/12345", 65,536 of them in turn, so the branch predictor cannot learn the
// search's path and the hashes are of real lengths.
//
// Ownership: each benchmark owns its ring; the shared sketch is a function-local static that
// lives for the whole run. Not a test: nothing here can fail.
// Thread-safety: the rings are read only; the sketch is thread-safe by design.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "base/frequency_sketch.h"
#include "base/hash.h"
#include "cluster/hash_ring.h"

namespace shoal::bench {
namespace {

constexpr size_t kKeys = 1 << 16;

const std::vector<std::string>& Keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    k.reserve(kKeys);
    for (size_t i = 0; i < kKeys; ++i) {
      // Mostly items, some review lists, as in the shared request mix.
      k.push_back(i % 4 == 3 ? "/v1/items/" + std::to_string(10000 + i) + "/reviews?limit=10"
                             : "/v1/items/" + std::to_string(10000 + i));
    }
    return k;
  }();
  return keys;
}

std::vector<std::string> Nodes(int64_t n) {
  std::vector<std::string> nodes;
  for (int64_t i = 0; i < n; ++i) nodes.push_back("10.0.0." + std::to_string(i + 1) + ":7070");
  return nodes;
}

void BM_RingOwner(benchmark::State& state) {
  const cluster::HashRing ring(Nodes(state.range(0)));
  const std::vector<std::string>& keys = Keys();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(&ring.Owner(keys[i]));
    i = (i + 1) & (kKeys - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RingOwner)->Arg(3)->Arg(16);

// The key's Hash64 alone, to separate hashing from searching in BM_RingOwner.
void BM_KeyHash(benchmark::State& state) {
  const std::vector<std::string>& keys = Keys();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(cluster::HashRing::KeyPosition(keys[i]));
    i = (i + 1) & (kKeys - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeyHash);

FrequencySketch& SharedSketch() {
  static FrequencySketch sketch({.expected_keys = 16384});
  return sketch;
}

// Record of a precomputed hash (the caller hashes the key once for the cache anyway).
void BM_SketchRecord(benchmark::State& state) {
  FrequencySketch& sketch = SharedSketch();
  const std::vector<std::string>& keys = Keys();
  std::vector<uint64_t> hashes;
  hashes.reserve(kKeys);
  for (const std::string& key : keys) hashes.push_back(Hash64(key));
  size_t i = static_cast<size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    sketch.Record(hashes[i & (kKeys - 1)]);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SketchRecord)->Threads(1)->Threads(2);

// What the cluster does per remote miss: hash the key, record it, compare to a threshold.
void BM_SketchRecordAndAdmitKey(benchmark::State& state) {
  FrequencySketch& sketch = SharedSketch();
  const std::vector<std::string>& keys = Keys();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sketch.RecordAndAdmit(Hash64(keys[i]), 3));
    i = (i + 1) & (kKeys - 1);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SketchRecordAndAdmitKey);

}  // namespace
}  // namespace shoal::bench

BENCHMARK_MAIN();
