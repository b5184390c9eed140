#include "cache/read_through.h"

#include <utility>

namespace shoal::cache {

ReadThrough::ReadThrough(Cache& cache, Loader& loader, const Clock& clock,
                         ReadThroughOptions options)
    : cache_(cache), loader_(loader), clock_(clock), options_(options) {}

ReadThrough::~ReadThrough() { Shutdown(); }

EntryPtr ReadThrough::Lookup(std::string_view key, Source* source) {
  EntryPtr entry = cache_.Lookup(key);
  if (!entry) return nullptr;
  const TimePoint now = clock_.Now();
  if (entry->IsFresh(now)) {
    hits_.fetch_add(1, std::memory_order_relaxed);
    *source = Source::kHit;
    return entry;
  }
  if (!entry->IsServable(now)) return nullptr;  // kept only for stale-if-error
  stale_hits_.fetch_add(1, std::memory_order_relaxed);
  *source = Source::kStale;
  bool start = false;
  {
    MutexLock lock(mu_);
    if (!shut_down_ && flights_.find(key) == flights_.end()) {
      flights_.emplace(std::string(key), Flight{});  // a refresh nobody waits for
      ++active_loads_;
      start = true;
    }
  }
  if (start) StartLoad(std::string(key));
  return entry;
}

void ReadThrough::Load(std::string_view key, Callback done) {
  misses_.fetch_add(1, std::memory_order_relaxed);
  enum class Next { kJoined, kStart, kArrived, kCancelled } next;
  EntryPtr arrived;
  Source arrived_source = Source::kHit;
  {
    MutexLock lock(mu_);
    if (shut_down_) {
      next = Next::kCancelled;
    } else if (auto it = flights_.find(key); it != flights_.end()) {
      dedup_waits_.fetch_add(1, std::memory_order_relaxed);
      it->second.waiters.push_back(std::move(done));
      next = Next::kJoined;
    } else {
      // Look again inside the critical section: between the caller's Lookup and this lock,
      // another caller's load may have finished and left its flight. Without this recheck
      // that key would be loaded (and counted) twice, as groupcache's Group.load explains.
      // Finish inserts into the cache before it erases the flight, under this same lock.
      EntryPtr entry = cache_.Lookup(key);
      const TimePoint now = clock_.Now();
      if (entry && entry->IsServable(now)) {
        arrived_source = entry->IsFresh(now) ? Source::kHit : Source::kStale;
        arrived = std::move(entry);
        next = Next::kArrived;
      } else {
        flights_.emplace(std::string(key), Flight{})
            .first->second.waiters.push_back(std::move(done));
        ++active_loads_;
        next = Next::kStart;
      }
    }
  }
  switch (next) {
    case Next::kJoined:
      return;
    case Next::kStart:
      StartLoad(std::string(key));
      return;
    case Next::kArrived:
      done(std::move(arrived), arrived_source);
      return;
    case Next::kCancelled:
      done(Status::Cancelled("shutting down"), Source::kMiss);
      return;
  }
}

void ReadThrough::StartLoad(std::string key) {
  loads_.fetch_add(1, std::memory_order_relaxed);
  // `this` outlives the load: Shutdown (run by the destructor) waits for active_loads_ == 0,
  // which Finish reaches only as its very last step.
  loader_.Load(key, [this, key](Result<EntryPtr> result) { Finish(key, std::move(result)); });
}

void ReadThrough::Finish(const std::string& key, Result<EntryPtr> result) {
  Source source = Source::kMiss;
  if (result.ok()) {
    cache_.Insert(*result);  // may refuse an entry over budget; the waiters still get it
  } else {
    load_errors_.fetch_add(1, std::memory_order_relaxed);
    // Stale-if-error: an older answer beats an error, within the configured window.
    EntryPtr old = cache_.Lookup(key);
    if (old && clock_.Now() < old->fresh_until() + options_.stale_if_error) {
      stale_if_error_.fetch_add(1, std::memory_order_relaxed);
      source = Source::kStaleIfError;
      result = std::move(old);
    }
  }
  std::vector<Callback> waiters;
  {
    MutexLock lock(mu_);
    auto it = flights_.find(key);
    if (it != flights_.end()) {
      waiters = std::move(it->second.waiters);
      flights_.erase(it);
    }
  }
  for (auto& waiter : waiters) waiter(result, source);
  MutexLock lock(mu_);
  if (--active_loads_ == 0) idle_.NotifyAll();
}

void ReadThrough::Shutdown() {
  MutexLock lock(mu_);
  shut_down_ = true;
  idle_.Wait(mu_, [this]() SHOAL_REQUIRES(mu_) { return active_loads_ == 0; });
}

ReadThroughStats ReadThrough::Stats() const {
  ReadThroughStats s;
  s.hits = hits_.load(std::memory_order_relaxed);
  s.stale_hits = stale_hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  s.loads = loads_.load(std::memory_order_relaxed);
  s.dedup_waits = dedup_waits_.load(std::memory_order_relaxed);
  s.load_errors = load_errors_.load(std::memory_order_relaxed);
  s.stale_if_error = stale_if_error_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace shoal::cache
