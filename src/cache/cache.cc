#include "cache/cache.h"

// Invariants, per shard, under the shard's mutex:
//  - every node of lru_ is in index_ under the key of its entry, and the reverse;
//  - index_'s string_view keys point into node.entry->key(), which lives as long as the node;
//  - bytes_ is the sum of the nodes' charges; after every public call bytes_ <= capacity_;
//  - lru_ runs from most (front) to least (back) recently used.
// Entries leaving the cache are released after the mutex is dropped: the last reference to
// an entry frees its body, which is work we keep out of the critical section.

#include <list>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/hash.h"
#include "base/mutex.h"

namespace shoal::cache {

namespace {
// What a node costs beyond its entry: the list node (two pointers + payload) and the hash
// map node with its bucket slot, measured from libstdc++'s layouts.
constexpr size_t kNodeOverhead = 96;
}  // namespace

class Cache::Shard {
 public:
  void set_capacity(size_t capacity) { capacity_ = capacity; }

  EntryPtr Lookup(std::string_view key) {
    MutexLock lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->entry;
  }

  bool Insert(EntryPtr entry, std::vector<EntryPtr>* released) {
    const size_t charge = entry->BaseCharge() + kNodeOverhead;
    MutexLock lock(mu_);
    if (charge > capacity_) return false;
    auto it = index_.find(std::string_view(entry->key()));
    if (it != index_.end()) RemoveLocked(it, released);
    lru_.push_front(Node{std::move(entry), charge});
    index_.emplace(std::string_view(lru_.front().entry->key()), lru_.begin());
    bytes_ += charge;
    EvictLocked(released);
    return true;
  }

  bool Erase(std::string_view key, std::vector<EntryPtr>* released) {
    MutexLock lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    RemoveLocked(it, released);
    return true;
  }

  size_t ErasePrefix(std::string_view prefix, const std::function<bool(std::string_view)>& filter,
                     std::vector<EntryPtr>* released) {
    MutexLock lock(mu_);
    size_t n = 0;
    for (auto it = index_.begin(); it != index_.end();) {
      if (it->first.starts_with(prefix) && (!filter || filter(it->first))) {
        auto next = std::next(it);
        RemoveLocked(it, released);
        it = next;
        ++n;
      } else {
        ++it;
      }
    }
    return n;
  }

  void AddCharge(const Entry& entry, size_t bytes, std::vector<EntryPtr>* released) {
    MutexLock lock(mu_);
    auto it = index_.find(std::string_view(entry.key()));
    if (it == index_.end() || it->second->entry.get() != &entry) return;
    it->second->charge += bytes;
    bytes_ += bytes;
    EvictLocked(released);
  }

  void AddStats(CacheStats* s) {
    MutexLock lock(mu_);
    s->entries += index_.size();
    s->bytes += bytes_;
    s->evictions += evictions_;
  }

 private:
  struct Node {
    EntryPtr entry;
    size_t charge;
  };
  using List = std::list<Node>;
  using Index = std::unordered_map<std::string_view, List::iterator>;

  void RemoveLocked(Index::iterator it, std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_) {
    List::iterator node = it->second;
    index_.erase(it);  // before the node: the map's key views the entry's key
    bytes_ -= node->charge;
    released->push_back(std::move(node->entry));
    lru_.erase(node);
  }

  void EvictLocked(std::vector<EntryPtr>* released) SHOAL_REQUIRES(mu_) {
    while (bytes_ > capacity_ && !lru_.empty()) {
      auto it = index_.find(std::string_view(lru_.back().entry->key()));
      RemoveLocked(it, released);
      ++evictions_;
    }
  }

  Mutex mu_;
  size_t capacity_ = 0;
  List lru_ SHOAL_GUARDED_BY(mu_);
  Index index_ SHOAL_GUARDED_BY(mu_);
  size_t bytes_ SHOAL_GUARDED_BY(mu_) = 0;
  uint64_t evictions_ SHOAL_GUARDED_BY(mu_) = 0;
};

Cache::Cache(CacheOptions options)
    : capacity_(options.capacity_bytes), shards_(std::make_unique<Shard[]>(kShards)) {
  for (size_t i = 0; i < kShards; ++i) shards_[i].set_capacity(capacity_ / kShards);
}

Cache::~Cache() = default;

Cache::Shard& Cache::ShardFor(std::string_view key) {
  return shards_[Hash64(key) >> 60];  // top 4 bits: 16 shards
}

EntryPtr Cache::Lookup(std::string_view key) { return ShardFor(key).Lookup(key); }

bool Cache::Insert(EntryPtr entry) {
  std::vector<EntryPtr> released;
  Shard& shard = ShardFor(entry->key());
  return shard.Insert(std::move(entry), &released);
}

bool Cache::Erase(std::string_view key) {
  std::vector<EntryPtr> released;
  return ShardFor(key).Erase(key, &released);
}

size_t Cache::ErasePrefix(std::string_view prefix,
                          const std::function<bool(std::string_view)>& filter) {
  std::vector<EntryPtr> released;
  size_t n = 0;
  for (size_t i = 0; i < kShards; ++i) n += shards_[i].ErasePrefix(prefix, filter, &released);
  return n;
}

void Cache::AddCharge(const Entry& entry, size_t bytes) {
  std::vector<EntryPtr> released;
  ShardFor(entry.key()).AddCharge(entry, bytes, &released);
}

CacheStats Cache::Stats() const {
  CacheStats s;
  for (size_t i = 0; i < kShards; ++i) shards_[i].AddStats(&s);
  return s;
}

}  // namespace shoal::cache
