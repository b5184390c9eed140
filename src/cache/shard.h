// Cache::Shard: one of a Cache's 16 shards (cache.h): its index, its W-TinyLFU (or CLOCK)
// lists and sketch, its tag index and its purge groups, under one mutex. Internal to
// src/cache/: only cache.cc and shard.cc include it.
//
// Invariants, per shard, under the shard's mutex:
//  - every node of the three lists (window_, probation_, protected_; CLOCK uses probation_
//    alone) is in index_ under its entry's key, and the reverse; node.segment names its list;
//  - a node is valid when its generation is its group's (groups_[node.group].generation), else
//    invalidated by a PurgeGroup; groups_[g].live counts the valid nodes of group g;
//  - index_'s string_view keys point into node.entry->key(), which lives as long as the node;
//  - bytes_ is the sum of the nodes' charges; after every public call bytes_ <= capacity_;
//  - tags_ maps each tag to exactly the entries of index_ that carry it (valid or not): an
//    entry is added under each of its tags when its node is made and removed with the node, and
//    a tag with no entry left is erased; a node's charge includes TagCharge(entry);
//  - a node is soft-purged when its soft generation is not its group's: Lookup then marks its
//    entry stale as of the group's soft purge (Entry::MarkStale) and catches the node up;
//  - each list runs from newest (front) to oldest (back) as its entries came in; eviction moves
//    the entries it passes with their used bit set to the front (of protected_ under W-TinyLFU);
//  - bytes_ = window_bytes_ + the main area's charges; protected_bytes_ is protected_'s share;
//  - sketch_ is null under CLOCK; under W-TinyLFU it has counted every Insert of the shard and
//    every used bit that eviction took (the hits it folds in).
// Entries leaving the cache are released after the mutex is dropped: the last reference to
// an entry frees its body, which is work we keep out of the critical section.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/frequency_sketch.h"
#include "base/keyed_hash.h"
#include "base/mutex.h"
#include "cache/cache.h"

namespace shoal::cache {

namespace internal {
// What a node costs beyond its entry: the list node (two pointers + payload) and the hash
// map node with its bucket slot, measured from libstdc++'s layouts.
constexpr size_t kNodeOverhead = 112;

// What one (entry, tag) pair may cost the tag index: the pointer's node in the tag's set with
// its bucket (~48), and the tag's own map node, string and empty set (~128), charged to every
// entry that carries the tag as if it were the first: an upper bound, never an undercount.
constexpr size_t kTagOverhead = 176;

// A key with its KeyedHash, which Cache computes once per call (it also picks the shard). The
// index hashes with KeyedHash too and looks up by HashedKey (C++20 heterogeneous lookup), so a
// lookup never hashes the key a second time. Keyed, not Hash64: keys are chosen by clients,
// who could otherwise make thousands collide in one shard and one bucket (flooding).
struct HashedKey {
  std::string_view key;
  uint64_t hash;
};
struct KeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view k) const { return static_cast<size_t>(KeyedHash(k)); }
  size_t operator()(const HashedKey& k) const { return static_cast<size_t>(k.hash); }
};
struct KeyEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
  bool operator()(const HashedKey& a, std::string_view b) const { return a.key == b; }
  bool operator()(std::string_view a, const HashedKey& b) const { return a == b.key; }
};
}  // namespace internal

class Cache::Shard {
 public:
  using HashedKey = internal::HashedKey;
  using KeyHash = internal::KeyHash;
  using KeyEq = internal::KeyEq;

  // Configure sizes the shard once, before any use: its budget, and under W-TinyLFU the
  // window, the protected segment and the sketch (see cache.h).
  void Configure(size_t capacity, Admission admission, uint64_t seed);

  // SetCapacity changes the shard's budget at run time (Cache::SetCapacity): the window's and
  // protected segment's shares follow, a smaller budget evicts at once (into *released), and
  // the sketch keeps the size Configure gave it.
  void SetCapacity(size_t capacity, std::vector<EntryPtr>* released);

  // version is what a front slot compares with; see cache.h.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

  // Lookup also reports the shard's version at the time of the find. An invalidated entry is
  // dropped here (into *released) and reads as a miss; a soft-purged one is marked stale.
  EntryPtr Lookup(HashedKey key, uint64_t* version, std::vector<EntryPtr>* released);

  bool Insert(EntryPtr entry, uint64_t hash, uint32_t group, std::vector<EntryPtr>* released);

  bool Erase(HashedKey key, std::vector<EntryPtr>* released);

  // MarkStale soft-purges `key` (Entry::MarkStale); returns whether it held a valid entry.
  bool MarkStale(HashedKey key, TimePoint now);

  // PurgeTag removes (or, with `soft`, marks stale as of `now`) every entry carrying `tag`;
  // returns how many valid ones it removed (soft: how many it marked, not marked before).
  size_t PurgeTag(std::string_view tag, bool soft, TimePoint now, std::vector<EntryPtr>* released);

  // MarkGroupStale soft-purges the group's valid nodes in O(1) by moving its soft generation
  // on: Lookup marks each entry stale as of `now` when it finds it. Returns how many there were.
  size_t MarkGroupStale(uint32_t group, TimePoint now);

  // TagCount: distinct tags in the index (tests).
  size_t TagCount();

  // PurgeGroup invalidates the group's valid nodes by moving its generation on; it visits none
  // of them. Returns how many there were.
  size_t PurgeGroup(uint32_t group);

  void AddCharge(const Entry& entry, size_t bytes, std::vector<EntryPtr>* released);

  void AddStats(CacheStats* s);

  void AddSpread(Spread* s);

 private:
  enum class Segment : uint8_t { kWindow, kProbation, kProtected };
  struct Node {
    EntryPtr entry;
    size_t charge;
    uint32_t group;            // the purge group given to Insert
    Segment segment;           // which list holds the node
    uint64_t generation;       // the group's generation at Insert
    uint64_t soft_generation;  // the group's soft generation when last looked at
  };
  struct Group {
    uint64_t generation = 0;       // moved on by each PurgeGroup that found valid nodes
    size_t live = 0;               // valid nodes of the group
    uint64_t soft_generation = 0;  // moved on by each MarkGroupStale that found valid nodes
    TimePoint soft_at{};           // the last MarkGroupStale's time
  };
  using List = std::list<Node>;
  using Index = std::unordered_map<std::string_view, List::iterator, KeyHash, KeyEq>;
  // The entries carrying a tag; owned by their nodes (the pointers leave with them).
  using TagSet = std::unordered_set<const Entry*>;
  using TagIndex = std::unordered_map<std::string, TagSet, KeyHash, KeyEq>;

  bool ValidLocked(const Node& node) const SHOAL_REQUIRES(mu_) {
    return node.generation == groups_[node.group].generation;
  }

  void RemoveLocked(Index::iterator it, std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_);

  List& ListOf(Segment s) SHOAL_REQUIRES(mu_) {
    return s == Segment::kWindow ? window_ : s == Segment::kProbation ? probation_ : protected_;
  }
  // BytesOf: the counter that tracks a segment's charges (probation's is a scratch: the main
  // area's probation share is never needed on its own).
  size_t& BytesOf(Segment s) SHOAL_REQUIRES(mu_) {
    return s == Segment::kWindow      ? window_bytes_
           : s == Segment::kProtected ? protected_bytes_
                                      : probation_bytes_;
  }
  // MoveLocked puts `node` at the front of segment `to`.
  void MoveLocked(List::iterator node, Segment to) SHOAL_REQUIRES(mu_);
  void EvictNodeLocked(List::iterator node, std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_);
  uint32_t FrequencyLocked(const Node& node) SHOAL_REQUIRES(mu_) {
    return sketch_->Estimate(KeyedHash(node.entry->key()));
  }
  // FoldUseLocked takes the node's used bit and, when it was set, counts the hit(s) it stands
  // for in the sketch (one, however many there were: the hit path writes nothing else).
  bool FoldUseLocked(const Node& node) SHOAL_REQUIRES(mu_);

  // LeaveWindowLocked: an entry leaving the window counts its hits there in the sketch, and
  // keeps its used bit for the main area, where its first pass promotes it to protected.
  void LeaveWindowLocked(const Node& node) SHOAL_REQUIRES(mu_);

  // SetSharesLocked sets the budget and, under W-TinyLFU, the window's and protected's shares.
  void SetSharesLocked(size_t capacity) SHOAL_REQUIRES(mu_);
  void EvictLocked(std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_);

  void EvictClockLocked(std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_);

  // W-TinyLFU (cache.h): the window's oldest entries beyond its share move to probation while
  // the shard has room; past the budget, each is a candidate that must beat the main area's
  // victim on estimated frequency, and the loser leaves.
  void EvictTinyLfuLocked(std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_);

  // MainVictimLocked returns the main area's next victim, probation_'s oldest entry (end() when
  // the main area is empty), after giving the entries it passes what their used bits earned:
  // a used probation entry is promoted to protected_, and protected_ beyond its share demotes
  // its oldest unused entries to probation_ (a used one goes round protected_ again). An
  // invalidated entry at the back of protected_ or probation_ is taken at once (one in the
  // middle of protected_ waits until it gets there, as under CLOCK until the back of the list).
  // `passes` bounds the second chances (a lap per node).
  List::iterator MainVictimLocked(size_t* passes, size_t pass_limit) SHOAL_REQUIRES(mu_);

  // Admit: the candidate replaces the victim if it was asked for more often; ties keep the
  // incumbent. A warm candidate (more than 5) that loses still gets in 1 time in 128, as in
  // Caffeine: else an attacker who keeps a victim's counters high (colliding keys) could keep
  // every new key out.
  bool Admit(uint32_t candidate, uint32_t victim) SHOAL_REQUIRES(mu_);

  // On a line of its own: front hits on every thread read it; the rest is written under mu_.
  alignas(64) std::atomic<uint64_t> version_{0};
  alignas(64) Mutex mu_;
  static constexpr size_t kProtectedPercent = 80;  // of the main area
  // The sketch's width, from the budget: one key per this many bytes of budget (an entry with
  // a small body charges about 480); its table is then 4 to 8 bytes per key, 0.8-1.6% of the
  // budget.
  static constexpr size_t kSketchBytesPerKey = 512;
  size_t capacity_ SHOAL_GUARDED_BY(mu_) = 0;
  size_t window_capacity_ SHOAL_GUARDED_BY(mu_) = 0;     // W-TinyLFU: the window, 1% of capacity_
  size_t protected_capacity_ SHOAL_GUARDED_BY(mu_) = 0;  // W-TinyLFU: 80% of the main area
  std::unique_ptr<FrequencySketch> sketch_;  // W-TinyLFU only (null: CLOCK); set by Configure
  List window_ SHOAL_GUARDED_BY(mu_);
  List probation_ SHOAL_GUARDED_BY(mu_);  // CLOCK's only list
  List protected_ SHOAL_GUARDED_BY(mu_);
  size_t window_bytes_ SHOAL_GUARDED_BY(mu_) = 0;
  size_t probation_bytes_ SHOAL_GUARDED_BY(mu_) = 0;
  size_t protected_bytes_ SHOAL_GUARDED_BY(mu_) = 0;
  std::minstd_rand rng_ SHOAL_GUARDED_BY(mu_);  // Admit's 1 in 128
  Index index_ SHOAL_GUARDED_BY(mu_);
  TagIndex tags_ SHOAL_GUARDED_BY(mu_);
  std::vector<Group> groups_ SHOAL_GUARDED_BY(mu_);
  size_t bytes_ SHOAL_GUARDED_BY(mu_) = 0;
  uint64_t evictions_ SHOAL_GUARDED_BY(mu_) = 0;
};

}  // namespace shoal::cache
