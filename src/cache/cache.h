// Cache: a sharded map from key to Entry with a byte budget and W-TinyLFU eviction.
//
// Every entry is charged its bytes (Entry::BaseCharge, plus its gzip variant once made) and
// the cache evicts entries of a shard until the shard is within its share of the budget, like
// leveldb's charge. An entry larger than a shard's share is not admitted. The cache knows
// nothing of deadlines: Lookup returns entries in any state; see ReadThrough for lifetimes.
//
// Eviction is W-TinyLFU (the design of Caffeine and Ristretto), per shard, unless
// CacheOptions::admission asks for plain CLOCK. A new entry enters a small window (1% of the
// shard's budget; it holds at least the newest entry); the rest of the shard, the main area, is
// split into probation and protected (80% of the main area) segments. When the shard is over its
// budget, the window's oldest entry is a candidate for the main area and probation's oldest
// entry its victim: the one a CountMin sketch (base/frequency_sketch.h, per shard, sized from
// the budget, aged by halving) estimates as asked for more often stays, the other leaves (ties
// keep the incumbent; a warm candidate that loses still gets in 1 time in 128 against crafted
// collisions). So a scan of keys asked for once cannot flush a working set asked for often.
//
// A hit takes no lock and writes no list node: it only sets the entry's used bit
// (Entry::MarkUsed: a write only when the bit is clear), as under CLOCK. Eviction folds the bits
// in as it passes entries: a used bit taken counts once in the sketch, promotes a probation entry
// to protected and gives a protected one another lap (protected beyond its share demotes its
// oldest unused entries to probation). The sketch counts every Insert too (a miss, a refresh, a
// peer's copy). Sketch updates thus happen only under the shard's mutex, on insert and eviction.
//
// CLOCK (Admission::kClock, kept for bench/trace_sim.cc's comparison): one list per shard in
// insertion order; eviction takes the oldest entry whose bit is clear, clearing the bits it
// passes and moving those entries to the front, so an entry used at least once per lap stays.
//
// Under both, eviction takes an invalidated entry (below) it meets at once, used or not.
//
// Purge groups: every entry is inserted with a group (the api's endpoint), and PurgeGroup
// invalidates all the entries of one group in O(1) a shard (a lock and an increment each),
// visiting none of them: each shard keeps a generation per group, a node remembers its group's
// generation at Insert, and a node whose generation is old reads as a miss. It is dropped when
// a Lookup finds it, when its key is inserted again, or by eviction, which takes invalidated
// entries first. Until then it still counts in Stats and in the byte budget.
//
// Tags (surrogate keys, Entry::tags): each shard keeps a tag index, tag -> the entries of the
// shard that carry it, under the shard's mutex, updated when a node is made and when it
// leaves (erase, replacement, eviction, an invalidated entry dropped), so the index never
// outlives an entry and a tag with no entry is erased. Its memory is part of each entry's
// charge (TagCharge: every (entry, tag) pair pays for its set node and, as if it were the
// tag's first, for the tag's own map node and string). PurgeTag removes every entry carrying
// a tag, shard by shard (O(entries carrying it)). Entries marked no_store are not admitted.
//
// Soft purges mark entries stale instead of removing them (Entry::MarkStale): MarkStale (a
// key) and MarkTagStale (a tag) mark the entries found; MarkGroupStale is O(1) a shard like
// PurgeGroup: a node remembers its group's soft generation, and Lookup marks the entry of a
// node whose group has moved on as of the group's soft purge (front slots are voided so
// that every entry passes through that Lookup).
//
// Thread-safety: thread-safe. 16 shards by the key hash, each with its own mutex held only
// for the map, list and sketch updates (no allocation of entries or bodies under a lock).
//
// Memory beyond the budget: each shard's sketch, 4 to 8 bytes per 512 bytes of budget (about
// 0.8-1.6% of it: 2 MiB at 256 MiB), allocated once at construction.
//
// Hashing: shards, the index and the front tables all use one KeyedHash (base/keyed_hash.h,
// SipHash-1-3 under a random per-process key) of the key, computed once per call: keys come
// from clients, and an unkeyed hash would let them make keys that all land in one bucket.
//
// Front tables: a hit must not take a lock that the other event loops take too (on a hot key,
// two loops would pass the shard's mutex back and forth on every request). So each thread
// keeps a small direct-mapped table of the entries it found (kFrontSlots, keyed by the key's
// hash, tagged with the cache's id and the shard's version). A shard's version changes
// whenever the shard lets go of an entry (erase, replacement, eviction) or a PurgeGroup
// invalidates some, which voids every front slot taken from it before; a slot whose version
// still matches holds an entry that is still the cached, valid one for its key, and is served with
// no lock and no shared write (it sets the used bit too). Memory: a thread's table may keep up to
// kFrontSlots entries of at most kFrontMaxCharge bytes (BaseCharge: their gzip variants, when made,
// come on top) alive after the cache dropped them, until the slots are reused: 4 MiB per thread
// that looks up, 8 MiB at the very worst, far less in practice.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "cache/entry.h"

namespace shoal::cache {

// Admission: how a shard chooses what to keep when over budget (see above).
enum class Admission { kTinyLfu, kClock };

struct CacheOptions {
  size_t capacity_bytes = 256u << 20;  // the whole budget, all shards together
  Admission admission = Admission::kTinyLfu;
};

struct CacheStats {
  uint64_t entries = 0;  // held, invalidated ones not yet dropped included
  uint64_t bytes = 0;
  uint64_t evictions = 0;
};

// TagCharge is what `entry`'s tags cost a cache's tag index (see above): part of its charge.
size_t TagCharge(const Entry& entry);

class Cache {
 public:
  explicit Cache(CacheOptions options);
  ~Cache();
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // Lookup returns the entry for `key`, or null, and marks it used. It returns
  // entries in any state (fresh, stale, past grace): the caller decides what to serve.
  // Served from this thread's front table when it can (see above): no lock taken then.
  EntryPtr Lookup(std::string_view key);
  // The same with the key's hash given (Hash(key)), for a caller that asks two caches.
  EntryPtr Lookup(std::string_view key, uint64_t hash);
  // LookupFront is Lookup's lock-free part only: the entry this thread's front table holds
  // for `key` in this cache, or null (then the cache may still hold it).
  EntryPtr LookupFront(std::string_view key, uint64_t hash);
  // Hash is the key's hash as every Cache computes it (KeyedHash).
  static uint64_t Hash(std::string_view key);

  static constexpr size_t kFrontSlots = 1024;
  static constexpr size_t kFrontMaxCharge = size_t{4} * 1024;

  // Insert adds or replaces the entry under entry->key(), in purge group `group`, and evicts
  // as needed. Returns false (and keeps nothing) when the entry alone exceeds a shard's share
  // of the budget. Groups are taken modulo kMaxGroups (groups that share a slot purge
  // together); a shard keeps 16 bytes for each group up to the largest it has seen, so groups
  // should be small numbers (the api's number the configured routes, from 1).
  // An entry marked no_store is refused too.
  bool Insert(EntryPtr entry, uint32_t group = 0);
  static constexpr uint32_t kMaxGroups = 65536;

  // Erase removes `key`; returns whether it held a valid (not invalidated) entry.
  bool Erase(std::string_view key);
  // MarkStale soft-purges `key` as of `now` (Entry::MarkStale); returns whether it held a
  // valid entry.
  bool MarkStale(std::string_view key, TimePoint now);

  // PurgeTag removes every entry carrying `tag` (Entry::tags); returns how many valid ones.
  size_t PurgeTag(std::string_view tag);
  // MarkTagStale marks every valid entry carrying `tag` stale as of `now`; returns how many
  // it marked (an entry marked before, by any soft purge, is not counted again).
  size_t MarkTagStale(std::string_view tag, TimePoint now);
  // MarkGroupStale soft-purges every entry of `group` as of `now` (lazily, see above) and
  // returns how many valid entries the group had.
  size_t MarkGroupStale(uint32_t group, TimePoint now);
  // TagCount: the tag index's tags, each counted once per shard holding it (tests and
  // diagnostics; locks each shard).
  size_t TagCount() const;

  // PurgeGroup invalidates every entry of `group` (see above) and returns how many valid
  // entries the group had. Takes each shard's lock once, whatever the number of entries.
  size_t PurgeGroup(uint32_t group);
  // StartGenerationsForTest sets a group's purge and soft-purge generations (32-bit, they
  // wrap: shard.h) before the group has an entry, so that a test reaches the wrap; false when
  // it has one.
  bool StartGenerationsForTest(uint32_t group, uint32_t generation, uint32_t soft_generation);

  // AddCharge bills `bytes` more to `entry` if it is still the cached entry for its key (used
  // when its gzip variant is made), evicting as needed.
  void AddCharge(const Entry& entry, size_t bytes);

  CacheStats Stats() const;

  // IndexSpread tells how evenly the keys spread over the shards and over the slots of the
  // shards' open-addressing tables: the longest walk a lookup makes from its key's home slot
  // to the key (slots whose 64-bit hash it compares; the key itself only on an equal hash).
  // It visits every slot under each shard's lock: for tests and diagnostics, not for a
  // request path.
  struct Spread {
    size_t largest_shard = 0;  // entries
    size_t longest_walk = 0;   // slots
  };
  Spread IndexSpread() const;
  // capacity_bytes: the budget now (the construction's, or SetCapacity's last).
  size_t capacity_bytes() const { return capacity_.load(std::memory_order_relaxed); }

  // SetCapacity changes the budget at run time (MemoryGovernor, memory_governor.h); a smaller
  // one evicts at once, shard by shard. An entry over a shard's new share is refused.
  void SetCapacity(size_t bytes);

  // SetInsertWatch makes Insert and AddCharge call `watch` (on the calling thread, outside
  // every lock) each time the charges inserted or added since the last call reach `every`
  // bytes. Set it before the cache is shared between threads.
  void SetInsertWatch(size_t every, std::function<void()> watch);

 private:
  class Shard;
  static constexpr size_t kShards = 16;
  Shard& ShardFor(uint64_t hash);  // by the key's KeyedHash

  const uint64_t id_;  // unique for the process's life: tags front slots (an address may recur)
  std::atomic<size_t> capacity_;
  std::unique_ptr<Shard[]> shards_;
  // Watch counts `charge` towards the insert watch and calls it when due.
  void Watch(size_t charge, std::vector<EntryPtr>* released);
  size_t watch_every_ = 0;
  std::function<void()> watch_;
  std::atomic<size_t> inserted_since_watch_{0};
};

}  // namespace shoal::cache
