#include "cache/cache.h"

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "cache/test_entries.h"
#include "cache/test_gzip.h"

namespace shoal::cache {
namespace {

using testing::Gunzip;
using testing::MakeEntry;

TEST(EntryTest, OwnsExactlyItsBodyAndChargesIt) {
  EntryPtr e = MakeEntry("k", 1000);
  EXPECT_EQ(e->body().size(), 1000u);
  EXPECT_GE(e->BaseCharge(), 1000u + sizeof(Entry));
  EXPECT_LT(e->BaseCharge(), 1000u + sizeof(Entry) + 128u);
}

TEST(EntryTest, EtagIsStrongQuotedAndFollowsTheBody) {
  EntryPtr a = MakeEntry("a", 10, 'x');
  EntryPtr b = MakeEntry("b", 10, 'x');
  EntryPtr c = MakeEntry("c", 10, 'y');
  EXPECT_EQ(a->etag(), b->etag());
  EXPECT_NE(a->etag(), c->etag());
  ASSERT_EQ(a->etag().size(), 18u);
  EXPECT_EQ(a->etag().front(), '"');
  EXPECT_EQ(a->etag().back(), '"');
}

TEST(EntryTest, GzipBodyIsMadeOnceAndDecompressesToTheBody) {
  EntryPtr e = MakeEntry("k", 5000, 'z');
  bool made = false;
  const Bytes& first = e->GzipBody(&made);
  EXPECT_TRUE(made);
  EXPECT_LT(first.size(), 200u);
  const Bytes& second = e->GzipBody(&made);
  EXPECT_FALSE(made);
  EXPECT_EQ(first.data(), second.data());
  EXPECT_EQ(Gunzip(first.view()), std::string(5000, 'z'));
}

TEST(CacheTest, LookupFindsWhatWasInserted) {
  Cache cache({.capacity_bytes = 1 << 20});
  EntryPtr e = MakeEntry("/v1/items/1", 100);
  ASSERT_TRUE(cache.Insert(e));
  EXPECT_EQ(cache.Lookup("/v1/items/1"), e);
  EXPECT_EQ(cache.Lookup("/v1/items/2"), nullptr);
  EXPECT_EQ(cache.Stats().entries, 1u);
}

TEST(CacheTest, InsertReplacesAndRechargesTheKey) {
  Cache cache({.capacity_bytes = 1 << 20});
  ASSERT_TRUE(cache.Insert(MakeEntry("k", 100)));
  const uint64_t small = cache.Stats().bytes;
  EntryPtr big = MakeEntry("k", 1000);
  ASSERT_TRUE(cache.Insert(big));
  EXPECT_EQ(cache.Lookup("k"), big);
  EXPECT_EQ(cache.Stats().entries, 1u);
  EXPECT_EQ(cache.Stats().bytes, small + 900u);
}

TEST(CacheTest, StaysWithinBudgetByEvictingLeastRecentlyUsed) {
  // 16 shards of 64 KiB; 1 KiB bodies. Insert far more than fits.
  Cache cache({.capacity_bytes = 1 << 20});
  for (int i = 0; i < 5000; ++i) {
    ASSERT_TRUE(cache.Insert(MakeEntry("key" + std::to_string(i), 1024)));
    EXPECT_LE(cache.Stats().bytes, cache.capacity_bytes());
  }
  CacheStats s = cache.Stats();
  EXPECT_GT(s.evictions, 0u);
  EXPECT_GT(s.bytes, cache.capacity_bytes() * 8 / 10);  // the budget is actually used
  EXPECT_EQ(cache.Lookup("key0"), nullptr);             // oldest went first
  EXPECT_NE(cache.Lookup("key4999"), nullptr);          // newest stays
}

TEST(CacheTest, RecentlyUsedEntrySurvivesEviction) {
  Cache cache({.capacity_bytes = size_t{16} * 8 * 1024});  // 8 KiB a shard
  // Fill one shard's worth of keys in all shards, touching "keep" all along.
  ASSERT_TRUE(cache.Insert(MakeEntry("keep", 1000)));
  for (int i = 0; i < 2000; ++i) {
    ASSERT_NE(cache.Lookup("keep"), nullptr) << i;
    ASSERT_TRUE(cache.Insert(MakeEntry("k" + std::to_string(i), 1000)));
  }
  EXPECT_NE(cache.Lookup("keep"), nullptr);
}

// CLOCK's own rule (W-TinyLFU would keep "once" and turn the one-off keys away: see
// cache_admission_test.cc).
TEST(CacheTest, UnderClockAnEntryUsedOnceLeavesAfterOneMoreLap) {
  // 8 KiB a shard: about 7 entries of 1 KB
  Cache cache({.capacity_bytes = size_t{16} * 8 * 1024, .admission = Admission::kClock});
  ASSERT_TRUE(cache.Insert(MakeEntry("once", 1000)));
  ASSERT_NE(cache.Lookup("once"), nullptr);  // sets its used bit: one more lap, no more
  for (int i = 0; i < 2000; ++i)
    ASSERT_TRUE(cache.Insert(MakeEntry("k" + std::to_string(i), 1000)));
  EXPECT_EQ(cache.Lookup("once"), nullptr);
  EXPECT_NE(cache.Lookup("k1999"), nullptr);
}

TEST(CacheTest, EntryLargerThanAShardIsRefused) {
  Cache cache({.capacity_bytes = size_t{16} * 1024});  // 1 KiB a shard
  EXPECT_FALSE(cache.Insert(MakeEntry("big", 4096)));
  EXPECT_EQ(cache.Lookup("big"), nullptr);
  EXPECT_EQ(cache.Stats().bytes, 0u);
}

TEST(CacheTest, ZeroBudgetKeepsNothing) {
  Cache cache({.capacity_bytes = 0});
  EXPECT_FALSE(cache.Insert(MakeEntry("k", 1)));
  EXPECT_EQ(cache.Stats().entries, 0u);
}

TEST(CacheTest, EraseAndPurgeGroup) {
  Cache cache({.capacity_bytes = 1 << 20});
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(cache.Insert(MakeEntry("/a/" + std::to_string(i), 10), 1));
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(cache.Insert(MakeEntry("/b/" + std::to_string(i), 10), 2));
  EXPECT_TRUE(cache.Erase("/a/7"));
  EXPECT_FALSE(cache.Erase("/a/7"));
  EXPECT_EQ(cache.PurgeGroup(1), 49u);
  EXPECT_EQ(cache.PurgeGroup(1), 0u);  // nothing valid is left: a repeat costs nothing
  EXPECT_EQ(cache.PurgeGroup(7), 0u);  // a group never seen
  EXPECT_EQ(cache.Lookup("/a/3"), nullptr);
  EXPECT_FALSE(cache.Erase("/a/4"));  // invalidated: not counted, but dropped
  EXPECT_NE(cache.Lookup("/b/3"), nullptr);
  // A key inserted again after the purge is valid, in the group's new generation.
  ASSERT_TRUE(cache.Insert(MakeEntry("/a/5", 10), 1));
  EXPECT_NE(cache.Lookup("/a/5"), nullptr);
  EXPECT_EQ(cache.PurgeGroup(1), 1u);
  EXPECT_EQ(cache.Lookup("/a/5"), nullptr);
  // Groups fold modulo kMaxGroups.
  ASSERT_TRUE(cache.Insert(MakeEntry("/c", 10), Cache::kMaxGroups + 3));
  EXPECT_EQ(cache.PurgeGroup(3), 1u);
}

TEST(CacheTest, PurgeGroupOfAHundredThousandEntriesVisitsNone) {
  Cache cache({.capacity_bytes = size_t{256} << 20});
  constexpr int kEntries = 100000;
  std::vector<EntryPtr> held;
  held.reserve(kEntries);
  for (int i = 0; i < kEntries; ++i) {
    held.push_back(MakeEntry("/v1/items/" + std::to_string(i), 8));
    ASSERT_TRUE(cache.Insert(held.back(), 0));
  }
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(cache.Insert(MakeEntry("/v1/other/" + std::to_string(i), 8), 1));
  const uint64_t bytes = cache.Stats().bytes;

  EXPECT_EQ(cache.PurgeGroup(0), size_t{kEntries});
  // Not one entry was visited: each is still held by the cache (and `held`), still counted.
  for (const EntryPtr& e : held) ASSERT_EQ(e->RefCount(), 2U) << e->key();
  EXPECT_EQ(cache.Stats().entries, kEntries + 100u);
  EXPECT_EQ(cache.Stats().bytes, bytes);
  // Each reads as a miss and is dropped when found.
  for (const EntryPtr& e : held) ASSERT_EQ(cache.Lookup(e->key()), nullptr) << e->key();
  for (const EntryPtr& e : held) ASSERT_EQ(e->RefCount(), 1U) << e->key();
  EXPECT_EQ(cache.Stats().entries, 100u);
  // The other group is untouched.
  for (int i = 0; i < 100; ++i) EXPECT_NE(cache.Lookup("/v1/other/" + std::to_string(i)), nullptr);
}

// Generations are 32-bit and wrap (shard.h): the purge that wraps a group's generation in a
// shard first removes the shard's invalidated entries of the group, which would otherwise read
// as valid again once the generation came round to theirs.
TEST(CacheTest, APurgeThatWrapsTheGenerationFirstRemovesTheInvalidatedEntries) {
  constexpr uint32_t kMax = std::numeric_limits<uint32_t>::max();
  Cache cache({.capacity_bytes = 1 << 20});
  ASSERT_TRUE(cache.StartGenerationsForTest(1, kMax - 1, 0));
  // Two keys of one shard (generations move shard by shard).
  std::string current = "/current";
  for (int i = 0; Cache::Hash(current) >> 60 != Cache::Hash("/old") >> 60; ++i) {
    current = "/current" + std::to_string(i);
  }
  EntryPtr old = MakeEntry("/old", 10);
  ASSERT_TRUE(cache.Insert(old, 1));
  EXPECT_EQ(cache.PurgeGroup(1), 1u);  // kMax - 1 -> kMax: invalidated, not visited
  EXPECT_EQ(old->RefCount(), 2U);      // the cache still holds it
  EntryPtr now = MakeEntry(current, 10);
  ASSERT_TRUE(cache.Insert(now, 1));
  EXPECT_EQ(cache.PurgeGroup(1), 1u);  // kMax -> 0: the sweep drops /old first
  EXPECT_EQ(old->RefCount(), 1U);
  EXPECT_EQ(now->RefCount(), 2U);  // invalidated by this purge, not visited
  EXPECT_EQ(cache.Lookup(current), nullptr);
  ASSERT_TRUE(cache.Insert(MakeEntry("/old", 10), 1));  // generation 0 now
  EXPECT_NE(cache.Lookup("/old"), nullptr);
  EXPECT_FALSE(cache.StartGenerationsForTest(1, 5, 5));  // the group has an entry
}

// The same for soft purges: the one that wraps the soft generation first marks the entries
// that have not yet been looked up since an earlier soft purge, as of that purge.
TEST(CacheTest, ASoftPurgeThatWrapsTheGenerationFirstMarksTheEntriesBehind) {
  constexpr uint32_t kMax = std::numeric_limits<uint32_t>::max();
  Cache cache({.capacity_bytes = 1 << 20});
  ASSERT_TRUE(cache.StartGenerationsForTest(2, 0, kMax - 1));
  EntryPtr e = MakeEntry("/e", 10);  // fresh for 60 s from TimePoint()
  ASSERT_TRUE(cache.Insert(e, 2));
  const TimePoint first = TimePoint() + std::chrono::seconds(5);
  EXPECT_EQ(cache.MarkGroupStale(2, first), 1u);  // kMax - 1 -> kMax: marked when looked up
  EXPECT_FALSE(e->soft_purged());
  EXPECT_EQ(cache.MarkGroupStale(2, first + std::chrono::seconds(5)), 1u);  // kMax -> 0
  EXPECT_TRUE(e->soft_purged());
  EXPECT_EQ(e->fresh_until(), first);  // as of the purge it had missed
}

TEST(CacheTest, EvictionTakesInvalidatedEntriesFirst) {
  Cache cache({.capacity_bytes = size_t{16} * 8 * 1024});  // 8 KiB a shard: about 7 entries of 1 KB
  for (int i = 0; i < 200; ++i) {
    const std::string key = "old" + std::to_string(i);
    if (cache.Insert(MakeEntry(key, 1000), 1)) cache.Lookup(key);  // used: a second chance
  }
  ASSERT_GT(cache.PurgeGroup(1), 0u);
  // One new entry per shard's worth: each insert evicts an invalidated entry, used bit or not,
  // before any valid one.
  for (int i = 0; i < 16; ++i)
    ASSERT_TRUE(cache.Insert(MakeEntry("new" + std::to_string(i), 1000), 2));
  for (int i = 0; i < 16; ++i) EXPECT_NE(cache.Lookup("new" + std::to_string(i)), nullptr) << i;
}

TEST(CacheTest, AddChargeBillsTheGzipVariantAndEvicts) {
  Cache cache({.capacity_bytes = 1 << 20});
  EntryPtr e = MakeEntry("k", 100);
  ASSERT_TRUE(cache.Insert(e));
  const uint64_t before = cache.Stats().bytes;
  cache.AddCharge(*e, 40);
  EXPECT_EQ(cache.Stats().bytes, before + 40);
  // A replaced entry is not billed any more.
  EntryPtr replaced = MakeEntry("k", 100);
  ASSERT_TRUE(cache.Insert(replaced));
  const uint64_t now = cache.Stats().bytes;
  cache.AddCharge(*e, 40);
  EXPECT_EQ(cache.Stats().bytes, now);
  // A charge that exceeds the shard evicts the entry.
  cache.AddCharge(*replaced, 1 << 20);
  EXPECT_EQ(cache.Lookup("k"), nullptr);
  EXPECT_EQ(cache.Stats().bytes, 0u);
}

}  // namespace
}  // namespace shoal::cache
