// Cache::Shard: one of a Cache's 16 shards (cache.h): its index, its W-TinyLFU (or CLOCK)
// lists and sketch, its tag index and its purge groups, under one mutex. Internal to
// src/cache/: only cache.cc and shard.cc include it.
//
// Layout (issue 18 item 7: what an entry costs beyond itself): the nodes live in a pool of
// fixed blocks of kBlockNodes (never moved, so a NodeId stays valid until freed; a free node
// is on a free list threaded through `next`), the three lists are intrusive (prev/next
// NodeIds in the node), and the index is an open-addressing table of NodeIds (linear probing
// from the key's KeyedHash, Fibonacci-mixed; at most 3/4 full; deletion shifts the run back,
// so there are no tombstones). A node is 40 bytes (its entry is one pointer: EntryPtr counts
// inside the entry) and its slot 4 to 11 bytes, against a std::list node (80) and an
// unordered_map node with its bucket (about 60) before.
//
// Invariants, per shard, under the shard's mutex:
//  - every node of the three lists (window_, probation_, protected_; CLOCK uses probation_
//    alone) is in index_ under its entry's key, and the reverse; node.segment names its list;
//  - a node is in use exactly when its entry is set; node.hash is KeyedHash(entry->key());
//  - every NodeId in slots_ is reachable from its home slot (SlotOf(hash)) without crossing an
//    empty slot; index_size_ counts them;
//  - a node is valid when its generation is its group's (groups_[node.group].generation), else
//    invalidated by a PurgeGroup; groups_[g].live counts the valid nodes of group g;
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
#include <limits>
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
  // of them (but once per 2^32, see Group). Returns how many there were.
  size_t PurgeGroup(uint32_t group, std::vector<EntryPtr>* released);

  // StartGenerationsForTest sets a group's two generations before it has any node (tests of
  // the wrap; returns false when it has one).
  bool StartGenerationsForTest(uint32_t group, uint32_t generation, uint32_t soft_generation);

  // AddCharge: `hash` is the entry's key's KeyedHash, which Cache computed to pick the shard.
  void AddCharge(const Entry& entry, uint64_t hash, size_t bytes, std::vector<EntryPtr>* released);

  void AddStats(CacheStats* s);

  void AddSpread(Spread* s);

 private:
  enum class Segment : uint8_t { kWindow, kProbation, kProtected };
  using NodeId = uint32_t;
  static constexpr NodeId kNil = std::numeric_limits<NodeId>::max();
  struct Node {
    EntryPtr entry;                // null while the node is free
    uint64_t hash = 0;             // KeyedHash of the entry's key: the index compares it first
    uint32_t generation = 0;       // the group's generation at Insert
    uint32_t soft_generation = 0;  // the group's soft generation when last looked at
    uint32_t charge = 0;           // an entry is under 4 GiB (its key and body each are)
    NodeId prev = kNil;            // towards the list's front (newest); kNil at the front
    NodeId next = kNil;  // towards its back (oldest); kNil at the back; also the free list
    uint16_t group = 0;  // the purge group given to Insert (below Cache::kMaxGroups)
    Segment segment = Segment::kWindow;  // which list holds the node
  };
  static_assert(Cache::kMaxGroups - 1 <= std::numeric_limits<uint16_t>::max());
  static_assert(sizeof(Node) == 40);
  struct List {
    NodeId front = kNil;  // newest
    NodeId back = kNil;   // oldest
    size_t size = 0;
    bool empty() const { return size == 0; }
  };
  // Generations are 32-bit (a node's two cost 8 bytes, not 16) and wrap. A node whose
  // generation is behind its group's must never be taken for current again, which it would be
  // once the group's had gone round to it: so the step that wraps a generation to 0 first
  // settles every node of the group that is behind (SweepGroupLocked): an invalidated node is
  // removed, a soft-purged one marked. That is one walk of the shard's nodes per 2^32 purges
  // of a group.
  struct Group {
    uint32_t generation = 0;       // moved on by each PurgeGroup that found valid nodes
    uint32_t soft_generation = 0;  // moved on by each MarkGroupStale that found valid nodes
    size_t live = 0;               // valid nodes of the group
    TimePoint soft_at{};           // the last MarkGroupStale's time
  };
  // The entries carrying a tag; owned by their nodes (the pointers leave with them).
  using TagSet = std::unordered_set<const Entry*>;
  using TagIndex = std::unordered_map<std::string, TagSet, KeyHash, KeyEq>;

  // What a node costs beyond its entry: the node, its index slot at the table's mean load
  // (about 8 bytes) and a share of its block's slack.
  static constexpr size_t kNodeOverhead = sizeof(Node) + 16;
  static constexpr size_t kBlockNodes = 256;

  Node& At(NodeId id) SHOAL_REQUIRES(mu_) { return blocks_[id / kBlockNodes][id % kBlockNodes]; }
  // NewNodeLocked takes a free node (or a new one) and fills it; FreeNodeLocked gives it back,
  // its entry already moved out.
  NodeId NewNodeLocked(Node node) SHOAL_REQUIRES(mu_);
  void FreeNodeLocked(NodeId id) SHOAL_REQUIRES(mu_);
  // LinkFrontLocked puts a node at its segment's list's front; UnlinkLocked takes it out.
  void LinkFrontLocked(NodeId id) SHOAL_REQUIRES(mu_);
  void UnlinkLocked(NodeId id) SHOAL_REQUIRES(mu_);

  // The index. SlotOf is the home slot of a hash; FindLocked the node of a key (kNil: none);
  // IndexLocked adds a node (growing the table first when it would pass 3/4);
  // UnindexLocked removes one.
  size_t SlotOf(uint64_t hash) const SHOAL_REQUIRES(mu_) {
    return static_cast<size_t>((hash * 0x9e3779b97f4a7c15ULL) >> slot_shift_);
  }
  NodeId FindLocked(HashedKey key) SHOAL_REQUIRES(mu_);
  NodeId FindLocked(const Entry& entry) SHOAL_REQUIRES(mu_) {
    return FindLocked(HashedKey{entry.key(), KeyedHash(entry.key())});
  }
  void IndexLocked(NodeId id) SHOAL_REQUIRES(mu_);
  void UnindexLocked(NodeId id) SHOAL_REQUIRES(mu_);
  void GrowIndexLocked() SHOAL_REQUIRES(mu_);

  bool ValidLocked(const Node& node) const SHOAL_REQUIRES(mu_) {
    return node.generation == groups_[node.group].generation;
  }

  void RemoveLocked(NodeId id, std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_);
  // SweepGroupLocked settles the group's nodes that are behind it (see Group), before one of
  // its generations wraps.
  void SweepGroupLocked(uint32_t group, std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_);

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
  // MoveLocked puts node `id` at the front of segment `to`.
  void MoveLocked(NodeId id, Segment to) SHOAL_REQUIRES(mu_);
  void EvictNodeLocked(NodeId id, std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_);
  uint32_t FrequencyLocked(const Node& node) SHOAL_REQUIRES(mu_) {
    return sketch_->Estimate(node.hash);
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

  // MainVictimLocked returns the main area's next victim, probation_'s oldest entry (kNil when
  // the main area is empty), after giving the entries it passes what their used bits earned:
  // a used probation entry is promoted to protected_, and protected_ beyond its share demotes
  // its oldest unused entries to probation_ (a used one goes round protected_ again). An
  // invalidated entry at the back of protected_ or probation_ is taken at once (one in the
  // middle of protected_ waits until it gets there, as under CLOCK until the back of the list).
  // `passes` bounds the second chances (a lap per node).
  NodeId MainVictimLocked(size_t* passes, size_t pass_limit) SHOAL_REQUIRES(mu_);

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
  std::vector<std::unique_ptr<Node[]>> blocks_ SHOAL_GUARDED_BY(mu_);
  NodeId nodes_made_ SHOAL_GUARDED_BY(mu_) = 0;      // nodes handed out of blocks_ so far
  NodeId free_ SHOAL_GUARDED_BY(mu_) = kNil;         // the free list's first node
  std::vector<NodeId> slots_ SHOAL_GUARDED_BY(mu_);  // kNil: empty; a power of two, or none
  unsigned slot_shift_ SHOAL_GUARDED_BY(mu_) = 64;   // 64 - log2(slots_.size())
  size_t index_size_ SHOAL_GUARDED_BY(mu_) = 0;
  TagIndex tags_ SHOAL_GUARDED_BY(mu_);
  std::vector<Group> groups_ SHOAL_GUARDED_BY(mu_);
  size_t bytes_ SHOAL_GUARDED_BY(mu_) = 0;
  uint64_t evictions_ SHOAL_GUARDED_BY(mu_) = 0;
};

}  // namespace shoal::cache
