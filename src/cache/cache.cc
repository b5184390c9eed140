#include "cache/cache.h"

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

#include <algorithm>
#include <array>
#include <atomic>
#include <iterator>
#include <list>
#include <random>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "base/frequency_sketch.h"
#include "base/keyed_hash.h"
#include "base/mutex.h"
#include "cache/tag_list.h"

namespace shoal::cache {

namespace {
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
}  // namespace

size_t TagCharge(const Entry& entry) {
  size_t charge = 0;
  entry.ForEachTag([&](std::string_view tag) { charge += tag.size() + kTagOverhead; });
  return charge;
}

class Cache::Shard {
 public:
  // Configure sizes the shard once, before any use: its budget, and under W-TinyLFU the
  // window, the protected segment and the sketch (see cache.h).
  void Configure(size_t capacity, Admission admission, uint64_t seed) {
    MutexLock lock(mu_);
    capacity_ = capacity;
    if (admission != Admission::kTinyLfu) return;
    window_capacity_ = capacity / 100;
    protected_capacity_ = (capacity - window_capacity_) / 100 * kProtectedPercent;
    sketch_ = std::make_unique<FrequencySketch>(
        FrequencySketchOptions{.expected_keys = capacity / kSketchBytesPerKey});
    rng_.seed(seed);
  }

  // version is what a front slot compares with; see cache.h.
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

  // Lookup also reports the shard's version at the time of the find. An invalidated entry is
  // dropped here (into *released) and reads as a miss; a soft-purged one is marked stale.
  EntryPtr Lookup(HashedKey key, uint64_t* version, std::vector<EntryPtr>* released) {
    MutexLock lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    if (!ValidLocked(*it->second)) {
      RemoveLocked(it, released);
      return nullptr;
    }
    Node& node = *it->second;
    if (const Group& g = groups_[node.group]; node.soft_generation != g.soft_generation) {
      node.entry->MarkStale(g.soft_at);
      node.soft_generation = g.soft_generation;
    }
    node.entry->MarkUsed();  // no list move: see CLOCK in cache.h
    *version = version_.load(std::memory_order_relaxed);
    return it->second->entry;
  }

  bool Insert(EntryPtr entry, uint64_t hash, uint32_t group, std::vector<EntryPtr>* released) {
    // Its first lap under W-TinyLFU is the window's; CLOCK's one list is probation_.
    const Segment segment = sketch_ != nullptr ? Segment::kWindow : Segment::kProbation;
    const size_t charge = entry->BaseCharge() + kNodeOverhead + TagCharge(*entry);
    MutexLock lock(mu_);
    if (charge > capacity_) return false;
    auto it = index_.find(HashedKey{entry->key(), hash});
    if (it != index_.end()) RemoveLocked(it, released);
    // Groups are endpoints: a handful, grown here once each.
    if (group >= groups_.size()) groups_.resize(size_t{group} + 1);
    ++groups_[group].live;
    const Entry* e = entry.get();
    List& list = ListOf(segment);
    list.push_front(Node{std::move(entry), charge, group, segment, groups_[group].generation,
                         groups_[group].soft_generation});
    index_.emplace(std::string_view(e->key()), list.begin());
    BytesOf(segment) += charge;
    if (sketch_ != nullptr) sketch_->Record(hash);
    for (std::string_view rest = e->tags(), tag; NextTag(&rest, &tag);) {
      auto t = tags_.find(tag);
      if (t == tags_.end()) t = tags_.emplace(std::string(tag), TagSet{}).first;
      t->second.insert(e);
    }
    bytes_ += charge;
    EvictLocked(released);
    return true;
  }

  bool Erase(HashedKey key, std::vector<EntryPtr>* released) {
    MutexLock lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    const bool valid = ValidLocked(*it->second);
    RemoveLocked(it, released);
    return valid;
  }

  // MarkStale soft-purges `key` (Entry::MarkStale); returns whether it held a valid entry.
  bool MarkStale(HashedKey key, TimePoint now) {
    MutexLock lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end() || !ValidLocked(*it->second)) return false;
    it->second->entry->MarkStale(now);
    return true;
  }

  // PurgeTag removes (or, with `soft`, marks stale as of `now`) every entry carrying `tag`;
  // returns how many valid ones it removed (soft: how many it marked, not marked before).
  size_t PurgeTag(std::string_view tag, bool soft, TimePoint now, std::vector<EntryPtr>* released) {
    MutexLock lock(mu_);
    auto t = tags_.find(tag);
    if (t == tags_.end()) return 0;
    size_t n = 0;
    if (soft) {
      for (const Entry* e : t->second) {
        auto it = index_.find(std::string_view(e->key()));
        if (ValidLocked(*it->second) && e->MarkStale(now)) ++n;
      }
      return n;
    }
    // RemoveLocked edits this tag's set (and may erase it): walk a copy.
    const std::vector<const Entry*> carrying(t->second.begin(), t->second.end());
    for (const Entry* e : carrying) {
      auto it = index_.find(std::string_view(e->key()));
      if (ValidLocked(*it->second)) ++n;
      RemoveLocked(it, released);
    }
    return n;
  }

  // MarkGroupStale soft-purges the group's valid nodes in O(1) by moving its soft generation
  // on: Lookup marks each entry stale as of `now` when it finds it. Returns how many there were.
  size_t MarkGroupStale(uint32_t group, TimePoint now) {
    MutexLock lock(mu_);
    if (group >= groups_.size() || groups_[group].live == 0) return 0;
    ++groups_[group].soft_generation;
    groups_[group].soft_at = now;
    // Front slots would serve the entries without the Lookup that marks them: void them.
    version_.store(version_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    return groups_[group].live;
  }

  // TagCount: distinct tags in the index (tests).
  size_t TagCount() {
    MutexLock lock(mu_);
    return tags_.size();
  }

  // PurgeGroup invalidates the group's valid nodes by moving its generation on; it visits none
  // of them. Returns how many there were.
  size_t PurgeGroup(uint32_t group) {
    MutexLock lock(mu_);
    if (group >= groups_.size() || groups_[group].live == 0) return 0;
    const size_t n = groups_[group].live;
    ++groups_[group].generation;
    groups_[group].live = 0;
    // Front slots taken from this shard may hold entries of the group: void them all.
    version_.store(version_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    return n;
  }

  void AddCharge(const Entry& entry, size_t bytes, std::vector<EntryPtr>* released) {
    MutexLock lock(mu_);
    auto it = index_.find(std::string_view(entry.key()));
    if (it == index_.end() || it->second->entry.get() != &entry) return;
    it->second->charge += bytes;
    bytes_ += bytes;
    BytesOf(it->second->segment) += bytes;
    EvictLocked(released);
  }

  void AddStats(CacheStats* s) {
    MutexLock lock(mu_);
    s->entries += index_.size();
    s->bytes += bytes_;
    s->evictions += evictions_;
  }

  void AddSpread(Spread* s) {
    MutexLock lock(mu_);
    s->largest_shard = std::max(s->largest_shard, index_.size());
    for (size_t b = 0; b < index_.bucket_count(); ++b) {
      s->largest_bucket = std::max(s->largest_bucket, index_.bucket_size(b));
    }
  }

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

  void RemoveLocked(Index::iterator it, std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_) {
    List::iterator node = it->second;
    if (ValidLocked(*node)) --groups_[node->group].live;
    const Entry* e = node->entry.get();
    for (std::string_view rest = e->tags(), tag; NextTag(&rest, &tag);) {
      auto t = tags_.find(tag);
      if (t == tags_.end()) continue;  // a tag listed twice: gone with its first
      t->second.erase(e);
      if (t->second.empty()) tags_.erase(t);
    }
    // Every front slot taken from this shard so far may hold this entry: void them all.
    version_.store(version_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
    index_.erase(it);  // before the node: the map's key views the entry's key
    bytes_ -= node->charge;
    BytesOf(node->segment) -= node->charge;
    released->push_back(std::move(node->entry));
    ListOf(node->segment).erase(node);
  }

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
  void MoveLocked(List::iterator node, Segment to) SHOAL_REQUIRES(mu_) {
    BytesOf(node->segment) -= node->charge;
    BytesOf(to) += node->charge;
    ListOf(to).splice(ListOf(to).begin(), ListOf(node->segment), node);
    node->segment = to;
  }
  void EvictNodeLocked(List::iterator node, std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_) {
    RemoveLocked(index_.find(std::string_view(node->entry->key())), released);
    ++evictions_;
  }
  uint32_t FrequencyLocked(const Node& node) SHOAL_REQUIRES(mu_) {
    return sketch_->Estimate(KeyedHash(node.entry->key()));
  }
  // FoldUseLocked takes the node's used bit and, when it was set, counts the hit(s) it stands
  // for in the sketch (one, however many there were: the hit path writes nothing else).
  bool FoldUseLocked(const Node& node) SHOAL_REQUIRES(mu_) {
    if (!node.entry->TakeUsed()) return false;
    sketch_->Record(KeyedHash(node.entry->key()));
    return true;
  }

  // LeaveWindowLocked: an entry leaving the window counts its hits there in the sketch, and
  // keeps its used bit for the main area, where its first pass promotes it to protected.
  void LeaveWindowLocked(const Node& node) SHOAL_REQUIRES(mu_) {
    if (FoldUseLocked(node)) node.entry->MarkUsed();
  }

  void EvictLocked(std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_) {
    if (sketch_ == nullptr) {
      EvictClockLocked(released);
    } else {
      EvictTinyLfuLocked(released);
    }
  }

  void EvictClockLocked(std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_) {
    size_t second_chances = 0;  // at most one lap of the list per call
    while (bytes_ > capacity_ && !probation_.empty()) {
      // An invalidated entry goes first, used or not: nobody can be served it any more.
      if (second_chances < probation_.size() && ValidLocked(probation_.back()) &&
          probation_.back().entry->TakeUsed()) {
        // Used since eviction last passed it: it goes round again.
        probation_.splice(probation_.begin(), probation_, std::prev(probation_.end()));
        ++second_chances;
        continue;
      }
      EvictNodeLocked(std::prev(probation_.end()), released);
    }
  }

  // W-TinyLFU (cache.h): the window's oldest entries beyond its share move to probation while
  // the shard has room; past the budget, each is a candidate that must beat the main area's
  // victim on estimated frequency, and the loser leaves.
  void EvictTinyLfuLocked(std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_) {
    size_t passes = 0;  // second chances given by this call: at most one per node
    const size_t pass_limit = index_.size();
    // The newest entry always stays in the window, however small its share.
    while (window_bytes_ > window_capacity_ && window_.size() > 1) {
      const List::iterator candidate = std::prev(window_.end());
      if (bytes_ <= capacity_ || !ValidLocked(*candidate)) {
        if (!ValidLocked(*candidate)) {
          EvictNodeLocked(candidate, released);
        } else {
          LeaveWindowLocked(*candidate);
          MoveLocked(candidate, Segment::kProbation);
        }
        continue;
      }
      LeaveWindowLocked(*candidate);
      const List::iterator victim = MainVictimLocked(&passes, pass_limit);
      if (victim == probation_.end()) {  // the main area is empty
        MoveLocked(candidate, Segment::kProbation);
      } else if (!ValidLocked(*victim) ||
                 Admit(FrequencyLocked(*candidate), FrequencyLocked(*victim))) {
        EvictNodeLocked(victim, released);
        MoveLocked(candidate, Segment::kProbation);
      } else {
        EvictNodeLocked(candidate, released);
      }
    }
    // Still over (a charge added, or the window within its share): the main area's victims go,
    // then the window's.
    while (bytes_ > capacity_) {
      const List::iterator victim = MainVictimLocked(&passes, pass_limit);
      if (victim != probation_.end()) {
        EvictNodeLocked(victim, released);
      } else if (!window_.empty()) {
        EvictNodeLocked(std::prev(window_.end()), released);
      } else {
        break;
      }
    }
  }

  // MainVictimLocked returns the main area's next victim, probation_'s oldest entry (end() when
  // the main area is empty), after giving the entries it passes what their used bits earned:
  // a used probation entry is promoted to protected_, and protected_ beyond its share demotes
  // its oldest unused entries to probation_ (a used one goes round protected_ again). An
  // invalidated entry at the back of protected_ or probation_ is taken at once (one in the
  // middle of protected_ waits until it gets there, as under CLOCK until the back of the list).
  // `passes` bounds the second chances (a lap per node).
  List::iterator MainVictimLocked(size_t* passes, size_t pass_limit) SHOAL_REQUIRES(mu_) {
    while (true) {
      // Invalidated entries go first wherever eviction meets them, protected's oldest too.
      if (!protected_.empty() && !ValidLocked(protected_.back()))
        return std::prev(protected_.end());
      while (protected_bytes_ > protected_capacity_ ||
             (probation_.empty() && !protected_.empty())) {
        const List::iterator oldest = std::prev(protected_.end());
        if (ValidLocked(*oldest) && *passes < pass_limit && FoldUseLocked(*oldest)) {
          ++*passes;
          protected_.splice(protected_.begin(), protected_, oldest);
        } else {
          MoveLocked(oldest, Segment::kProbation);
        }
      }
      if (probation_.empty()) return probation_.end();
      const List::iterator victim = std::prev(probation_.end());
      if (!ValidLocked(*victim) || *passes >= pass_limit || !FoldUseLocked(*victim)) return victim;
      ++*passes;
      MoveLocked(victim, Segment::kProtected);
    }
  }

  // Admit: the candidate replaces the victim if it was asked for more often; ties keep the
  // incumbent. A warm candidate (more than 5) that loses still gets in 1 time in 128, as in
  // Caffeine: else an attacker who keeps a victim's counters high (colliding keys) could keep
  // every new key out.
  bool Admit(uint32_t candidate, uint32_t victim) SHOAL_REQUIRES(mu_) {
    if (candidate > victim) return true;
    if (candidate <= 5) return false;
    return (rng_() & 127) == 0;
  }

  // On a line of its own: front hits on every thread read it; the rest is written under mu_.
  alignas(64) std::atomic<uint64_t> version_{0};
  alignas(64) Mutex mu_;
  static constexpr size_t kProtectedPercent = 80;  // of the main area
  // The sketch's width, from the budget: one key per this many bytes of budget (an entry with
  // a small body charges about 480); its table is then 4 to 8 bytes per key, 0.8-1.6% of the
  // budget.
  static constexpr size_t kSketchBytesPerKey = 512;
  size_t capacity_ = 0;
  size_t window_capacity_ = 0;               // W-TinyLFU: the window's share, 1% of capacity_
  size_t protected_capacity_ = 0;            // W-TinyLFU: 80% of the main area
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

namespace {

// One thread's front table (see cache.h). The slot is chosen by the low bits of the key's
// hash, the shard by the top bits.
struct FrontSlot {
  uint64_t cache_id = 0;  // 0: empty (ids start at 1)
  uint64_t hash = 0;
  uint64_t version = 0;
  EntryPtr entry;
  // Hits since the slot was filled, capped; a lookup of another key that lands here takes
  // one off and takes the slot only at zero, so the long tail of keys does not keep evicting
  // a hot one (and paying to release the old entry's reference each time).
  unsigned score = 0;
};
constexpr unsigned kMaxScore = 3;
thread_local std::array<FrontSlot, Cache::kFrontSlots> front_table;

std::atomic<uint64_t> next_cache_id{1};

}  // namespace

Cache::Cache(CacheOptions options)
    : id_(next_cache_id.fetch_add(1, std::memory_order_relaxed)),
      capacity_(options.capacity_bytes),
      shards_(std::make_unique<Shard[]>(kShards)) {
  std::random_device seeds;
  for (size_t i = 0; i < kShards; ++i)
    shards_[i].Configure(capacity_ / kShards, options.admission, seeds());
}

Cache::~Cache() = default;

Cache::Shard& Cache::ShardFor(uint64_t hash) {
  return shards_[hash >> 60];  // top 4 bits: 16 shards
}

uint64_t Cache::Hash(std::string_view key) { return KeyedHash(key); }

EntryPtr Cache::Lookup(std::string_view key) { return Lookup(key, KeyedHash(key)); }

EntryPtr Cache::LookupFront(std::string_view key, uint64_t hash) {
  FrontSlot& slot = front_table[hash % kFrontSlots];
  if (slot.cache_id == id_ && slot.hash == hash && slot.version == ShardFor(hash).version() &&
      slot.entry->key() == key) {
    if (slot.score < kMaxScore) ++slot.score;
    slot.entry->MarkUsed();
    return slot.entry;
  }
  return nullptr;
}

EntryPtr Cache::Lookup(std::string_view key, uint64_t hash) {
  Shard& shard = ShardFor(hash);
  FrontSlot& slot = front_table[hash % kFrontSlots];
  if (EntryPtr front = LookupFront(key, hash)) return front;
  uint64_t version = 0;
  std::vector<EntryPtr> released;  // an invalidated entry found, freed after the lock
  EntryPtr entry = shard.Lookup(HashedKey{key, hash}, &version, &released);
  if (entry != nullptr && entry->BaseCharge() <= kFrontMaxCharge) {
    if (slot.cache_id == id_ && slot.hash == hash) {
      // The same key, voided by a change elsewhere in its shard: renew it, keeping its score.
      slot.version = version;
      slot.entry = entry;
    } else if (slot.score > 0) {
      --slot.score;
    } else {
      slot.cache_id = id_;
      slot.hash = hash;
      slot.version = version;
      slot.entry = entry;  // may release the slot's previous entry, outside every lock
      slot.score = 0;
    }
  }
  return entry;
}

bool Cache::Insert(EntryPtr entry, uint32_t group) {
  if (entry->no_store()) return false;
  std::vector<EntryPtr> released;
  const uint64_t hash = KeyedHash(entry->key());
  Shard& shard = ShardFor(hash);
  return shard.Insert(std::move(entry), hash, group % kMaxGroups, &released);
}

bool Cache::Erase(std::string_view key) {
  std::vector<EntryPtr> released;
  const uint64_t hash = KeyedHash(key);
  return ShardFor(hash).Erase(HashedKey{key, hash}, &released);
}

bool Cache::MarkStale(std::string_view key, TimePoint now) {
  const uint64_t hash = KeyedHash(key);
  return ShardFor(hash).MarkStale(HashedKey{key, hash}, now);
}

size_t Cache::PurgeTag(std::string_view tag) {
  size_t n = 0;
  for (size_t i = 0; i < kShards; ++i) {
    std::vector<EntryPtr> released;  // freed after each shard's lock
    n += shards_[i].PurgeTag(tag, /*soft=*/false, TimePoint{}, &released);
  }
  return n;
}

size_t Cache::MarkTagStale(std::string_view tag, TimePoint now) {
  size_t n = 0;
  std::vector<EntryPtr> none;
  for (size_t i = 0; i < kShards; ++i) n += shards_[i].PurgeTag(tag, /*soft=*/true, now, &none);
  return n;
}

size_t Cache::MarkGroupStale(uint32_t group, TimePoint now) {
  size_t n = 0;
  for (size_t i = 0; i < kShards; ++i) n += shards_[i].MarkGroupStale(group % kMaxGroups, now);
  return n;
}

size_t Cache::TagCount() const {
  size_t n = 0;
  for (size_t i = 0; i < kShards; ++i) n += shards_[i].TagCount();
  return n;
}

size_t Cache::PurgeGroup(uint32_t group) {
  size_t n = 0;
  for (size_t i = 0; i < kShards; ++i) n += shards_[i].PurgeGroup(group % kMaxGroups);
  return n;
}

void Cache::AddCharge(const Entry& entry, size_t bytes) {
  std::vector<EntryPtr> released;
  ShardFor(KeyedHash(entry.key())).AddCharge(entry, bytes, &released);
}

CacheStats Cache::Stats() const {
  CacheStats s;
  for (size_t i = 0; i < kShards; ++i) shards_[i].AddStats(&s);
  return s;
}

Cache::Spread Cache::IndexSpread() const {
  Spread s;
  for (size_t i = 0; i < kShards; ++i) shards_[i].AddSpread(&s);
  return s;
}

}  // namespace shoal::cache
