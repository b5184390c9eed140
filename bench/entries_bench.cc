// entries_bench: what each cached entry costs in memory, and what a hit costs, as the number of
// entries grows (issue 18, item 7).
//
// Fills a real shoal::cache::Cache (W-TinyLFU, a budget far above what is inserted, so nothing
// is evicted) with N entries of 24-byte keys and 16-byte bodies, reading VmRSS from
// /proc/self/status before and after: (after - before) / N is what an entry really costs the
// process, and that minus the key's and the body's 40 bytes is the overhead per entry (the
// Entry object with its count and ETag, malloc's header and rounding, the shard's node and its
// index slot; the sketch is sized by the budget, and is in the empty cache's RSS). Then
// times Lookup hits of keys drawn uniformly over the N (one thread; the per-thread front table
// holds 1024 of them, so almost every hit takes the shard path: the cost of a large working
// set, cache misses in the index included).
//
// Usage: shoal_entries_bench --entries N [--lookups L]   (defaults: 1,000,000 and 2,000,000)
// Ownership: everything is local to main. Thread-safety: one thread.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "base/bytes.h"
#include "cache/cache.h"
#include "cache/entry.h"

namespace shoal::bench {
namespace {

constexpr size_t kKeyBytes = 24;
constexpr size_t kBodyBytes = 16;

// Key i as exactly 24 bytes: "/v1/items/" and 14 digits.
std::string KeyOf(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "/v1/items/%014llu", static_cast<unsigned long long>(i));
  return std::string(buf, kKeyBytes);
}

size_t RssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

double CpuSeconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

size_t Arg(int argc, char** argv, const char* name, size_t fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], name) == 0) return std::strtoull(argv[i + 1], nullptr, 10);
  }
  return fallback;
}

int Main(int argc, char** argv) {
  const size_t n = Arg(argc, argv, "--entries", 1000000);
  const size_t lookups = Arg(argc, argv, "--lookups", 2000000);
  const Bytes body = Bytes::Copy(std::string(kBodyBytes, 'b'));
  const TimePoint now = TimePoint();
  // The budget only bounds: 1 KiB an entry is far above what one charges.
  const size_t before = RssBytes();
  cache::Cache cache({.capacity_bytes = n * 1024});
  const size_t empty = RssBytes();
  for (size_t i = 0; i < n; ++i) {
    cache::EntryOptions o;
    o.key = KeyOf(i);
    o.body = Bytes::Copy(body.view());  // each entry its own buffer, as a load makes
    o.created = now;
    o.fresh_until = now + std::chrono::hours(1);
    o.stale_until = o.fresh_until;
    if (!cache.Insert(cache::Entry::Make(std::move(o)))) return 1;
  }
  const size_t after = RssBytes();
  const cache::CacheStats stats = cache.Stats();
  if (stats.entries != n || stats.evictions != 0) return 1;

  std::mt19937_64 rng(1);
  std::vector<std::string> probe(1 << 16);
  for (std::string& k : probe) k = KeyOf(rng() % n);
  size_t found = 0;
  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (size_t i = 0; i < lookups; ++i)
    found += cache.Lookup(probe[i & (probe.size() - 1)]) ? size_t{1} : size_t{0};
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = CpuSeconds() - cpu0;
  if (found != lookups) return 1;

  const double per_entry = static_cast<double>(after - empty) / static_cast<double>(n);
  std::printf(
      "entries %zu: RSS empty cache %.1f MiB (sketches %.1f MiB), full %.1f MiB; %.1f B an entry "
      "(charged %.1f), %.1f B beyond its %zu-byte key and %zu-byte body; sizeof(Entry) %zu; "
      "hit %.0f ns wall, %.0f ns CPU (%zu lookups, uniform keys)\n",
      n, static_cast<double>(empty) / (1 << 20), static_cast<double>(empty - before) / (1 << 20),
      static_cast<double>(after) / (1 << 20), per_entry,
      static_cast<double>(stats.bytes) / static_cast<double>(n),
      per_entry - static_cast<double>(kKeyBytes + kBodyBytes), kKeyBytes, kBodyBytes,
      sizeof(cache::Entry), wall * 1e9 / static_cast<double>(lookups),
      cpu * 1e9 / static_cast<double>(lookups), lookups);
  return 0;
}

}  // namespace
}  // namespace shoal::bench

int main(int argc, char** argv) { return shoal::bench::Main(argc, argv); }
