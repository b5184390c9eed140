#include "cache/shard.h"

#include <algorithm>
#include <bit>
#include <limits>

#include "cache/tag_list.h"

namespace shoal::cache {

using internal::kTagOverhead;

size_t TagCharge(const Entry& entry) {
  size_t charge = 0;
  entry.ForEachTag([&](std::string_view tag) { charge += tag.size() + kTagOverhead; });
  return charge;
}

void Cache::Shard::Configure(size_t capacity, Admission admission, uint64_t seed) {
  MutexLock lock(mu_);
  if (admission == Admission::kTinyLfu) {
    sketch_ = std::make_unique<FrequencySketch>(
        FrequencySketchOptions{.expected_keys = capacity / kSketchBytesPerKey});
  }
  SetSharesLocked(capacity);
  rng_.seed(seed);
}

void Cache::Shard::SetCapacity(size_t capacity, std::vector<EntryPtr>* released) {
  MutexLock lock(mu_);
  SetSharesLocked(capacity);
  EvictLocked(released);
}

void Cache::Shard::SetSharesLocked(size_t capacity) {
  capacity_ = capacity;
  if (sketch_ == nullptr) return;
  window_capacity_ = capacity / 100;
  protected_capacity_ = (capacity - window_capacity_) / 100 * kProtectedPercent;
}

EntryPtr Cache::Shard::Lookup(HashedKey key, uint64_t* version, std::vector<EntryPtr>* released) {
  MutexLock lock(mu_);
  const NodeId id = FindLocked(key);
  if (id == kNil) return nullptr;
  Node& node = At(id);
  if (!ValidLocked(node)) {
    RemoveLocked(id, released);
    return nullptr;
  }
  if (const Group& g = groups_[node.group]; node.soft_generation != g.soft_generation) {
    node.entry->MarkStale(g.soft_at);
    node.soft_generation = g.soft_generation;
  }
  node.entry->MarkUsed();  // no list move: see CLOCK in cache.h
  *version = version_.load(std::memory_order_relaxed);
  return node.entry;
}

bool Cache::Shard::Insert(EntryPtr entry, uint64_t hash, uint32_t group,
                          std::vector<EntryPtr>* released) {
  // Its first lap under W-TinyLFU is the window's; CLOCK's one list is probation_.
  const Segment segment = sketch_ != nullptr ? Segment::kWindow : Segment::kProbation;
  const size_t charge = entry->BaseCharge() + kNodeOverhead + TagCharge(*entry);
  MutexLock lock(mu_);
  if (charge > capacity_ || charge > std::numeric_limits<uint32_t>::max()) return false;
  if (const NodeId old = FindLocked(HashedKey{entry->key(), hash}); old != kNil) {
    RemoveLocked(old, released);
  }
  // Groups are endpoints: a handful, grown here once each.
  if (group >= groups_.size()) groups_.resize(size_t{group} + 1);
  ++groups_[group].live;
  const Entry* e = entry.get();
  const NodeId id = NewNodeLocked(Node{.entry = std::move(entry),
                                       .hash = hash,
                                       .generation = groups_[group].generation,
                                       .soft_generation = groups_[group].soft_generation,
                                       .charge = static_cast<uint32_t>(charge),
                                       .prev = kNil,
                                       .next = kNil,
                                       .group = static_cast<uint16_t>(group),
                                       .segment = segment});
  LinkFrontLocked(id);
  IndexLocked(id);
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

bool Cache::Shard::Erase(HashedKey key, std::vector<EntryPtr>* released) {
  MutexLock lock(mu_);
  const NodeId id = FindLocked(key);
  if (id == kNil) return false;
  const bool valid = ValidLocked(At(id));
  RemoveLocked(id, released);
  return valid;
}

bool Cache::Shard::MarkStale(HashedKey key, TimePoint now) {
  MutexLock lock(mu_);
  const NodeId id = FindLocked(key);
  if (id == kNil || !ValidLocked(At(id))) return false;
  At(id).entry->MarkStale(now);
  return true;
}

size_t Cache::Shard::PurgeTag(std::string_view tag, bool soft, TimePoint now,
                              std::vector<EntryPtr>* released) {
  MutexLock lock(mu_);
  auto t = tags_.find(tag);
  if (t == tags_.end()) return 0;
  size_t n = 0;
  if (soft) {
    for (const Entry* e : t->second) {
      if (ValidLocked(At(FindLocked(*e))) && e->MarkStale(now)) ++n;
    }
    return n;
  }
  // RemoveLocked edits this tag's set (and may erase it): walk a copy.
  const std::vector<const Entry*> carrying(t->second.begin(), t->second.end());
  for (const Entry* e : carrying) {
    const NodeId id = FindLocked(*e);
    if (ValidLocked(At(id))) ++n;
    RemoveLocked(id, released);
  }
  return n;
}

size_t Cache::Shard::MarkGroupStale(uint32_t group, TimePoint now) {
  MutexLock lock(mu_);
  if (group >= groups_.size() || groups_[group].live == 0) return 0;
  if (groups_[group].soft_generation == std::numeric_limits<uint32_t>::max()) {
    SweepGroupLocked(group, nullptr);  // marks only: nothing is released
  }
  ++groups_[group].soft_generation;
  groups_[group].soft_at = now;
  // Front slots would serve the entries without the Lookup that marks them: void them.
  version_.store(version_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  return groups_[group].live;
}

void Cache::Shard::SweepGroupLocked(uint32_t group, std::vector<EntryPtr>* released) {
  Group& g = groups_[group];
  for (NodeId id = 0; id < nodes_made_; ++id) {
    Node& node = At(id);
    if (!node.entry || node.group != group) continue;
    if (node.generation != g.generation) {
      if (released != nullptr) RemoveLocked(id, released);
      continue;  // (a soft sweep leaves invalidated nodes to the next purge's sweep)
    }
    if (node.soft_generation != g.soft_generation) {
      node.entry->MarkStale(g.soft_at);
      node.soft_generation = g.soft_generation;
    }
  }
}

bool Cache::Shard::StartGenerationsForTest(uint32_t group, uint32_t generation,
                                           uint32_t soft_generation) {
  MutexLock lock(mu_);
  if (group >= groups_.size()) groups_.resize(size_t{group} + 1);
  Group& g = groups_[group];
  if (g.live != 0) return false;
  for (NodeId id = 0; id < nodes_made_; ++id) {
    if (At(id).entry && At(id).group == group) return false;
  }
  g.generation = generation;
  g.soft_generation = soft_generation;
  return true;
}

size_t Cache::Shard::TagCount() {
  MutexLock lock(mu_);
  return tags_.size();
}

size_t Cache::Shard::PurgeGroup(uint32_t group, std::vector<EntryPtr>* released) {
  MutexLock lock(mu_);
  if (group >= groups_.size() || groups_[group].live == 0) return 0;
  if (groups_[group].generation == std::numeric_limits<uint32_t>::max()) {
    SweepGroupLocked(group, released);
  }
  const size_t n = groups_[group].live;
  ++groups_[group].generation;
  groups_[group].live = 0;
  // Front slots taken from this shard may hold entries of the group: void them all.
  version_.store(version_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  return n;
}

void Cache::Shard::AddCharge(const Entry& entry, uint64_t hash, size_t bytes,
                             std::vector<EntryPtr>* released) {
  MutexLock lock(mu_);
  const NodeId id = FindLocked(HashedKey{entry.key(), hash});
  if (id == kNil || At(id).entry.get() != &entry) return;
  Node& node = At(id);
  // The charge saturates rather than wrap (an entry near 4 GiB; none is, in practice), and
  // the totals take what the node took, so that removing it takes back exactly that.
  const uint32_t add = static_cast<uint32_t>(
      std::min<size_t>(bytes, std::numeric_limits<uint32_t>::max() - node.charge));
  node.charge += add;
  bytes_ += add;
  BytesOf(node.segment) += add;
  EvictLocked(released);
}

void Cache::Shard::AddStats(CacheStats* s) {
  MutexLock lock(mu_);
  s->entries += index_size_;
  s->bytes += bytes_;
  s->evictions += evictions_;
}

void Cache::Shard::AddSpread(Spread* s) {
  MutexLock lock(mu_);
  s->largest_shard = std::max(s->largest_shard, index_size_);
  // A lookup walks from its key's home slot to the key: the longest such walk.
  const size_t mask = slots_.size() - 1;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i] == kNil) continue;
    const size_t walk = ((i - SlotOf(At(slots_[i]).hash)) & mask) + 1;
    s->longest_walk = std::max(s->longest_walk, walk);
  }
}

void Cache::Shard::RemoveLocked(NodeId id, std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_) {
  Node& node = At(id);
  if (ValidLocked(node)) --groups_[node.group].live;
  const Entry* e = node.entry.get();
  for (std::string_view rest = e->tags(), tag; NextTag(&rest, &tag);) {
    auto t = tags_.find(tag);
    if (t == tags_.end()) continue;  // a tag listed twice: gone with its first
    t->second.erase(e);
    if (t->second.empty()) tags_.erase(t);
  }
  // Every front slot taken from this shard so far may hold this entry: void them all.
  version_.store(version_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  UnindexLocked(id);
  UnlinkLocked(id);
  bytes_ -= node.charge;
  BytesOf(node.segment) -= node.charge;
  released->push_back(std::move(node.entry));
  FreeNodeLocked(id);
}

void Cache::Shard::MoveLocked(NodeId id, Segment to) SHOAL_REQUIRES(mu_) {
  Node& node = At(id);
  UnlinkLocked(id);
  BytesOf(node.segment) -= node.charge;
  BytesOf(to) += node.charge;
  node.segment = to;
  LinkFrontLocked(id);
}

void Cache::Shard::EvictNodeLocked(NodeId id, std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_) {
  RemoveLocked(id, released);
  ++evictions_;
}

bool Cache::Shard::FoldUseLocked(const Node& node) SHOAL_REQUIRES(mu_) {
  if (!node.entry->TakeUsed()) return false;
  sketch_->Record(node.hash);
  return true;
}

void Cache::Shard::LeaveWindowLocked(const Node& node) SHOAL_REQUIRES(mu_) {
  if (FoldUseLocked(node)) node.entry->MarkUsed();
}

void Cache::Shard::EvictLocked(std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_) {
  if (sketch_ == nullptr) {
    EvictClockLocked(released);
  } else {
    EvictTinyLfuLocked(released);
  }
}

void Cache::Shard::EvictClockLocked(std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_) {
  size_t second_chances = 0;  // at most one lap of the list per call
  while (bytes_ > capacity_ && !probation_.empty()) {
    const NodeId oldest = probation_.back;
    // An invalidated entry goes first, used or not: nobody can be served it any more.
    if (second_chances < probation_.size && ValidLocked(At(oldest)) &&
        At(oldest).entry->TakeUsed()) {
      // Used since eviction last passed it: it goes round again.
      MoveLocked(oldest, Segment::kProbation);
      ++second_chances;
      continue;
    }
    EvictNodeLocked(oldest, released);
  }
}

void Cache::Shard::EvictTinyLfuLocked(std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_) {
  size_t passes = 0;  // second chances given by this call: at most one per node
  const size_t pass_limit = index_size_;
  // The newest entry always stays in the window, however small its share.
  while (window_bytes_ > window_capacity_ && window_.size > 1) {
    const NodeId candidate = window_.back;
    if (bytes_ <= capacity_ || !ValidLocked(At(candidate))) {
      if (!ValidLocked(At(candidate))) {
        EvictNodeLocked(candidate, released);
      } else {
        LeaveWindowLocked(At(candidate));
        MoveLocked(candidate, Segment::kProbation);
      }
      continue;
    }
    LeaveWindowLocked(At(candidate));
    const NodeId victim = MainVictimLocked(&passes, pass_limit);
    if (victim == kNil) {  // the main area is empty
      MoveLocked(candidate, Segment::kProbation);
    } else if (!ValidLocked(At(victim)) ||
               Admit(FrequencyLocked(At(candidate)), FrequencyLocked(At(victim)))) {
      EvictNodeLocked(victim, released);
      MoveLocked(candidate, Segment::kProbation);
    } else {
      EvictNodeLocked(candidate, released);
    }
  }
  // Still over (a charge added, or the window within its share): the main area's victims go,
  // then the window's.
  while (bytes_ > capacity_) {
    const NodeId victim = MainVictimLocked(&passes, pass_limit);
    if (victim != kNil) {
      EvictNodeLocked(victim, released);
    } else if (!window_.empty()) {
      EvictNodeLocked(window_.back, released);
    } else {
      break;
    }
  }
}

Cache::Shard::NodeId Cache::Shard::MainVictimLocked(size_t* passes, size_t pass_limit)
    SHOAL_REQUIRES(mu_) {
  while (true) {
    // Invalidated entries go first wherever eviction meets them, protected's oldest too.
    if (!protected_.empty() && !ValidLocked(At(protected_.back))) return protected_.back;
    while (protected_bytes_ > protected_capacity_ || (probation_.empty() && !protected_.empty())) {
      const NodeId oldest = protected_.back;
      if (ValidLocked(At(oldest)) && *passes < pass_limit && FoldUseLocked(At(oldest))) {
        ++*passes;
        MoveLocked(oldest, Segment::kProtected);
      } else {
        MoveLocked(oldest, Segment::kProbation);
      }
    }
    if (probation_.empty()) return kNil;
    const NodeId victim = probation_.back;
    if (!ValidLocked(At(victim)) || *passes >= pass_limit || !FoldUseLocked(At(victim))) {
      return victim;
    }
    ++*passes;
    MoveLocked(victim, Segment::kProtected);
  }
}

bool Cache::Shard::Admit(uint32_t candidate, uint32_t victim) SHOAL_REQUIRES(mu_) {
  if (candidate > victim) return true;
  if (candidate <= 5) return false;
  return (rng_() & 127) == 0;
}

// ---- the node pool, the lists and the index ------------------------------------------------

Cache::Shard::NodeId Cache::Shard::NewNodeLocked(Node node) SHOAL_REQUIRES(mu_) {
  NodeId id = free_;
  if (id != kNil) {
    free_ = At(id).next;
  } else {
    if (nodes_made_ % kBlockNodes == 0) blocks_.push_back(std::make_unique<Node[]>(kBlockNodes));
    id = nodes_made_++;
  }
  At(id) = std::move(node);
  return id;
}

void Cache::Shard::FreeNodeLocked(NodeId id) SHOAL_REQUIRES(mu_) {
  Node& node = At(id);
  node.entry = nullptr;
  node.next = free_;
  free_ = id;
}

void Cache::Shard::LinkFrontLocked(NodeId id) SHOAL_REQUIRES(mu_) {
  Node& node = At(id);
  List& list = ListOf(node.segment);
  node.prev = kNil;
  node.next = list.front;
  if (list.front != kNil) At(list.front).prev = id;
  list.front = id;
  if (list.back == kNil) list.back = id;
  ++list.size;
}

void Cache::Shard::UnlinkLocked(NodeId id) SHOAL_REQUIRES(mu_) {
  Node& node = At(id);
  List& list = ListOf(node.segment);
  (node.prev != kNil ? At(node.prev).next : list.front) = node.next;
  (node.next != kNil ? At(node.next).prev : list.back) = node.prev;
  node.prev = node.next = kNil;
  --list.size;
}

Cache::Shard::NodeId Cache::Shard::FindLocked(HashedKey key) SHOAL_REQUIRES(mu_) {
  if (slots_.empty()) return kNil;
  const size_t mask = slots_.size() - 1;
  for (size_t i = SlotOf(key.hash);; i = (i + 1) & mask) {
    const NodeId id = slots_[i];
    if (id == kNil) return kNil;
    const Node& node = At(id);
    if (node.hash == key.hash && node.entry->key() == key.key) return id;
  }
}

void Cache::Shard::IndexLocked(NodeId id) SHOAL_REQUIRES(mu_) {
  if ((index_size_ + 1) * 4 > slots_.size() * 3) GrowIndexLocked();
  const size_t mask = slots_.size() - 1;
  size_t i = SlotOf(At(id).hash);
  while (slots_[i] != kNil) i = (i + 1) & mask;
  slots_[i] = id;
  ++index_size_;
}

void Cache::Shard::UnindexLocked(NodeId id) SHOAL_REQUIRES(mu_) {
  const size_t mask = slots_.size() - 1;
  size_t hole = SlotOf(At(id).hash);
  while (slots_[hole] != id) hole = (hole + 1) & mask;
  // Backward shift: each later node of the run that may live in the hole (its home is not
  // between the hole and itself) moves into it, and its old slot becomes the hole.
  for (size_t j = (hole + 1) & mask; slots_[j] != kNil; j = (j + 1) & mask) {
    const size_t home = SlotOf(At(slots_[j]).hash);
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = kNil;
  --index_size_;
}

void Cache::Shard::GrowIndexLocked() SHOAL_REQUIRES(mu_) {
  std::vector<NodeId> old = std::move(slots_);
  const size_t size = old.empty() ? 16 : old.size() * 2;
  slots_.assign(size, kNil);
  slot_shift_ = static_cast<unsigned>(64 - std::countr_zero(size));
  const size_t mask = size - 1;
  for (const NodeId id : old) {
    if (id == kNil) continue;
    size_t i = SlotOf(At(id).hash);
    while (slots_[i] != kNil) i = (i + 1) & mask;
    slots_[i] = id;
  }
}

}  // namespace shoal::cache
