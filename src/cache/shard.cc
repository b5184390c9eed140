#include "cache/shard.h"

#include <algorithm>
#include <iterator>

#include "cache/tag_list.h"

namespace shoal::cache {

using internal::kNodeOverhead;
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

bool Cache::Shard::Insert(EntryPtr entry, uint64_t hash, uint32_t group,
                          std::vector<EntryPtr>* released) {
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

bool Cache::Shard::Erase(HashedKey key, std::vector<EntryPtr>* released) {
  MutexLock lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return false;
  const bool valid = ValidLocked(*it->second);
  RemoveLocked(it, released);
  return valid;
}

bool Cache::Shard::MarkStale(HashedKey key, TimePoint now) {
  MutexLock lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end() || !ValidLocked(*it->second)) return false;
  it->second->entry->MarkStale(now);
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

size_t Cache::Shard::MarkGroupStale(uint32_t group, TimePoint now) {
  MutexLock lock(mu_);
  if (group >= groups_.size() || groups_[group].live == 0) return 0;
  ++groups_[group].soft_generation;
  groups_[group].soft_at = now;
  // Front slots would serve the entries without the Lookup that marks them: void them.
  version_.store(version_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  return groups_[group].live;
}

size_t Cache::Shard::TagCount() {
  MutexLock lock(mu_);
  return tags_.size();
}

size_t Cache::Shard::PurgeGroup(uint32_t group) {
  MutexLock lock(mu_);
  if (group >= groups_.size() || groups_[group].live == 0) return 0;
  const size_t n = groups_[group].live;
  ++groups_[group].generation;
  groups_[group].live = 0;
  // Front slots taken from this shard may hold entries of the group: void them all.
  version_.store(version_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  return n;
}

void Cache::Shard::AddCharge(const Entry& entry, size_t bytes, std::vector<EntryPtr>* released) {
  MutexLock lock(mu_);
  auto it = index_.find(std::string_view(entry.key()));
  if (it == index_.end() || it->second->entry.get() != &entry) return;
  it->second->charge += bytes;
  bytes_ += bytes;
  BytesOf(it->second->segment) += bytes;
  EvictLocked(released);
}

void Cache::Shard::AddStats(CacheStats* s) {
  MutexLock lock(mu_);
  s->entries += index_.size();
  s->bytes += bytes_;
  s->evictions += evictions_;
}

void Cache::Shard::AddSpread(Spread* s) {
  MutexLock lock(mu_);
  s->largest_shard = std::max(s->largest_shard, index_.size());
  for (size_t b = 0; b < index_.bucket_count(); ++b) {
    s->largest_bucket = std::max(s->largest_bucket, index_.bucket_size(b));
  }
}

void Cache::Shard::RemoveLocked(Index::iterator it, std::vector<EntryPtr>* released)
    SHOAL_REQUIRES(mu_) {
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

void Cache::Shard::MoveLocked(List::iterator node, Segment to) SHOAL_REQUIRES(mu_) {
  BytesOf(node->segment) -= node->charge;
  BytesOf(to) += node->charge;
  ListOf(to).splice(ListOf(to).begin(), ListOf(node->segment), node);
  node->segment = to;
}

void Cache::Shard::EvictNodeLocked(List::iterator node, std::vector<EntryPtr>* released)
    SHOAL_REQUIRES(mu_) {
  RemoveLocked(index_.find(std::string_view(node->entry->key())), released);
  ++evictions_;
}

bool Cache::Shard::FoldUseLocked(const Node& node) SHOAL_REQUIRES(mu_) {
  if (!node.entry->TakeUsed()) return false;
  sketch_->Record(KeyedHash(node.entry->key()));
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

void Cache::Shard::EvictTinyLfuLocked(std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_) {
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

Cache::Shard::List::iterator Cache::Shard::MainVictimLocked(size_t* passes, size_t pass_limit)
    SHOAL_REQUIRES(mu_) {
  while (true) {
    // Invalidated entries go first wherever eviction meets them, protected's oldest too.
    if (!protected_.empty() && !ValidLocked(protected_.back())) return std::prev(protected_.end());
    while (protected_bytes_ > protected_capacity_ || (probation_.empty() && !protected_.empty())) {
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

bool Cache::Shard::Admit(uint32_t candidate, uint32_t victim) SHOAL_REQUIRES(mu_) {
  if (candidate > victim) return true;
  if (candidate <= 5) return false;
  return (rng_() & 127) == 0;
}

}  // namespace shoal::cache
