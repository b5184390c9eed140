#include "cache/cache.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <random>
#include <string_view>
#include <utility>
#include <vector>

#include "base/keyed_hash.h"
#include "cache/shard.h"

namespace shoal::cache {

using internal::HashedKey;

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
    shards_[i].Configure(options.capacity_bytes / kShards, options.admission, seeds());
}

void Cache::SetCapacity(size_t bytes) {
  capacity_.store(bytes, std::memory_order_relaxed);
  for (size_t i = 0; i < kShards; ++i) {
    std::vector<EntryPtr> released;  // freed after each shard's lock
    shards_[i].SetCapacity(bytes / kShards, &released);
  }
}

void Cache::SetInsertWatch(size_t every, std::function<void()> watch) {
  watch_every_ = std::max<size_t>(every, 1);
  watch_ = std::move(watch);
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
  const size_t charge = entry->BaseCharge();
  const bool kept = shard.Insert(std::move(entry), hash, group % kMaxGroups, &released);
  if (kept) Watch(charge, &released);
  return kept;
}

void Cache::Watch(size_t charge, std::vector<EntryPtr>* released) {
  if (!watch_) return;
  const size_t since = inserted_since_watch_.fetch_add(charge, std::memory_order_relaxed);
  if (since + charge >= watch_every_) {
    inserted_since_watch_.store(0, std::memory_order_relaxed);
    released->clear();  // the evicted entries go before the watch looks at the memory
    watch_();
  }
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
  for (size_t i = 0; i < kShards; ++i) {
    std::vector<EntryPtr> released;  // freed after each shard's lock
    n += shards_[i].PurgeGroup(group % kMaxGroups, &released);
  }
  return n;
}

bool Cache::StartGenerationsForTest(uint32_t group, uint32_t generation, uint32_t soft_generation) {
  bool ok = true;
  for (size_t i = 0; i < kShards; ++i) {
    ok = shards_[i].StartGenerationsForTest(group % kMaxGroups, generation, soft_generation) && ok;
  }
  return ok;
}

void Cache::AddCharge(const Entry& entry, size_t bytes) {
  std::vector<EntryPtr> released;
  const uint64_t hash = KeyedHash(entry.key());
  ShardFor(hash).AddCharge(entry, hash, bytes, &released);
  Watch(bytes, &released);  // a gzip variant grows the process as an insert does
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
