#include "cache/read_through.h"

#include <algorithm>
#include <utility>

namespace shoal::cache {

ReadThrough::ReadThrough(Cache& cache, Loader& loader, const Clock& clock,
                         ReadThroughOptions options, Cache* hot)
    : cache_(cache), hot_(hot), loader_(loader), clock_(clock), options_(options) {}

ReadThrough::~ReadThrough() { Shutdown(); }

EntryPtr ReadThrough::Lookup(std::string_view key, Source* source, TimePoint* now_out) {
  EntryPtr entry;
  bool hot = false;
  if (hot_ == nullptr) {
    entry = cache_.Lookup(key);
  } else {
    // A key is in at most one of the two caches (StoreLocked), so a hot copy still in this
    // thread's front table is the answer: a cluster node's hot hit then takes no main-cache
    // shard lock and probe for nothing (most of its hits are hot ones under an even load).
    const uint64_t hash = Cache::Hash(key);
    entry = hot_->LookupFront(key, hash);
    hot = entry != nullptr;
    if (!entry) entry = cache_.Lookup(key, hash);
    if (!entry) {
      entry = hot_->Lookup(key, hash);
      hot = true;
    }
  }
  if (!entry) return nullptr;
  const TimePoint now = clock_.Now();
  if (now_out != nullptr) *now_out = now;
  if (entry->IsFresh(now)) {
    hits_.Add();
    if (hot) hot_hits_.Add();
    *source = Source::kHit;
    return entry;
  }
  if (!entry->IsServable(now)) return nullptr;  // kept only for stale-if-error
  const bool local = loader_.IsLocal(key);
  bool start = false;
  {
    MutexLock lock(mu_);
    if (!shut_down_ && flights_.find(key) == flights_.end()) {
      // A refresh may have ended between the lookup above and this lock (Finish keeps its
      // entry under mu_ before it erases the flight): then the entry found now is fresh, and
      // it is served instead of starting the same refresh again.
      EntryPtr current = cache_.Lookup(key);
      const bool current_hot = !current && hot_ != nullptr;
      if (current_hot) current = hot_->Lookup(key);
      if (current && current->IsFresh(now)) {
        hits_.Add();
        if (current_hot) hot_hits_.Add();
        *source = Source::kHit;
        return current;
      }
      flights_.emplace(std::string(key), Flight{local, purges_, {}});  // a refresh nobody awaits
      ++active_loads_;
      start = true;
    }
  }
  stale_hits_.Add();
  *source = Source::kStale;
  // The scope is the one the flight was registered with: a peer's request may join a local
  // flight, so it must stay local even if the ring changes before the loader routes it.
  if (start) StartLoad(std::string(key), local ? Scope::kLocal : Scope::kCluster, /*side=*/false);
  return entry;
}

EntryPtr ReadThrough::FindServable(std::string_view key, TimePoint now) const {
  EntryPtr entry = cache_.Lookup(key);
  if (!entry && hot_ != nullptr) entry = hot_->Lookup(key);
  if (entry && entry->IsServable(now)) return entry;
  return nullptr;
}

void ReadThrough::Load(std::string_view key, Callback done, Scope scope) {
  LoadWithOutcome(
      key,
      [done = std::move(done)](Result<EntryPtr> result, const LoadOutcome& outcome) {
        done(std::move(result), outcome.source);
      },
      scope);
}

void ReadThrough::LoadWithOutcome(std::string_view key, OutcomeCallback done, Scope scope) {
  misses_.fetch_add(1, std::memory_order_relaxed);
  // Asked outside the lock: the loader may take locks of its own.
  const bool local = scope == Scope::kLocal || loader_.IsLocal(key);
  enum class Next { kJoined, kStart, kStartSide, kArrived, kCancelled } next;
  EntryPtr arrived;
  Source arrived_source = Source::kHit;
  {
    MutexLock lock(mu_);
    auto it = flights_.find(key);
    FlightMap::iterator side = side_flights_.end();
    if (!shut_down_ && it != flights_.end() && scope == Scope::kLocal && !it->second.local) {
      side = side_flights_.find(key);
    }
    if (shut_down_) {
      next = Next::kCancelled;
    } else if (it != flights_.end() && (scope == Scope::kCluster || it->second.local)) {
      dedup_waits_.fetch_add(1, std::memory_order_relaxed);
      it->second.waiters.push_back(Waiter{std::move(done), true});
      next = Next::kJoined;
    } else if (side != side_flights_.end()) {
      dedup_waits_.fetch_add(1, std::memory_order_relaxed);
      side->second.waiters.push_back(Waiter{std::move(done), true});
      next = Next::kJoined;
    } else if (EntryPtr entry = FindServable(key, clock_.Now())) {
      // Look again inside the critical section: between the caller's Lookup and this lock,
      // another caller's load may have finished and left its flight. Without this recheck
      // that key would be loaded (and counted) twice, as groupcache's Group.load explains.
      // Finish keeps the entry before it erases the flight, under this same lock.
      arrived_source = entry->IsFresh(clock_.Now()) ? Source::kHit : Source::kStale;
      arrived = std::move(entry);
      next = Next::kArrived;
    } else if (it == flights_.end()) {
      flights_.emplace(std::string(key), Flight{local, purges_, {}})
          .first->second.waiters.push_back(Waiter{std::move(done), false});
      ++active_loads_;
      next = Next::kStart;
    } else {
      // A peer's request while this node forwards the key elsewhere: load it here, beside.
      side_flights_.emplace(std::string(key), Flight{true, purges_, {}})
          .first->second.waiters.push_back(Waiter{std::move(done), false});
      ++active_loads_;
      next = Next::kStartSide;
    }
  }
  switch (next) {
    case Next::kJoined:
      return;
    case Next::kStart:
      StartLoad(std::string(key), local ? Scope::kLocal : Scope::kCluster, /*side=*/false);
      return;
    case Next::kStartSide:
      StartLoad(std::string(key), Scope::kLocal, /*side=*/true);
      return;
    case Next::kArrived:
      done(std::move(arrived), LoadOutcome{arrived_source});
      return;
    case Next::kCancelled:
      // Only the kJoined and kStart* paths moved `done`; tidy cannot see that `next` says so.
      done(Status::Cancelled("shutting down"),  // NOLINT(bugprone-use-after-move)
           LoadOutcome{Source::kMiss});
      return;
  }
}

void ReadThrough::StartLoad(std::string key, Scope scope, bool side) {
  loads_.fetch_add(1, std::memory_order_relaxed);
  // `this` outlives the load: Shutdown (run by the destructor) waits for active_loads_ == 0,
  // which Finish reaches only as its very last step.
  std::string loader_key = key;  // the loader takes its own copy; the callback keeps `key`
  loader_.Load(std::move(loader_key), scope,
               [this, key = std::move(key), side](Result<EntryPtr> result, Keep keep) {
                 Finish(key, side, std::move(result), keep);
               });
}

void ReadThrough::Finish(const std::string& key, bool side, Result<EntryPtr> result, Keep keep) {
  const bool loaded = result.ok();  // else result may become an older entry, kept as it is
  // Asked outside mu_, like IsLocal: the Loader takes a leaf lock of its own.
  const KeyPolicy policy = loader_.PolicyOf(key);
  // An entry the loader says not to keep in the main cache is another node's answer.
  LoadOutcome outcome{loaded && keep != Keep::kMain ? Source::kPeer : Source::kMiss};
  if (!loaded) {
    load_errors_.fetch_add(1, std::memory_order_relaxed);
    // Stale-if-error: an older answer beats an error, within the key's window.
    EntryPtr old = cache_.Lookup(key);
    if (!old && hot_ != nullptr) old = hot_->Lookup(key);
    const Duration window = policy.stale_if_error.value_or(options_.stale_if_error);
    if (old && clock_.Now() < old->fresh_until() + window) {
      stale_if_error_.fetch_add(1, std::memory_order_relaxed);
      outcome.source = Source::kStaleIfError;
      outcome.error = result.status().code();
      result = std::move(old);
    }
  }
  std::vector<Waiter> waiters;
  {
    MutexLock lock(mu_);
    FlightMap& map = side ? side_flights_ : flights_;
    auto it = map.find(key);
    // Keep the entry under mu_, before the flight leaves the table: a Load that finds no
    // flight then finds the entry (its recheck), and a purge that began after the flight
    // started (purges_ moved) wins over the answer it may have been too late to see.
    const bool purged = it != map.end() && it->second.purges != purges_;
    if (loaded && !purged && policy.keep) outcome.stored = StoreLocked(*result, keep, policy.group);
    if (it != map.end()) {
      waiters = std::move(it->second.waiters);
      map.erase(it);
    }
  }
  for (Waiter& waiter : waiters) {
    outcome.collapsed = waiter.collapsed;
    waiter.done(result, outcome);
  }
  MutexLock lock(mu_);
  if (--active_loads_ == 0) idle_.NotifyAll();
}

bool ReadThrough::StoreLocked(const EntryPtr& entry, Keep keep, uint32_t group) {
  if (entry->no_store()) {  // kept nowhere; an older copy must not stand in for it
    cache_.Erase(entry->key());
    if (hot_ != nullptr) hot_->Erase(entry->key());
    return false;
  }
  // Insert may refuse an entry over budget; the waiters still get it.
  if (keep == Keep::kMain) {
    // An older hot copy (kept before the ring or the owner's health changed) goes: a key is
    // in one cache at most, which lets Lookup try the hot cache's front table first.
    if (hot_ != nullptr) hot_->Erase(entry->key());
    return cache_.Insert(entry, group);
  }
  bool stored = false;
  if (hot_ != nullptr && (keep == Keep::kHot || hot_->Lookup(entry->key()) != nullptr)) {
    stored = hot_->Insert(entry, group);  // a refresh of a hot copy keeps it current
  }
  // An older copy in the main cache (loaded here while the owner was down) would otherwise
  // keep being found first, stale, for its whole grace period.
  cache_.Erase(entry->key());
  return stored;
}

size_t ReadThrough::Erase(std::string_view key, bool soft) {
  {
    MutexLock lock(mu_);
    ++purges_;
  }
  if (soft) {
    const TimePoint now = clock_.Now();
    size_t n = cache_.MarkStale(key, now) ? 1 : 0;
    if (hot_ != nullptr && hot_->MarkStale(key, now)) ++n;
    return n;
  }
  size_t n = cache_.Erase(key) ? 1 : 0;
  if (hot_ != nullptr && hot_->Erase(key)) ++n;
  return n;
}

size_t ReadThrough::PurgeGroup(uint32_t group, bool soft) {
  // Under mu_ (cheap now: one lock per shard), so that no Finish stores between the count and
  // the caches' invalidation.
  MutexLock lock(mu_);
  ++purges_;
  if (soft) {
    const TimePoint now = clock_.Now();
    size_t n = cache_.MarkGroupStale(group, now);
    if (hot_ != nullptr) n += hot_->MarkGroupStale(group, now);
    return n;
  }
  size_t n = cache_.PurgeGroup(group);
  if (hot_ != nullptr) n += hot_->PurgeGroup(group);
  return n;
}

size_t ReadThrough::PurgeTags(const std::vector<std::string_view>& tags, bool soft) {
  // As Erase: the count moves first, so that a flight begun before cannot put an entry back;
  // the caches are then visited outside mu_ (O(entries carrying the tags)).
  {
    MutexLock lock(mu_);
    ++purges_;
  }
  const TimePoint now = clock_.Now();
  size_t n = 0;
  for (const std::string_view tag : tags) {
    n += soft ? cache_.MarkTagStale(tag, now) : cache_.PurgeTag(tag);
    if (hot_ != nullptr) n += soft ? hot_->MarkTagStale(tag, now) : hot_->PurgeTag(tag);
  }
  return n;
}

EntryPtr ReadThrough::Peek(std::string_view key) {
  EntryPtr entry = cache_.Lookup(key);
  if (!entry && hot_ != nullptr) entry = hot_->Lookup(key);
  if (entry && entry->IsFresh(clock_.Now())) return entry;
  return nullptr;
}

bool ReadThrough::InFlight(std::string_view key) const {
  MutexLock lock(mu_);
  return flights_.find(key) != flights_.end() || side_flights_.find(key) != side_flights_.end();
}

void ReadThrough::Shutdown() {
  MutexLock lock(mu_);
  shut_down_ = true;
  idle_.Wait(mu_, [this]() SHOAL_REQUIRES(mu_) { return active_loads_ == 0; });
}

size_t ReadThrough::LargestFlightBucket() const {
  MutexLock lock(mu_);
  size_t largest = 0;
  for (size_t b = 0; b < flights_.bucket_count(); ++b) {
    largest = std::max(largest, flights_.bucket_size(b));
  }
  return largest;
}

ReadThroughStats ReadThrough::Stats() const {
  ReadThroughStats s;
  s.hits = hits_.value();
  s.hot_hits = hot_hits_.value();
  s.stale_hits = stale_hits_.value();
  s.misses = misses_.load(std::memory_order_relaxed);
  s.loads = loads_.load(std::memory_order_relaxed);
  s.dedup_waits = dedup_waits_.load(std::memory_order_relaxed);
  s.load_errors = load_errors_.load(std::memory_order_relaxed);
  s.stale_if_error = stale_if_error_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace shoal::cache
