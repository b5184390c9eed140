// ReadThrough: the cache's read path: hits, singleflight misses, stale-while-revalidate,
// stale-if-error, and the hot cache of a cluster node.
//
// Lookup answers from memory: a fresh entry as is; a stale one (past fresh_until, before
// stale_until) as is too, after starting one background refresh for its key. A miss goes
// through Load: the first caller for a key starts one Loader::Load; every later caller for
// the same key, until that load completes, waits for the same result (singleflight). A
// waiter that stops waiting (its request timed out) simply ignores its callback; the load
// goes on for the others. When a load fails and the cache still holds an entry for the key
// within `stale_if_error` past its freshness, that entry is served instead of the error.
//
// In a cluster, the Loader sends a key that another node owns to that node, and says where
// the answer is kept here (Keep): the main cache for keys loaded from this node's store, the
// optional hot cache for copies of other nodes' keys that are asked for often, or nowhere.
// A key is kept in one of the two at most (storing it in one drops it from the other).
// Lookup looks in the hot cache's front table (this thread's copies, no lock), then in the
// main cache, then in the hot cache.
//
// Flights and scopes. A request from a peer loads with Scope::kLocal: it must be answered
// from this node's store, never forwarded again. It joins a flight already loading the key
// from this store, but not one that forwards the key to another node (if two nodes briefly
// disagree about the owner, each would wait on the other until a deadline): it then starts a
// second, local flight beside it. Every other load joins whatever flight exists for the key.
// So a key normally has one flight per node, and at most two while the ring changes.
//
// Purges go through ReadThrough (Erase, PurgeGroup), not straight to the caches, so that a
// load already in flight when a purge runs cannot put the purged answer back: each flight
// remembers the purge count when it starts, and Finish keeps its entry only if no purge ran
// meanwhile (the waiters still get it). Entries are kept in the purge group the Loader names
// (Loader::PolicyOf: the api's endpoint), so that PurgeGroup invalidates a whole endpoint in
// O(1) (Cache::PurgeGroup); the same KeyPolicy may say never to keep a key's entries, and how
// long its older entry may stand in for an error. PurgeTags removes the entries carrying any of
// some tags (Cache::PurgeTag). Every purge may be soft: the entries are marked stale
// (Entry::MarkStale) instead of removed, so the next Lookup serves them stale and starts the one
// refresh; a soft purge counts as a purge for the flights too (a load begun before it is not kept,
// and the entry stays stale until a load begun after it lands). Entries marked no_store (too many
// tags) answer the waiters and are kept nowhere; an older copy of their key is dropped.
//
// Ownership: ReadThrough borrows the caches, Loader and Clock, which must outlive it. Every
// load it starts is counted; Shutdown (and the destructor) waits for them all.
// Thread-safety: thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/keyed_hash.h"
#include "base/mutex.h"
#include "base/status.h"
#include "base/striped_counter.h"
#include "cache/cache.h"
#include "cache/loader.h"

namespace shoal::cache {

// Source says how an answer was found; the api reports it as Cache-Status (and X-Cache).
enum class Source : unsigned char {
  kHit,           // fresh entry in memory
  kStale,         // stale entry in memory; a refresh was started or is running
  kMiss,          // loaded (or joined a load) just now
  kStaleIfError,  // the load failed; an older entry was served instead
  kPeer,          // loaded just now from another node, the key's owner (the Loader said to keep
                  // it as a copy, Keep::kHot or kNone); a kMiss as far as X-Cache goes
};

struct ReadThroughOptions {
  // How long past fresh_until an entry may still be served when the store fails (for keys
  // whose KeyPolicy sets none).
  Duration stale_if_error = std::chrono::hours(1);
};

// LoadOutcome says how a Load's answer came about (the api's Cache-Status, RFC 9211).
struct LoadOutcome {
  explicit LoadOutcome(Source s = Source::kMiss) : source(s) {}
  Source source;
  bool stored = false;     // the loaded entry was kept in this node's main or hot cache
  bool collapsed = false;  // this Load joined a load that another caller (or a refresh) began
  StatusCode error = StatusCode::kOk;  // with kStaleIfError: the failed load's code
};

struct ReadThroughStats {
  uint64_t hits = 0;            // fresh hits (hot_hits included)
  uint64_t hot_hits = 0;        // fresh hits found in the hot cache
  uint64_t stale_hits = 0;      // stale hits (each may start a refresh)
  uint64_t misses = 0;          // Load calls
  uint64_t loads = 0;           // Loader::Load calls actually made (misses + refreshes)
  uint64_t dedup_waits = 0;     // Load calls that joined a load already in flight
  uint64_t load_errors = 0;     // loads that failed
  uint64_t stale_if_error = 0;  // errors answered with an older entry
};

class ReadThrough {
 public:
  using Callback = std::function<void(Result<EntryPtr>, Source)>;
  using OutcomeCallback = std::function<void(Result<EntryPtr>, const LoadOutcome&)>;

  // `hot` is the hot cache for copies of other nodes' keys; null on a single node.
  ReadThrough(Cache& cache, Loader& loader, const Clock& clock, ReadThroughOptions options = {},
              Cache* hot = nullptr);
  ~ReadThrough();  // calls Shutdown
  ReadThrough(const ReadThrough&) = delete;
  ReadThrough& operator=(const ReadThrough&) = delete;

  // Lookup returns a servable entry (fresh or stale) and sets *source, or null on a miss.
  // A stale entry starts a background refresh unless one is already running for the key.
  // Allocates nothing on a fresh hit.
  EntryPtr Lookup(std::string_view key, Source* source, TimePoint* now = nullptr);

  // Load is the miss path: it calls `done` exactly once, on the loading thread or (when
  // the entry arrived meanwhile, or after Shutdown) on the caller's, possibly before
  // returning. The result is the entry (possibly negative) or the load's error.
  void Load(std::string_view key, Callback done, Scope scope = Scope::kCluster);
  // LoadWithOutcome is Load whose callback also learns whether the entry was stored and
  // whether this call joined another's load.
  void LoadWithOutcome(std::string_view key, OutcomeCallback done, Scope scope = Scope::kCluster);

  // Erase removes `key` from the main and hot caches (`soft`: marks it stale); returns how
  // many entries went (or were marked).
  size_t Erase(std::string_view key, bool soft = false);
  // PurgeGroup invalidates every entry of `group` in both caches without visiting them
  // (Cache::PurgeGroup; `soft`: Cache::MarkGroupStale); returns how many valid entries the
  // group had.
  size_t PurgeGroup(uint32_t group, bool soft = false);
  // PurgeTags removes every entry carrying one of `tags` from both caches (`soft`: marks
  // them stale); returns how many went (soft: how many this call marked, each once).
  size_t PurgeTags(const std::vector<std::string_view>& tags, bool soft = false);

  // Peek returns a fresh entry from memory (main cache, then hot), or null: no stale entry,
  // no refresh, no load, no counting (a handover ask, cluster.h).
  EntryPtr Peek(std::string_view key);

  // OwnerOf is the Loader's OwnerOf (the node that owns `key`; "" on a single node).
  std::string_view OwnerOf(std::string_view key) const { return loader_.OwnerOf(key); }

  // InFlight says whether a load of `key` is running (a Load would join it rather than start
  // one). A snapshot: for a peer's deadline check (cluster.h).
  bool InFlight(std::string_view key) const;

  // Shutdown stops starting loads (new ones fail with Cancelled) and waits for those in
  // flight. Idempotent.
  void Shutdown();

  ReadThroughStats Stats() const;

  // LargestFlightBucket is the most flights in one bucket of the flight table (the flights a
  // Load may compare its key with). Walks the table under mu_: for tests.
  size_t LargestFlightBucket() const;

 private:
  struct Waiter {
    OutcomeCallback done;
    bool collapsed = false;  // joined a flight it did not start
  };
  struct Flight {
    bool local = true;    // loading from this node's store (else: forwarded to the owner)
    uint64_t purges = 0;  // purges_ when the flight started
    std::vector<Waiter> waiters;
  };
  // Transparent hashing lets Load find a flight by string_view without building a string.
  // KeyedHash, not std::hash: keys come from clients, and std::hash is unkeyed (flooding).
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view k) const { return static_cast<size_t>(KeyedHash(k)); }
  };
  using FlightMap = std::unordered_map<std::string, Flight, KeyHash, std::equal_to<>>;

  // FindServable looks in the main cache, then the hot cache; null when neither holds a
  // servable entry for `key`.
  EntryPtr FindServable(std::string_view key, TimePoint now) const;
  // StartLoad calls the loader for a flight already registered under `key` in flights_ or,
  // when `side` is set, in side_flights_.
  void StartLoad(std::string key, Scope scope, bool side);
  // Finish keeps a load's result where the loader said, serves every waiter of the flight
  // and ends it.
  void Finish(const std::string& key, bool side, Result<EntryPtr> result, Keep keep);
  // StoreLocked puts a loaded entry where `keep` says, in purge group `group` (and drops an
  // older copy from the other cache); returns whether a cache took it. Called with
  // mu_ held, so that it is ordered with purges.
  bool StoreLocked(const EntryPtr& entry, Keep keep, uint32_t group) SHOAL_REQUIRES(mu_);

  Cache& cache_;
  Cache* const hot_;
  Loader& loader_;
  const Clock& clock_;
  const ReadThroughOptions options_;

  mutable Mutex mu_;
  CondVar idle_;
  FlightMap flights_ SHOAL_GUARDED_BY(mu_);
  // Local flights started by peers' requests for keys whose flight in flights_ is forwarded.
  FlightMap side_flights_ SHOAL_GUARDED_BY(mu_);
  // Loads started and not yet finished (their Finish may still be running after the flight
  // left flights_); Shutdown waits for zero.
  size_t active_loads_ SHOAL_GUARDED_BY(mu_) = 0;
  bool shut_down_ SHOAL_GUARDED_BY(mu_) = false;
  // Purges begun; bumped under mu_ before the caches are erased (see Erase).
  uint64_t purges_ SHOAL_GUARDED_BY(mu_) = 0;

  // Bumped by every hit on every event loop: striped, so the loops do not share a line.
  StripedCounter hits_, hot_hits_, stale_hits_;
  std::atomic<uint64_t> misses_{0}, loads_{0}, dedup_waits_{0}, load_errors_{0}, stale_if_error_{0};
};

}  // namespace shoal::cache
