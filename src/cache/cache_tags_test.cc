// The cache's tag index (cache.h, "Tags") and soft purges: what a tag purge removes, what the
// index costs and that it empties as entries leave by every way out.
#include <chrono>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "cache/cache.h"
#include "cache/test_entries.h"

namespace shoal::cache {
namespace {

using testing::MakeEntry;

EntryPtr Tagged(std::string key, std::string tags, size_t body = 100) {
  EntryOptions o = MakeEntry(std::move(key), body)->CopyOptions();
  o.tags = std::move(tags);
  return Entry::Make(std::move(o));
}

TEST(CacheTagsTest, PurgeTagRemovesExactlyTheEntriesCarryingIt) {
  Cache cache({.capacity_bytes = 1 << 20});
  ASSERT_TRUE(cache.Insert(Tagged("/items/5", "item:5")));
  ASSERT_TRUE(cache.Insert(Tagged("/items/5/reviews", "item:5 review:1 review:2")));
  ASSERT_TRUE(cache.Insert(Tagged("/categories/books", "category:books item:5 item:6")));
  ASSERT_TRUE(cache.Insert(Tagged("/items/6", "item:6")));
  ASSERT_TRUE(cache.Insert(MakeEntry("/untagged", 10)));
  // item:5, review:1, review:2, category:books, item:6: once per shard that holds them.
  EXPECT_GE(cache.TagCount(), 5u);

  EXPECT_EQ(cache.PurgeTag("item:5"), 3u);
  EXPECT_EQ(cache.Lookup("/items/5"), nullptr);
  EXPECT_EQ(cache.Lookup("/items/5/reviews"), nullptr);
  EXPECT_EQ(cache.Lookup("/categories/books"), nullptr);
  EXPECT_NE(cache.Lookup("/items/6"), nullptr);
  EXPECT_NE(cache.Lookup("/untagged"), nullptr);
  // The tags only the removed entries carried left the index with them.
  EXPECT_EQ(cache.TagCount(), 1u);  // item:6
  EXPECT_EQ(cache.PurgeTag("item:5"), 0u);
  EXPECT_EQ(cache.PurgeTag("no-such-tag"), 0u);
  EXPECT_EQ(cache.PurgeTag("item:6"), 1u);
  EXPECT_EQ(cache.TagCount(), 0u);
  EXPECT_EQ(cache.Stats().entries, 1u);
}

TEST(CacheTagsTest, TagsAreChargedAndTheChargeLeavesWithTheEntry) {
  Cache cache({.capacity_bytes = 1 << 20});
  ASSERT_TRUE(cache.Insert(MakeEntry("/plain", 100)));
  const uint64_t plain = cache.Stats().bytes;
  ASSERT_TRUE(cache.Erase("/plain"));
  EXPECT_EQ(cache.Stats().bytes, 0u);

  std::string tags;
  for (int i = 0; i < 64; ++i) tags += (i ? " tag:" : "tag:") + std::to_string(i);
  EntryPtr tagged = Tagged("/plain", tags);
  EXPECT_EQ(TagCharge(*tagged),
            tags.size() - 63 + size_t{64} * 176);  // each tag's bytes + overhead
  ASSERT_TRUE(cache.Insert(tagged));
  const uint64_t with_tags = cache.Stats().bytes;
  // The tags string the entry holds and the index's share both count.
  EXPECT_GE(with_tags, plain + TagCharge(*tagged) + tags.size());
  EXPECT_EQ(cache.TagCount(), 64u);
  ASSERT_TRUE(cache.Erase("/plain"));
  EXPECT_EQ(cache.Stats().bytes, 0u);
  EXPECT_EQ(cache.TagCount(), 0u);
}

TEST(CacheTagsTest, ReplacementAndEvictionCleanTheIndex) {
  // Room for a few entries per shard only: inserting many evicts.
  Cache cache({.capacity_bytes = size_t{16} * 4096});
  ASSERT_TRUE(cache.Insert(Tagged("/k", "old:1 shared")));
  ASSERT_TRUE(cache.Insert(Tagged("/k", "new:1 shared")));  // replacement
  EXPECT_EQ(cache.PurgeTag("old:1"), 0u);
  EXPECT_NE(cache.Lookup("/k"), nullptr);
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(
        cache.Insert(Tagged("/e/" + std::to_string(i), "t:" + std::to_string(i) + " shared", 500)));
  }
  const CacheStats s = cache.Stats();
  EXPECT_GT(s.evictions, 1000u);
  EXPECT_LE(s.bytes, 16u * 4096);
  // One tag per entry still held, plus "shared" once per shard: evicted entries took theirs.
  EXPECT_GT(cache.TagCount(), s.entries);
  EXPECT_LE(cache.TagCount(), s.entries + 16);
  EXPECT_EQ(cache.PurgeTag("shared"), s.entries);
  EXPECT_EQ(cache.TagCount(), 0u);
  EXPECT_EQ(cache.Stats().entries, 0u);
  EXPECT_EQ(cache.Stats().bytes, 0u);
}

TEST(CacheTagsTest, GroupPurgeLeavesInvalidatedEntriesIndexedUntilTheyAreDropped) {
  Cache cache({.capacity_bytes = 1 << 20});
  ASSERT_TRUE(cache.Insert(Tagged("/a", "x"), 1));
  ASSERT_TRUE(cache.Insert(Tagged("/b", "x"), 2));
  EXPECT_EQ(cache.PurgeGroup(1), 1u);
  // /a is invalidated but not yet dropped: a tag purge drops it without counting it.
  EXPECT_EQ(cache.PurgeTag("x"), 1u);
  EXPECT_EQ(cache.Stats().entries, 0u);
  EXPECT_EQ(cache.TagCount(), 0u);
  // Dropped by a Lookup instead.
  ASSERT_TRUE(cache.Insert(Tagged("/c", "y"), 1));
  EXPECT_EQ(cache.PurgeGroup(1), 1u);
  EXPECT_EQ(cache.Lookup("/c"), nullptr);
  EXPECT_EQ(cache.TagCount(), 0u);
}

TEST(CacheTagsTest, NoStoreEntriesAreRefused) {
  Cache cache({.capacity_bytes = 1 << 20});
  EntryOptions o = MakeEntry("/k", 10)->CopyOptions();
  o.no_store = true;
  EXPECT_FALSE(cache.Insert(Entry::Make(std::move(o))));
  EXPECT_EQ(cache.Stats().entries, 0u);
}

TEST(CacheSoftPurgeTest, MarkStaleEndsFreshnessAndKeepsGraceFromThePurge) {
  const TimePoint t0 = TimePoint();
  EntryPtr e = MakeEntry("/k", 10);  // fresh until t0+60s, servable until t0+120s
  EXPECT_EQ(e->fresh_until(), t0 + std::chrono::seconds(60));
  const TimePoint purge = t0 + std::chrono::seconds(10);
  EXPECT_TRUE(e->MarkStale(purge));
  EXPECT_FALSE(e->MarkStale(purge + std::chrono::seconds(1)));  // the first mark stands
  EXPECT_TRUE(e->soft_purged());
  EXPECT_FALSE(e->IsFresh(purge));
  EXPECT_TRUE(e->IsFresh(purge - std::chrono::seconds(1)));
  // Grace (60 s) counts from the purge, not from the old freshness.
  EXPECT_EQ(e->stale_until(), purge + std::chrono::seconds(60));
  EXPECT_TRUE(e->IsServable(purge + std::chrono::seconds(59)));
  EXPECT_FALSE(e->IsServable(purge + std::chrono::seconds(60)));
  // A copy carries the effective deadlines.
  EXPECT_EQ(e->CopyOptions().fresh_until, purge);
}

TEST(CacheSoftPurgeTest, KeyTagAndGroupSoftPurgesMarkWithoutRemoving) {
  Cache cache({.capacity_bytes = 1 << 20});
  const TimePoint now = TimePoint() + std::chrono::seconds(5);
  ASSERT_TRUE(cache.Insert(Tagged("/a", "t"), 1));
  ASSERT_TRUE(cache.Insert(Tagged("/b", "t"), 1));
  ASSERT_TRUE(cache.Insert(Tagged("/c", "u"), 2));
  ASSERT_TRUE(cache.Insert(Tagged("/d", "u"), 3));

  EXPECT_TRUE(cache.MarkStale("/a", now));
  EXPECT_FALSE(cache.MarkStale("/none", now));
  EXPECT_EQ(cache.MarkTagStale("t", now), 1u);  // /b; /a was marked already
  EXPECT_EQ(cache.MarkGroupStale(2, now), 1u);  // /c, lazily
  for (const char* k : {"/a", "/b", "/c"}) {
    EntryPtr e = cache.Lookup(k);
    ASSERT_NE(e, nullptr) << k;
    EXPECT_FALSE(e->IsFresh(now)) << k;
    EXPECT_TRUE(e->IsServable(now)) << k;
  }
  EntryPtr d = cache.Lookup("/d");
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->IsFresh(now));
  // A new entry inserted after the group's soft purge is fresh.
  ASSERT_TRUE(cache.Insert(Tagged("/c", "u"), 2));
  EXPECT_TRUE(cache.Lookup("/c")->IsFresh(now));
  EXPECT_EQ(cache.Stats().entries, 4u);
}

TEST(CacheSoftPurgeTest, GroupSoftPurgeVoidsFrontSlots) {
  Cache cache({.capacity_bytes = 1 << 20});
  const TimePoint now = TimePoint() + std::chrono::seconds(5);
  ASSERT_TRUE(cache.Insert(Tagged("/a", ""), 7));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(cache.Lookup("/a")->IsFresh(now));  // in the front
  EXPECT_EQ(cache.MarkGroupStale(7, now), 1u);
  EXPECT_FALSE(cache.Lookup("/a")->IsFresh(now));
}

// Inserts, lookups, tag purges and soft marks from several threads at once (run under TSan):
// afterwards the index holds exactly the tags of the entries left.
TEST(CacheTagsTest, ConcurrentInsertsLookupsAndTagPurgesKeepTheIndexExact) {
  Cache cache({.capacity_bytes = 1 << 20});
  const TimePoint now = TimePoint() + std::chrono::seconds(1);
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t, now] {
      for (int i = 0; i < 2000; ++i) {
        const std::string k = "/k/" + std::to_string(i % 97);
        switch ((i + t) % 4) {
          case 0:
            cache.Insert(Tagged(k, "t:" + std::to_string(i % 7) + " all"));
            break;
          case 1:
            if (EntryPtr e = cache.Lookup(k)) (void)e->IsFresh(now);
            break;
          case 2:
            cache.MarkTagStale("t:" + std::to_string(i % 7), now);
            break;
          default:
            cache.PurgeTag("t:" + std::to_string(i % 7));
            break;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const uint64_t left = cache.Stats().entries;
  EXPECT_EQ(cache.PurgeTag("all"), left);
  EXPECT_EQ(cache.TagCount(), 0u);
  EXPECT_EQ(cache.Stats().bytes, 0u);
}

}  // namespace
}  // namespace shoal::cache
