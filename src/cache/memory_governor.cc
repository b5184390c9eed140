#include "cache/memory_governor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>

namespace shoal::cache {

namespace {
constexpr size_t kMiB = size_t{1} << 20;

std::string MiB(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", double(bytes) / kMiB);
  return text;
}
std::string Bound(double bound) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", bound);
  return text;
}
}  // namespace

MemoryGovernor::MemoryGovernor(MemoryGovernorOptions options, const std::vector<Cache*>& caches,
                               const Clock& clock, Logger* logger)
    : options_(std::move(options)),
      clock_(clock),
      logger_(logger),
      margin_(options_.budget / 32),
      floor_(static_cast<size_t>(double(options_.budget) * options_.floor)),
      lowest_(options_.budget) {
  for (Cache* cache : caches) {
    if (cache != nullptr) caches_.push_back(Governed{cache, cache->capacity_bytes()});
  }
  const auto allowed =
      static_cast<uint64_t>(std::llround(double(options_.budget) * options_.bound));
  line_ = options_.read_memory() + allowed - std::min(allowed, margin_);
  capacity_.store(options_.budget, std::memory_order_relaxed);
  calm_since_ = clock_.Now();
}

void MemoryGovernor::Watch() {
  const size_t every = std::max<size_t>(options_.budget / 64, size_t{64} << 10);
  for (const Governed& g : caches_) g.cache->SetInsertWatch(every, [this] { Check(); });
}

void MemoryGovernor::Check() {
  std::unique_lock lock(mu_, std::try_to_lock);
  if (!lock.owns_lock()) return;
  const uint64_t memory = options_.read_memory();
  const TimePoint now = clock_.Now();
  const size_t capacity = capacity_.load(std::memory_order_relaxed);
  if (memory <= line_) answered_ = 0;
  const uint64_t ceiling = std::max(line_, answered_);
  if (memory > ceiling) {
    // Grown past the line, or past the level the last cut answered: cut that growth.
    const uint64_t growth = memory - ceiling;
    const size_t cut =
        capacity - std::max<size_t>(floor_, capacity > growth ? capacity - growth : 0);
    answered_ = memory;
    calm_since_ = now;
    if (cut == 0) return;
    Apply(capacity - cut);
    cuts_.fetch_add(1, std::memory_order_relaxed);
    if (options_.give_back) {
      options_.give_back();
      // What the cut freed in whole pages is gone now: growth is measured from what is left.
      const uint64_t left = options_.read_memory();
      answered_ = left <= line_ ? 0 : std::min(answered_, left);
    }
    // A cut below the lowest capacity so far is news (warn, at most every 10 s); cutting back a
    // give-back that did not fit is the steady state (debug).
    const bool new_low = capacity - cut < lowest_;
    lowest_ = std::min(lowest_, capacity - cut);
    cut_lines_.Write(
        Log(logger_, "cache"), new_low ? LogLevel::kWarn : LogLevel::kDebug,
        "memory: the process holds " + MiB(memory) + " of resident memory, over its line of " +
            MiB(line_) + " (its size at start + " + Bound(options_.bound) +
            " x cache.memory - a margin of " + MiB(margin_) + "); the caches now hold at most " +
            MiB(capacity - cut) + " of their " + MiB(options_.budget),
        now);
    return;
  }
  if (capacity < options_.budget && now - calm_since_ >= options_.probe_after) {
    // No growth for a while: try one margin more (a growth it causes is cut back next time).
    const size_t raised = std::min(options_.budget, capacity + std::max<size_t>(margin_, 1));
    Apply(raised);
    calm_since_ = now;
    if (raised == options_.budget) {
      Log(logger_, "cache")
          .Info("memory: the caches hold their whole " + MiB(options_.budget) + " again");
    }
  }
}

void MemoryGovernor::Apply(size_t capacity) {
  capacity_.store(capacity, std::memory_order_relaxed);
  for (const Governed& g : caches_) {
    const double share = options_.budget == 0 ? 0 : double(g.configured) / double(options_.budget);
    g.cache->SetCapacity(static_cast<size_t>(double(capacity) * share));
  }
}

}  // namespace shoal::cache
