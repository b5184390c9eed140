// trace_sim: hit ratios of the main cache's admission policies against Belady's optimum.
//
// Replays synthetic request traces against the real shoal::cache::Cache, once with CLOCK and
// once with W-TinyLFU (CacheOptions::admission), as a read-through cache uses it: Lookup, and
// on a miss Insert of a new entry. Every entry has the same charge (fixed-width keys, 16-byte
// bodies), so the budget is a number of entries and Belady's MIN, computed offline (on a miss
// with the cache full, drop whichever of the cached keys and the new one is next asked for
// furthest in the future; a key never asked for again first), is the exact optimum for that
// many entries. The cache is split in 16 shards by key hash, each with its 16th of the budget;
// Belady gets the whole budget as one pool (the sum of what the shards hold), so the gap also
// includes what sharding costs.
//
// Traces, over a key space of 10x the budget:
//   zipf-0.8   Zipf(0.8) draws;
//   zipf-1.0   Zipf(1.0) draws;
//   zipf+scan  Zipf(1.0) draws, interrupted after every 5x the budget of them by a scan of 2x
//              the budget of keys asked for once each (never seen before or after).
// Hit ratios count every request of the trace, the cold misses at the start included.
//
// Usage: shoal_trace_sim [--entries N] [--requests R] [--seed S]
//   (defaults: 20000 entries, 2,000,000 requests, seed 1). Prints a Markdown table.
// Ownership: everything is local to main. Thread-safety: one thread.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iterator>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "cache/cache.h"
#include "cache/entry.h"
#include "zipf.h"

namespace shoal::bench {
namespace {

constexpr size_t kBodyBytes = 16;

std::string KeyOf(uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "/k/%012llu", static_cast<unsigned long long>(id));
  return buf;
}

cache::EntryPtr MakeEntry(const std::string& key) {
  cache::EntryOptions o;
  o.key = key;
  o.body = Bytes::Copy(std::string(kBodyBytes, 'b'));
  o.created = TimePoint();
  o.fresh_until = o.created + std::chrono::hours(1);
  o.stale_until = o.fresh_until;
  o.etag = "\"0123456789abcdef\"";
  return cache::Entry::Make(std::move(o));
}

// What one entry charges the cache (all entries of a trace charge the same).
size_t EntryCharge() {
  cache::Cache probe({.capacity_bytes = 1 << 20});
  probe.Insert(MakeEntry(KeyOf(0)));
  return probe.Stats().bytes;
}

using Trace = std::vector<uint64_t>;  // key ids

Trace ZipfTrace(size_t keys, double s, size_t requests, uint64_t seed) {
  const Zipf zipf(keys, s);
  std::mt19937_64 rng(seed);
  Trace t(requests);
  for (uint64_t& id : t) id = zipf.Draw(rng);
  return t;
}

Trace ZipfScanTrace(size_t keys, size_t budget, size_t requests, uint64_t seed) {
  const Zipf zipf(keys, 1.0);
  std::mt19937_64 rng(seed);
  Trace t;
  t.reserve(requests);
  uint64_t next_scan_id = keys;  // scan keys lie beyond the Zipf key space
  while (t.size() < requests) {
    for (size_t i = 0; i < 5 * budget && t.size() < requests; ++i) t.push_back(zipf.Draw(rng));
    for (size_t i = 0; i < 2 * budget && t.size() < requests; ++i) t.push_back(next_scan_id++);
  }
  return t;
}

double CacheHitRatio(const Trace& trace, size_t capacity_bytes, cache::Admission admission,
                     size_t* held) {
  cache::Cache c({.capacity_bytes = capacity_bytes, .admission = admission});
  uint64_t hits = 0;
  for (uint64_t id : trace) {
    const std::string key = KeyOf(id);
    if (c.Lookup(key) != nullptr) {
      ++hits;
    } else {
      c.Insert(MakeEntry(key));
    }
  }
  *held = c.Stats().entries;
  return static_cast<double>(hits) / static_cast<double>(trace.size());
}

double BeladyHitRatio(const Trace& trace, size_t slots) {
  constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();
  // next[i]: the index of the next request for trace[i]'s key after i (kNever: none).
  std::vector<uint64_t> next(trace.size());
  {
    std::vector<uint64_t> seen;
    for (size_t i = trace.size(); i-- > 0;) {
      if (trace[i] >= seen.size()) seen.resize(trace[i] + 1, kNever);
      next[i] = seen[trace[i]];
      seen[trace[i]] = i;
    }
  }
  std::set<std::pair<uint64_t, uint64_t>> cached;  // (next use, key), furthest last
  std::vector<uint64_t> cached_next;               // by key id; kNever + 0: not cached
  uint64_t hits = 0;
  for (size_t i = 0; i < trace.size(); ++i) {
    const uint64_t id = trace[i];
    if (id >= cached_next.size()) cached_next.resize(id + 1, 0);
    if (cached_next[id] != 0) {  // stored as next use + 1, so that 0 means absent
      ++hits;
      cached.erase({cached_next[id] - 1, id});
    } else if (cached.size() >= slots) {
      auto furthest = std::prev(cached.end());
      if (next[i] >= furthest->first) continue;  // the new key is the one to drop
      cached_next[furthest->second] = 0;
      cached.erase(furthest);
    }
    if (next[i] == kNever) {  // never asked for again: keeping it gains nothing
      cached_next[id] = 0;
      continue;
    }
    cached.insert({next[i], id});
    cached_next[id] = next[i] + 1;
  }
  return static_cast<double>(hits) / static_cast<double>(trace.size());
}

// The best a policy that keeps a fixed set can do: the `slots` keys asked for most often in the
// trace stay cached (each one's first request a miss). For requests drawn independently, as
// the Zipf ones are, this is the ceiling of any online policy (perfect LFU); Belady, who knows
// the future order, does better.
double TopKeysHitRatio(const Trace& trace, size_t slots) {
  std::vector<uint64_t> counts;
  for (uint64_t id : trace) {
    if (id >= counts.size()) counts.resize(id + 1, 0);
    ++counts[id];
  }
  const size_t n = std::min(slots, counts.size());
  std::partial_sort(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(n), counts.end(),
                    std::greater<>());
  uint64_t hits = 0;
  for (size_t i = 0; i < n; ++i) hits += counts[i] > 0 ? counts[i] - 1 : 0;
  return static_cast<double>(hits) / static_cast<double>(trace.size());
}

size_t Arg(int argc, char** argv, const char* name, size_t fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::strtoull(argv[i + 1], nullptr, 10);
  }
  return fallback;
}

int Main(int argc, char** argv) {
  const size_t entries = Arg(argc, argv, "--entries", 20000);
  const size_t requests = Arg(argc, argv, "--requests", 2000000);
  const uint64_t seed = Arg(argc, argv, "--seed", 1);
  const size_t charge = EntryCharge();
  // 16 shards, each holding exactly entries / 16 entries of this charge.
  const size_t per_shard = (entries + 15) / 16;
  const size_t capacity = 16 * per_shard * charge;
  const size_t slots = 16 * per_shard;
  const size_t keys = 10 * slots;
  std::printf(
      "budget: %zu entries of %zu bytes (%zu-byte keys, %zu-byte bodies), %zu keys, %zu "
      "requests, seed %llu\n\n",
      slots, charge, KeyOf(0).size(), kBodyBytes, keys, requests,
      static_cast<unsigned long long>(seed));
  std::printf("| trace | CLOCK | W-TinyLFU | top keys (static) | Belady | W-TinyLFU / Belady |\n");
  std::printf("|---|---|---|---|---|---|\n");
  const std::pair<const char*, Trace> traces[] = {
      {"zipf-0.8", ZipfTrace(keys, 0.8, requests, seed)},
      {"zipf-1.0", ZipfTrace(keys, 1.0, requests, seed + 1)},
      {"zipf+scan", ZipfScanTrace(keys, slots, requests, seed + 2)},
  };
  for (const auto& [name, trace] : traces) {
    size_t clock_held = 0, lfu_held = 0;
    const double clock = CacheHitRatio(trace, capacity, cache::Admission::kClock, &clock_held);
    const double lfu = CacheHitRatio(trace, capacity, cache::Admission::kTinyLfu, &lfu_held);
    const double top = TopKeysHitRatio(trace, slots);
    const double best = BeladyHitRatio(trace, slots);
    std::printf("| %s | %.4f | %.4f | %.4f | %.4f | %.3f |\n", name, clock, lfu, top, best,
                lfu / best);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace shoal::bench

int main(int argc, char** argv) { return shoal::bench::Main(argc, argv); }
